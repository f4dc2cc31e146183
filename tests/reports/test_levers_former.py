"""Lever analysis: the query rewritten for a million pledges (the invitations read once,
hash aggregates instead of sorts, only the e-mailed people looked up; issue 16) against
the former query, kept here as the oracle, on random organisations: e-mails in any case,
shared invitations several people pledged through (at the same instant: the smaller id
answered first), cancelled and attended pledges, invitations never sent, relaunches,
people with and without each segment, every segment and scope."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from engagement.models import Campaign, Invitation, Participant, Pledge, Team
from engagement.selectors import INVITATION_SENT_SQL, NOT_RELAUNCH_SQL, RELAUNCH_LEVER
from reports.analytic import analytic_cursor
from reports.levers import MIN_GROUP, SEGMENTS, lever_analysis

from ..factories import PledgeFactory, ProgrammeFactory, make_campaign_with_slot


def _former(campaigns, segment: str) -> list[tuple]:
    """The former query's rows (dimension, key, segment, people, sent, pledged, attended)."""
    campaigns_sql, campaigns_params = campaigns.order_by().values("pk").query.sql_with_params()
    invitation, pledge = Invitation._meta.db_table, Pledge._meta.db_table
    participant, team = Participant._meta.db_table, Team._meta.db_table
    sql = f"""
    WITH outcomes AS (
        -- One pass over the pledges made through these invitations: who answered first,
        -- and whether any pledge is live or attended.
        SELECT l.invitation_id,
               (ARRAY_AGG(l.participant_id ORDER BY l.created_at, l.id))[1] AS first_person,
               BOOL_OR(l.status <> 'cancelled') AS pledged,
               BOOL_OR(l.attendance = 'attended') AS attended
        FROM {pledge} l
        WHERE l.invitation_id IN (SELECT id FROM {invitation} i
                                  WHERE campaign_id IN ({campaigns_sql})
                                    AND {INVITATION_SENT_SQL} AND {NOT_RELAUNCH_SQL})
        GROUP BY l.invitation_id
    ),
    reached AS (
        SELECT i.id, i.lever_code, i.channel,
               COALESCE(o.first_person, invitee.id) AS person_id,
               COALESCE(o.pledged, FALSE) AS pledged,
               COALESCE(o.attended, FALSE) AS attended
        FROM {invitation} i
        LEFT JOIN outcomes o ON o.invitation_id = i.id
        LEFT JOIN {participant} invitee
               ON i.invitee_email <> '' AND LOWER(invitee.email) = LOWER(i.invitee_email)
        WHERE i.campaign_id IN ({campaigns_sql}) AND {INVITATION_SENT_SQL}
          AND {NOT_RELAUNCH_SQL}
    ),
    segmented AS (
        SELECT r.*, NULLIF({SEGMENTS[segment]}, '') AS segment
        FROM reached r
        LEFT JOIN {participant} p ON p.id = r.person_id
        LEFT JOIN {team} t ON t.id = p.team_id
    ),
    by_dimension AS (
        SELECT 'lever' AS dimension, lever_code AS key, segment, person_id, pledged, attended
        FROM segmented
        UNION ALL
        SELECT 'channel', channel, segment, person_id, pledged, attended FROM segmented
    ),
    cells AS (
        SELECT dimension, key, segment,
               COUNT(DISTINCT person_id) AS people, COUNT(*) AS sent,
               COUNT(*) FILTER (WHERE pledged) AS pledged,
               COUNT(*) FILTER (WHERE attended) AS attended
        FROM by_dimension GROUP BY dimension, key, segment
    ),
    merged AS (
        -- A segment is a person's attribute, so people of merged segments add up.
        SELECT dimension, key,
               CASE WHEN people >= %s AND segment IS NOT NULL THEN segment END AS segment,
               SUM(people) AS people, SUM(sent) AS sent, SUM(pledged) AS pledged,
               SUM(attended) AS attended
        FROM cells
        GROUP BY dimension, key,
                 CASE WHEN people >= %s AND segment IS NOT NULL THEN segment END
    )
    SELECT dimension, key, segment, people, sent, pledged, attended
    FROM merged WHERE people >= %s
    ORDER BY dimension DESC, key, segment IS NULL, segment
    """  # noqa: S608
    with analytic_cursor() as cursor:
        cursor.execute(sql, (*campaigns_params, *campaigns_params, MIN_GROUP, MIN_GROUP,
                             MIN_GROUP))
        return [(dimension, key, name, int(people), int(sent), int(pledged), int(attended))
                for dimension, key, name, people, sent, pledged, attended in cursor.fetchall()]


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [21])
def test_lever_rows_match_the_former_query(org_a, owner_a, seed):
    rng = random.Random(seed)
    with tenant_context(org_a):
        programmes = [ProgrammeFactory(name=f"Levers {n}", participant_target=50)
                      for n in range(2)]
        slots = [make_campaign_with_slot(programmes[n % 2], days=-3 - n, hours=2)[1]
                 for n in range(4)]
        teams = [Team.objects.create(name=f"Team {n}") for n in range(3)]
        people = [Participant.objects.create(
            email=f"person{n}@example.test" if rng.random() < 0.9 else "",
            team=rng.choice([*teams, None]), site=rng.choice(["", "Lyon", "Paris"]),
            postcode=rng.choice(["", "69001", "75001"]), age_band=rng.choice(["", "25-34"]))
            for n in range(70)]
        instant = timezone.now() - timedelta(days=5)
        for _ in range(120):
            slot = rng.choice(slots)
            reached = rng.choice(people)
            e_mailed = rng.random() < 0.5 and reached.email
            invitation = Invitation.objects.create(
                campaign=slot.campaign, channel=rng.choice(["email", "link_share", "qr_poster"]),
                lever_code=rng.choice(["social_proof", "deadline", RELAUNCH_LEVER]),
                **({"organiser": owner_a} if rng.random() < 0.5 else {"inviter": reached}),
                invitee_email=(rng.choice([reached.email.upper(), reached.email])
                               if e_mailed else ""))
            # Nobody, one person or several pledged through it (some at the same instant).
            for person in rng.sample(people, rng.choice([0, 0, 1, 1, 2, 3])):
                if Pledge.objects.filter(slot=slot, participant=person).exists():
                    continue
                cancelled = rng.random() < 0.25  # a cancelled pledge is never attended
                PledgeFactory(slot=slot, participant=person, invitation=invitation,
                              created_at=instant + timedelta(minutes=rng.randrange(3)),
                              status="cancelled" if cancelled else "confirmed",
                              attendance="pending" if cancelled else rng.choice(
                                  ["attended", "no_show", "pending"]))
        scopes = [({}, Campaign.objects.all()),
                  ({"programme": programmes[0]}, Campaign.objects.filter(
                      programme=programmes[0])),
                  ({"campaign": slots[1].campaign}, Campaign.objects.filter(
                      pk=slots[1].campaign_id))]
        compared = 0
        for segment in SEGMENTS:
            for arguments, campaigns in scopes:
                got = [(row["dimension"], row["key"],
                        None if row["is_other"] else row["segment"], row["people"],
                        row["sent"], row["pledged"], row["attended"])
                       for row in lever_analysis(segment=segment, **arguments)]
                assert got == _former(campaigns, segment)
                compared += len(got)
        assert compared > 20
