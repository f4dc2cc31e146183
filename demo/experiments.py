"""Demo: lever experiments on the company demo (acme). A concluded one on a finished
campaign (its people assigned by the hash when the wave went out, each sent an invitation
recorded under its variant's lever and channel, so the campaign's funnel counts them like
any invitation; pledges after the wave with a clear difference) and a running one on an
open campaign, launched six days ago through the real services (assignment, invitations
per variant), with the pledges made since and its look. Both randomise people: the demo
has 6 teams, too few for a team experiment (at least 10 per arm). Idempotent: a second
run finds them by title."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Exists, F, OuterRef, Subquery
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.errors import DomainError
from engagement.models import (
    Campaign,
    Channel,
    Invitation,
    InvitationBatch,
    Participant,
    Pledge,
    Slot,
)
from lab.experiments.assignment import buckets, hash_value, unit_key, variant_for
from lab.experiments.models import Assignment, Experiment, Variant
from lab.experiments.results import experiment_look_store
from lab.experiments.services import (
    ExperimentSpec,
    VariantSpec,
    experiment_launch,
    experiment_save,
)
from tenants.models import Organisation, User

CONCLUDED = "Mot du manager ou message habituel"
RUNNING = "Heure d'envoi : 8 h ou 12 h"


def _variants(second: VariantSpec) -> list[VariantSpec]:
    return [VariantSpec(name="Message habituel", lever_code="social_proof",
                        channel=Channel.EMAIL), second]


def seed() -> None:
    organisation = Organisation.objects.filter(slug="acme").first()
    if organisation is None:
        return
    manager = User.objects.get(email="manager@acme.example")
    with tenant_context(organisation):
        _concluded(manager)
        _running(manager)


def _concluded(manager: User) -> None:
    campaign = (Campaign.objects.filter(status__in=(Campaign.Status.SUCCEEDED,
                                                    Campaign.Status.COMPLETED,
                                                    Campaign.Status.FAILED))
                .order_by("-starts_at").first())
    if campaign is None or Experiment.objects.filter(title=CONCLUDED).exists():
        return
    experiment = experiment_save(campaign=campaign, user=manager, spec=ExperimentSpec(
        title=CONCLUDED, hypothesis="Un mot personnel du manager fait s'inscrire plus de "
        "collègues que le message habituel de la direction RSE.",
        baseline_rate=Decimal("0.25"), minimum_effect=Decimal("0.1"), days=14,
        variants=_variants(VariantSpec(
            name="Mot du manager", lever_code="leader_example", channel=Channel.MANAGER,
            subject_fr="Je serai là, et vous ?", subject_en="I'll be there, will you?",
            body_fr="Bonjour {participant_first_name},\n\nJe participe à {campaign_title} "
            "le {action_date}. Rejoignez-moi : {link}",
            body_en="Hello {participant_first_name},\n\nI'm taking part in {campaign_title} "
            "on {action_date}. Join me: {link}"))))
    # The wave went out two weeks before the deadline: everyone then reachable was
    # assigned by the hash, as a launch does (the campaign is over, so no e-mail now).
    launched = campaign.mobilisation_deadline - timedelta(days=14)
    variants = list(experiment.variants.all())
    intervals = buckets(experiment, variants)
    rows = []
    for person_id, team_id in _reach(campaign, launched).values_list("pk", "team_id"):
        key = unit_key(unit=experiment.unit, participant_id=person_id, team_id=team_id)
        value = hash_value(experiment.salt, key)
        rows.append(Assignment(experiment=experiment, participant_id=person_id, unit_key=key,
                               hash_value=Decimal(repr(value)).quantize(Decimal(10) ** -17),
                               variant=variant_for(value, intervals), assigned_at=launched))
    Assignment.objects.bulk_create(rows)
    for variant in variants:
        if not variant.is_holdout:
            _invitations(experiment, variant, manager, launched)
    # A clear result: the manager's word doubled the sign-ups of the usual message.
    _pledges(experiment, {"Message habituel": 0.1, "Mot du manager": 0.5}, holdout=0.03,
             start=launched, end=campaign.mobilisation_deadline,
             # A failed campaign's action did not take place: nobody attended it.
             attended=campaign.status != Campaign.Status.FAILED)
    experiment.status, experiment.launched_at = Experiment.Status.RUNNING, launched
    experiment.ends_at = campaign.mobilisation_deadline
    experiment.save(update_fields=["status", "launched_at", "ends_at"])
    experiment_look_store(experiment_id=experiment.pk,
                          now=max(timezone.now(), campaign.mobilisation_deadline))


def _reach(campaign: Campaign, launched: datetime):
    """Who the wave reached then: people who could be e-mailed, not invited to the
    campaign already and without a pledge on it before the wave (as a bulk send picks)."""
    invited = Invitation.objects.filter(campaign=campaign, participant=OuterRef("pk"))
    pledged = Pledge.objects.filter(slot__campaign=campaign, participant=OuterRef("pk"),
                                    created_at__lt=launched)
    return (Participant.objects.filter(erased_at__isnull=True, unsubscribed_at__isnull=True,
                                       consent_to_contact=True)
            .exclude(email="").exclude(Exists(invited)).exclude(Exists(pledged)).order_by("pk"))


def _invitations(experiment: Experiment, variant: Variant, manager: User,
                 sent_at: datetime) -> None:
    """The variant's invitations of the past wave, as ``invitations_bulk_send`` records
    them (an organiser, the lever, the channel, the batch; already sent, nothing queued)."""
    people = list(experiment.assignments.filter(variant=variant)
                  .values_list("participant_id", "participant__email"))
    batch = InvitationBatch.objects.create(
        campaign=experiment.campaign, organiser=manager, audience=InvitationBatch.Audience.ALL,
        channel=variant.channel, lever_code=variant.lever_code, invited=len(people),
        sent=len(people), created_at=sent_at, next_at=None,
        wording={f: getattr(variant, f) for f in ("subject_fr", "subject_en", "body_fr",
                                                  "body_en") if getattr(variant, f)})
    Invitation.objects.bulk_create([
        Invitation(campaign=experiment.campaign, organiser=manager, channel=variant.channel,
                   lever_code=variant.lever_code, participant_id=person_id, batch=batch,
                   invitee_email=email, sent_at=sent_at) for person_id, email in people])
    experiment.assignments.filter(variant=variant).update(invitation=Subquery(
        Invitation.objects.filter(batch=batch, participant=OuterRef("participant_id"))
        .values("pk")[:1]))


def _pledges(experiment: Experiment, rates: dict[str, float], *, holdout: float,
             start: datetime, end: datetime, attended: bool) -> None:
    """Pledges after the wave by assigned people who had none, at each arm's rate, made
    through their invitation, on the campaign's slots with room left."""
    rng = random.Random(experiment.salt)  # noqa: S311 (demo data, not a secret)
    slots = list(Slot.objects.filter(campaign=experiment.campaign).order_by("starts_at"))
    room = {slot.pk: slot.capacity - slot.confirmed_seats for slot in slots}
    pledged = Pledge.objects.filter(slot__campaign=experiment.campaign,
                                    participant=OuterRef("participant_id"))
    made = []
    for assignment in (experiment.assignments.select_related("variant")
                       .exclude(Exists(pledged)).order_by("participant_id")):
        variant = assignment.variant
        rate = holdout if variant.is_holdout else rates.get(variant.name, 0.0)
        open_slots = [slot for slot in slots if room[slot.pk] > 0]
        if rng.random() >= rate or not open_slots:
            continue
        slot = rng.choice(open_slots)
        room[slot.pk] -= 1
        when = start + (end - start) * rng.random() ** 1.5
        made.append(Pledge(
            slot=slot, participant_id=assignment.participant_id,
            invitation_id=assignment.invitation_id, status=Pledge.Status.CONFIRMED,
            companions=0, created_at=when, confirmed_at=when,
            attendance=(Pledge.Attendance.ATTENDED if rng.random() < 0.85
                        else Pledge.Attendance.NO_SHOW) if attended
            else Pledge.Attendance.PENDING))
    Pledge.objects.bulk_create(made)
    for slot in slots:
        Slot.objects.filter(pk=slot.pk).update(
            confirmed_seats=F("confirmed_seats") + sum(1 for p in made if p.slot_id == slot.pk))


def _running(manager: User) -> None:
    campaign = (Campaign.objects.filter(status=Campaign.Status.OPEN)
                .order_by("mobilisation_deadline").first())
    if campaign is None or Experiment.objects.filter(title=RUNNING).exists():
        return
    experiment = experiment_save(campaign=campaign, user=manager, spec=ExperimentSpec(
        title=RUNNING, hypothesis="Une invitation reçue à l'heure du déjeuner est lue et "
        "acceptée plus souvent qu'une invitation reçue le matin.",
        baseline_rate=Decimal("0.2"), minimum_effect=Decimal("0.08"), days=21,
        variants=[VariantSpec(name="Envoi à 8 h", lever_code="social_proof",
                              channel=Channel.EMAIL, send_hour=8),
                  VariantSpec(name="Envoi à 12 h", lever_code="social_proof",
                              channel=Channel.EMAIL, send_hour=12)]))
    launched = timezone.now() - timedelta(days=6)
    try:
        experiment_launch(experiment=experiment, user=manager, now=launched)
    except DomainError:  # nobody left to invite: the draft stays a draft
        return
    # Six days in: lunchtime ahead, not yet conclusive.
    _pledges(experiment, {"Envoi à 8 h": 0.13, "Envoi à 12 h": 0.21}, holdout=0.04,
             start=launched, end=timezone.now(), attended=False)
    experiment_look_store(experiment_id=experiment.pk)
