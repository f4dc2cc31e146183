"""Returning participants (reports/returning.py) against their definition, computed in
Python from the rows, on random organisations: two programmes, slots spread over nearly
three years (several per campaign), attended and other pledges, first pledges through
invitations of several levers or none."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from engagement.models import Campaign, Invitation, Pledge, Slot
from reports.returning import WINDOWS, returning_figures

from ..factories import CampaignFactory, ParticipantFactory, PledgeFactory, ProgrammeFactory

LEVERS = ["personal_invitation", "social_proof", "deadline"]


def _expected(scope: list[int], now) -> dict[str, list[int]]:
    """Per lever: people, then per window (measurable, returned), from the definition."""
    attended: dict[tuple[int, int], object] = {}
    first_lever: dict[int, str] = {}
    for pledge in (Pledge.objects.select_related("slot", "invitation")
                   .order_by("participant_id", "created_at", "id")):
        first_lever.setdefault(pledge.participant_id,
                               pledge.invitation.lever_code if pledge.invitation else "")
        if pledge.attendance == Pledge.Attendance.ATTENDED:
            key = (pledge.participant_id, pledge.slot.campaign_id)
            attended[key] = min(attended.get(key, pledge.slot.starts_at), pledge.slot.starts_at)
    result: dict[str, list[int]] = {}
    for person in {p for p, _c in attended}:
        mine = sorted((at, campaign) for (p, campaign), at in attended.items() if p == person)
        in_scope = [(at, campaign) for at, campaign in mine if campaign in scope]
        if not in_scope:
            continue
        first_at, first_campaign = in_scope[0]
        later = [at for at, campaign in mine if campaign != first_campaign and at > first_at]
        row = result.setdefault(first_lever[person], [0] * (1 + 2 * len(WINDOWS)))
        row[0] += 1
        for index, days in enumerate(WINDOWS):
            if first_at + timedelta(days=days) <= now:
                row[1 + 2 * index] += 1
                if later and min(later) <= first_at + timedelta(days=days):
                    row[2 + 2 * index] += 1
    return result


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_returning_figures_match_their_definition(org_a, seed):
    rng = random.Random(seed)
    now = timezone.now()
    with tenant_context(org_a):
        programmes = [ProgrammeFactory(name=f"Programme {n}") for n in range(2)]
        slots = []
        for index in range(8):
            start = now - timedelta(days=rng.randrange(0, 1000))
            campaign = CampaignFactory(programme=programmes[index % 2], starts_at=start,
                                       mobilisation_deadline=start - timedelta(days=2),
                                       status=Campaign.Status.COMPLETED)
            for shift in range(rng.randrange(1, 4)):  # slots on later days too
                at = start + timedelta(days=shift * rng.randrange(1, 40))
                slots.append(Slot.objects.create(campaign=campaign, starts_at=at,
                                                 ends_at=at + timedelta(hours=2),
                                                 capacity=500))
        inviter = ParticipantFactory()
        people = [ParticipantFactory() for _ in range(70)]
        for person in people:
            for slot in rng.sample(slots, rng.randrange(1, 6)):
                invitation = None
                if rng.random() < 0.4:
                    invitation = Invitation.objects.create(
                        campaign=slot.campaign, channel="email",
                        lever_code=rng.choice(LEVERS), inviter=inviter)
                PledgeFactory(slot=slot, participant=person, invitation=invitation,
                              created_at=now - timedelta(minutes=rng.randrange(100_000)),
                              attendance=rng.choice([Pledge.Attendance.ATTENDED] * 3 + [
                                  Pledge.Attendance.NO_SHOW, Pledge.Attendance.PENDING]))
        for programme in programmes:
            campaigns = Campaign.objects.filter(programme=programme)
            figures = returning_figures(campaigns, now=now)
            expected = _expected(list(campaigns.values_list("pk", flat=True)), now)
            got = {row["lever"]: [row["people"]] + [
                value for days in WINDOWS for value in (
                    row["windows"][str(days)]["measurable"],
                    row["windows"][str(days)]["returned"])] for row in figures["by_lever"]}
            assert got == expected
            assert figures["people"] == sum(row[0] for row in expected.values())
            # The data is rich enough for the comparison to mean something.
            assert sum(row[2] for row in expected.values()) > 0  # back within 90 days
            assert sum(row[4] for row in expected.values()) > 0  # within a year
