"""Demo forecasts for `make run`: in each demo organisation, finished campaigns whose
pledges arrived in the U shape real campaigns show (a launch burst, a quiet middle, a
rush before the deadline), written as anonymous reference trajectories, and open
campaigns forecast from them: one on track, one at risk a few days before its deadline
with levers of the plan not used yet. Rows are written directly (no e-mail goes out for
made-up people), seat counts kept as the services would. Idempotent: a second run only
recomputes the references and forecasts."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import numpy as np
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from engagement.models import Campaign, Invitation, Participant, Pledge, Programme, Slot
from lab.forecast import u_shaped_curve
from lab.forecasts.references import references_backfill
from lab.forecasts.services import forecasts_refresh
from tenants.models import Organisation, User

WINDOW = timedelta(days=21)
FINISHED = 9
TITLES = [("Atelier jardin partagé", "Shared garden workshop"),
          ("Collecte de vêtements", "Clothes collection"),
          ("Nettoyage du littoral", "Coastline clean-up"),
          ("Plantation de haies", "Hedge planting"),
          ("Repair café", "Repair café"),
          ("Course solidaire", "Charity run"),
          ("Maraude hivernale", "Winter outreach round"),
          ("Chantier nature", "Nature work day"),
          ("Après-midi jeux à l’Ehpad", "Games afternoon at the care home")]


def seed() -> None:
    for organisation in Organisation.objects.ready().filter(slug__in=["acme", "villeneuve"]):
        with tenant_context(organisation):
            rng = random.Random(organisation.slug)  # noqa: S311 - demo data, not secrets
            _seed_organisation(organisation, rng)
            references_backfill()
    for organisation in Organisation.objects.ready().filter(slug__in=["acme", "villeneuve"]):
        with tenant_context(organisation):
            forecasts_refresh()


@transaction.atomic
def _seed_organisation(organisation: Organisation, rng: random.Random) -> None:
    programme = Programme.objects.order_by("created_at").first()
    people = list(Participant.objects.filter(erased_at__isnull=True).order_by("pk")[:200])
    if programme is None or len(people) < 100 or \
            Campaign.objects.filter(title=TITLES[0][0]).exists():  # seeded already
        return
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    for index in range(FINISHED):
        opened = now - timedelta(days=50 + 30 * index)
        target = rng.choice([30, 40, 50, 60])
        # Outcomes around the target: organisers' estimates miss either way.
        final = max(3, round(target * float(np.exp(rng.gauss(0.0, 0.3)))))
        reached = final >= target
        campaign = _campaign(programme, TITLES[index], opened=opened, target=target,
                             status="completed" if reached else "failed")
        _pledges(rng, campaign, people, count=final, opened=opened, until=1.0,
                 shape=(rng.uniform(0.2, 0.4), rng.uniform(0.15, 0.3)))
    # Open: 60 % of the window gone and on its way; 75 % gone and far behind.
    on_track = _campaign(programme, ("Fresque du climat", "Climate fresco workshop"),
                         opened=now - WINDOW * 0.6, target=40, status="open")
    _pledges(rng, on_track, people, count=48, opened=now - WINDOW * 0.6, until=0.6,
             shape=(0.35, 0.25))
    behind = _campaign(programme, ("Grand ramassage des déchets", "Big litter pick"),
                       opened=now - WINDOW * 0.75, target=60, status="open")
    _pledges(rng, behind, people, count=40, opened=now - WINDOW * 0.75, until=0.75,
             shape=(0.3, 0.25))
    # The at-risk campaign used its plan's first lever only: the others are suggested.
    lever = programme.levers.order_by("position").first()
    organiser = User.objects.filter(memberships__organisation=organisation).order_by("pk").first()
    if lever is not None and organiser is not None:
        Invitation.objects.create(campaign=behind, organiser_id=organiser.pk, channel="email",
                                  lever_code=lever.code, audience_label="Tout le site")


def _campaign(programme: Programme, titles: tuple[str, str], *, opened: datetime,
              target: int, status: str) -> Campaign:
    deadline = opened + WINDOW
    starts = deadline + timedelta(days=3, hours=2)
    finished = status != "open"
    campaign = Campaign.objects.create(
        programme=programme, title=titles[0], content_language="fr",
        translations={"en": {"title": titles[1], "description": ""}},
        place="Quartier de la Gare", starts_at=starts,
        ends_at=starts + timedelta(hours=3), participant_target=target,
        mobilisation_deadline=deadline, visibility=Campaign.Visibility.PUBLIC,
        status=status, created_at=opened - timedelta(days=3), opened_at=opened,
        closed_at=deadline if finished else None)
    Slot.objects.create(campaign=campaign, starts_at=starts, ends_at=starts + timedelta(hours=3),
                        capacity=target * 2)
    return campaign


def _pledges(rng: random.Random, campaign: Campaign, people: list[Participant], *, count: int,
             opened: datetime, until: float, shape: tuple[float, float]) -> None:
    """``count`` people over the whole window, arriving along a U-shaped curve; only those
    before ``until`` (the share of the window gone) are written."""
    grid = np.linspace(0.0, 1.0, 401)
    cumulative = u_shaped_curve(grid, launch_share=shape[0], surge_share=shape[1])
    slot = campaign.slots.get()
    chosen = rng.sample(people, min(count, len(people)))
    pledges = []
    for person in chosen:
        at = float(np.interp(rng.random(), cumulative, grid))
        if at > until:
            continue
        when = opened + WINDOW * at
        pledges.append(Pledge(slot=slot, participant=person, status="confirmed",
                              companions=0, created_at=when, confirmed_at=when))
    Pledge.objects.bulk_create(pledges)
    Slot.objects.filter(pk=slot.pk).update(confirmed_seats=len(pledges))
