"""Demo data that shows the newer features on `make run`: an address the provider
bounced, consultant time against the accompaniment pack, an internal campaign for the
company's people, a challenge between teams with its standings. (Skills-based slots are
seeded with the value of time, in ``demo.engagement``.) Each part is made once."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from billing.models import ConsultantTime
from billing.services.consultant_time import consultant_time_log
from engagement.models import Campaign, EmailDeliverability, Participant, Slot, TeamChallenge
from engagement.services.challenges import team_challenge_create
from engagement.services.deliverability import Outcome, TrackingEvent, email_event_record
from tenants.models import Organisation, User

CONSULTANT_WORK = [(-3, 150, "Kick-off workshop with the steering group"),
                   (-1, 90, "Review of the invitation levers before the action day")]


def seed(*, organisation: Organisation, consultant: User, company: bool) -> None:
    """In the current tenant's schema (``organisation``'s). ``company``: the demo company,
    with a verified e-mail domain and the accompaniment pack."""
    _bounced_address()
    _team_challenge()
    if company:
        _internal_campaign()
        _consultant_time(organisation, consultant)


def _bounced_address() -> None:
    """One person's address the provider reported as not existing, through the same path a
    provider's webhook takes."""
    if EmailDeliverability.objects.exclude(undeliverable_since=None).exists():
        return
    person = Participant.objects.exclude(email="").order_by("id").last()
    if person is None:
        return
    email_event_record(event=TrackingEvent(
        provider="demo", event_key=f"demo-bounce-{person.pk}", outcome=Outcome.HARD_BOUNCE,
        recipient=person.email, occurred_at=timezone.now() - timedelta(days=2),
        detail="550 5.1.1 The email account that you tried to reach does not exist."))


def _team_challenge() -> None:
    """Teams race on people who took part: the completed action's attendance gives the
    standings their figures."""
    if TeamChallenge.objects.exists() or not Campaign.objects.exists():
        return
    today = timezone.localdate()
    team_challenge_create(
        name="Défi inter-équipes", name_en="Team challenge", measure=TeamChallenge.Measure.PEOPLE,
        goal=20, starts_on=today - timedelta(days=45), ends_on=today + timedelta(days=45),
        description_fr="Quelle équipe mobilise le plus de monde ?",
        description_en="Which team brings the most people?")


def _internal_campaign() -> None:
    """An open campaign only the company's people see, at ``/internal/`` with an address at
    its verified domain."""
    if Campaign.objects.filter(visibility=Campaign.Visibility.INTERNAL,
                               status=Campaign.Status.OPEN).exists():
        return
    first = Campaign.objects.exclude(programme=None).select_related("programme").first()
    if first is None:
        return
    programme = first.programme
    starts_at = timezone.localtime().replace(hour=14, minute=0, second=0, microsecond=0
                                             ) + timedelta(days=24)
    campaign = Campaign.objects.create(
        programme=programme, title="Atelier solidaire entre collègues",
        place="Siège, salle du 3e étage", content_language="fr",
        description="Un après-midi pour préparer des colis avec une association du quartier.",
        translations={"en": {"title": "Solidarity workshop among colleagues",
                             "description": "An afternoon packing parcels with a "
                                            "neighbourhood charity."}},
        starts_at=starts_at, ends_at=starts_at + timedelta(hours=3), participant_target=30,
        mobilisation_deadline=starts_at - timedelta(days=5),
        visibility=Campaign.Visibility.INTERNAL, status=Campaign.Status.OPEN)
    Slot.objects.create(campaign=campaign, starts_at=starts_at,
                        ends_at=starts_at + timedelta(hours=3), capacity=40)


def _consultant_time(organisation: Organisation, consultant: User) -> None:
    """Hours logged this month, so that the accompaniment statement has lines."""
    if ConsultantTime.objects.filter(organisation=organisation).exists():
        return
    today = timezone.localdate()
    for days, minutes, description in CONSULTANT_WORK:
        worked_on = max(today + timedelta(days=days), today.replace(day=1))
        consultant_time_log(consultant=consultant, organisation=organisation,
                            worked_on=worked_on, minutes=minutes, description=description)
