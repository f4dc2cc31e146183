"""Returning participants: the query rewritten for a million pledges (one pass per person,
no sort of the pledges; issue 16) against the former query, kept here as the oracle, on
random organisations made of the cases where the two could part: campaigns attended
before and after the first action in scope (only a campaign's first action counts as
coming back), slots starting at the same time in several campaigns, first pledges made
at the same instant (the smaller id is the first), cancelled pledges marked attended."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from engagement.models import Campaign, Invitation, Pledge, Slot
from reports.returning import returning_figures

from ..factories import CampaignFactory, ParticipantFactory, PledgeFactory, ProgrammeFactory

FORMER_SQL = """
WITH attended AS MATERIALIZED (
  SELECT p.participant_id, s.campaign_id, min(s.starts_at) AS at
  FROM engagement_pledge p JOIN engagement_slot s ON s.id = p.slot_id
  WHERE p.attendance = 'attended'
  GROUP BY 1, 2
), first_in_scope AS MATERIALIZED (
  SELECT DISTINCT ON (participant_id) participant_id, campaign_id, at
  FROM attended WHERE campaign_id IN ({scope})
  ORDER BY participant_id, at, campaign_id
), came_back AS (
  SELECT f.participant_id, min(a.at) AS next_at
  FROM first_in_scope f JOIN attended a ON a.participant_id = f.participant_id
   AND a.campaign_id <> f.campaign_id AND a.at > f.at
   AND a.at <= f.at + interval '365 days'
  GROUP BY f.participant_id
), first_pledge AS (
  SELECT DISTINCT ON (p.participant_id) p.participant_id, i.lever_code
  FROM engagement_pledge p LEFT JOIN engagement_invitation i ON i.id = p.invitation_id
  WHERE p.participant_id IN (SELECT participant_id FROM first_in_scope)
  ORDER BY p.participant_id, p.created_at, p.id
), people AS (
  SELECT f.participant_id, f.at, coalesce(fp.lever_code, '') AS lever, c.next_at
  FROM first_in_scope f LEFT JOIN first_pledge fp USING (participant_id)
  LEFT JOIN came_back c USING (participant_id)
)
SELECT lever, count(*),
       count(*) FILTER (WHERE at + interval '90 days' <= %s),
       count(*) FILTER (WHERE at + interval '90 days' <= %s
                          AND next_at <= at + interval '90 days'),
       count(*) FILTER (WHERE at + interval '365 days' <= %s),
       count(*) FILTER (WHERE at + interval '365 days' <= %s
                          AND next_at <= at + interval '365 days')
FROM people GROUP BY lever ORDER BY lever
"""


def _former(campaigns, now) -> dict[str, list[int]]:
    scope, params = campaigns.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(FORMER_SQL.format(scope=scope), (*params, now, now, now, now))
        return {lever: list(counts) for lever, *counts in cursor.fetchall()}


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [11, 12])
def test_returning_figures_match_the_former_query(org_a, seed):
    rng = random.Random(seed)
    now = timezone.now()
    with tenant_context(org_a):
        programmes = [ProgrammeFactory(name=f"Programme {n}") for n in range(3)]
        starts = [now - timedelta(days=rng.randrange(0, 800)) for _ in range(5)]
        slots = []
        for index in range(9):
            start = rng.choice(starts)  # several campaigns start at the same time
            campaign = CampaignFactory(programme=programmes[index % 3], starts_at=start,
                                       mobilisation_deadline=start - timedelta(days=2),
                                       status=Campaign.Status.COMPLETED)
            for shift in range(rng.randrange(1, 4)):  # before and after other campaigns
                at = start + timedelta(days=shift * rng.randrange(1, 200))
                slots.append(Slot.objects.create(campaign=campaign, starts_at=at,
                                                 ends_at=at + timedelta(hours=2),
                                                 capacity=500))
        inviter = ParticipantFactory()
        instants = [now - timedelta(minutes=rng.randrange(1000)) for _ in range(6)]
        for _ in range(60):
            person = ParticipantFactory()
            for slot in rng.sample(slots, rng.randrange(1, 7)):
                invitation = None
                if rng.random() < 0.5:
                    invitation = Invitation.objects.create(
                        campaign=slot.campaign, channel="email", inviter=inviter,
                        lever_code=rng.choice(["social_proof", "deadline", "team_challenge"]))
                PledgeFactory(slot=slot, participant=person, invitation=invitation,
                              created_at=rng.choice(instants),  # ties: the id decides
                              status=rng.choice(["confirmed"] * 4 + ["cancelled"]),
                              attendance=rng.choice([Pledge.Attendance.ATTENDED] * 3 + [
                                  Pledge.Attendance.NO_SHOW, Pledge.Attendance.PENDING]))
        scopes = [Campaign.objects.filter(programme=programme) for programme in programmes]
        scopes += [Campaign.objects.all(), Campaign.objects.filter(pk=slots[0].campaign_id)]
        for campaigns in scopes:
            figures = returning_figures(campaigns, now=now)
            got = {row["lever"]: [row["people"]] + [
                value for days in ("90", "365") for value in (
                    row["windows"][days]["measurable"], row["windows"][days]["returned"])]
                for row in figures["by_lever"]}
            assert got == _former(campaigns, now)
        assert any(row[2] or row[4] for row in _former(Campaign.objects.all(), now).values())
