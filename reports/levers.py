"""Lever analysis: which levers and channels make which people react.

Each invitation is one trial: it converts when at least one live (confirmed or waiting)
pledge was made through it, and that pledge attends when one of them was checked in.
Counting invitations rather than pledges keeps every rate a proportion (successes never
exceed trials), which the Wilson interval needs.

An invitation belongs to the segment (team, site, postcode, age band) of the person it
reached: whoever pledged through it first, else the participant whose e-mail it was sent
to. Invitations that reached nobody known (a poster nobody answered) have no segment.

Privacy: within each lever or channel, segments of fewer than ``MIN_GROUP`` people, and
people without a segment value, are merged into "Other"; an "Other" still under
``MIN_GROUP`` people is left out, so no row describes fewer than five people.
"""

from __future__ import annotations

from datetime import date
from math import sqrt

from engagement.models import Campaign, Invitation, Participant, Pledge, Programme, Team
from engagement.selectors import INVITATION_SENT_SQL, NOT_RELAUNCH_SQL

from .analytic import analytic_cursor

MIN_GROUP = 5
Z_95 = 1.959964
OTHER = "Other"

# Whitelisted SQL expressions for the segment argument (never interpolated from input).
SEGMENTS = {
    "team": "t.name",
    "site": "p.site",
    "postcode": "p.postcode",
    "age_band": "p.age_band",
}


def wilson_interval(successes: int, trials: int, *, z: float = Z_95
                    ) -> tuple[float, float]:
    """The Wilson score interval of a proportion: unlike ``p ± z·se`` it stays within
    [0, 1] and behaves for small samples and rates near 0 or 1. No trial: [0, 1]."""
    if trials == 0:
        return 0.0, 1.0
    # More successes than trials (a pledge checked in, then cancelled, counts as attended
    # but not as pledged) would take the square root of a negative number: the interval
    # is then that of a rate of 1.
    p = min(successes, trials) / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def _rate(successes: int, trials: int) -> dict:
    low, high = wilson_interval(successes, trials)
    return {"rate": round(successes / trials, 4) if trials else 0.0,
            "low": round(low, 4), "high": round(high, 4)}


def lever_analysis(*, campaign: Campaign | None = None, programme: Programme | None = None,
                   period: tuple[date, date] | None = None, segment: str = "team"
                   ) -> list[dict]:
    """Conversion and attendance per lever and per channel, broken down by ``segment``.

    Rows, ordered by dimension, key, then segment with "Other" last::

        {"dimension": "lever" | "channel", "key": str, "segment": str, "is_other": bool,
         "people": int, "sent": int, "pledged": int, "attended": int,
         "conversion": {"rate": float, "low": float, "high": float},   # pledged / sent
         "attendance": {"rate": float, "low": float, "high": float}}   # attended / pledged

    ``period`` (first and last day) keeps the campaigns starting in it, as
    ``metrics.period_metrics`` does: a period's rows are computed over the period at once,
    so each person counts once and small segments merge over the whole period. Without
    any of them, every campaign of the organisation counts. Only invitations actually
    sent count (``engagement.selectors.INVITATION_SENT``), and not a relaunch's (people
    told about their own pledge are no trial of a lever: ``RELAUNCH_LEVER``).
    """
    if segment not in SEGMENTS:
        raise ValueError(f"Unknown segment {segment!r}; choose one of {sorted(SEGMENTS)}.")
    campaigns = Campaign.objects.all()
    if campaign is not None:
        campaigns = campaigns.filter(pk=campaign.pk)
    if programme is not None:
        campaigns = campaigns.filter(programme=programme)
    if period is not None:
        campaigns = campaigns.filter(starts_at__date__gte=period[0],
                                     starts_at__date__lte=period[1])
    campaigns_sql, campaigns_params = campaigns.order_by().values("pk").query.sql_with_params()
    invitation, pledge = Invitation._meta.db_table, Pledge._meta.db_table
    participant, team = Participant._meta.db_table, Team._meta.db_table
    # Only table names, the ORM's own subquery SQL and a whitelisted column are
    # interpolated; every value is a parameter.
    sql = f"""
    WITH sent AS MATERIALIZED (
        -- The invitations counted, read once (the test of "sent" reads the pledges).
        SELECT i.id, i.lever_code, i.channel, i.invitee_email
        FROM {invitation} i
        WHERE i.campaign_id IN ({campaigns_sql}) AND {INVITATION_SENT_SQL}
          AND {NOT_RELAUNCH_SQL}
    ),
    outcomes AS (
        -- One pass over the pledges made through these invitations, hash-aggregated: who
        -- answered first (the smallest creation time then id, as an array of exact
        -- numbers), and whether any pledge is live or attended.
        SELECT l.invitation_id,
               (MIN(ARRAY[EXTRACT(EPOCH FROM l.created_at), l.id, l.participant_id]))[3]
                   AS first_person,
               BOOL_OR(l.status <> 'cancelled') AS pledged,
               BOOL_OR(l.attendance = 'attended') AS attended
        FROM {pledge} l JOIN sent ON sent.id = l.invitation_id
        GROUP BY l.invitation_id
    ),
    invitees AS (
        -- Only the people some invitation was e-mailed to (the case-insensitive unique
        -- index on e-mails answers), not every participant sorted by e-mail.
        SELECT LOWER(invitee.email) AS email, invitee.id
        FROM {participant} invitee
        WHERE invitee.email <> '' AND LOWER(invitee.email) IN (
            SELECT LOWER(invitee_email) FROM sent WHERE invitee_email <> '')
    ),
    segmented AS (
        SELECT s.lever_code, s.channel,
               COALESCE(o.first_person::bigint, invitee.id) AS person_id,
               COALESCE(o.pledged, FALSE) AS pledged,
               COALESCE(o.attended, FALSE) AS attended,
               NULLIF({SEGMENTS[segment]}, '') AS segment
        FROM sent s
        LEFT JOIN outcomes o ON o.invitation_id = s.id
        LEFT JOIN invitees invitee
               ON s.invitee_email <> '' AND invitee.email = LOWER(s.invitee_email)
        LEFT JOIN {participant} p ON p.id = COALESCE(o.first_person::bigint, invitee.id)
        LEFT JOIN {team} t ON t.id = p.team_id
    ),
    by_person AS (
        -- Each person once per cell (hash aggregates: no sort for a DISTINCT count).
        SELECT 'lever' AS dimension, lever_code AS key, segment, person_id,
               COUNT(*) AS sent, COUNT(*) FILTER (WHERE pledged) AS pledged,
               COUNT(*) FILTER (WHERE attended) AS attended
        FROM segmented GROUP BY lever_code, segment, person_id
        UNION ALL
        SELECT 'channel', channel, segment, person_id, COUNT(*),
               COUNT(*) FILTER (WHERE pledged), COUNT(*) FILTER (WHERE attended)
        FROM segmented GROUP BY channel, segment, person_id
    ),
    cells AS (
        SELECT dimension, key, segment, COUNT(person_id) AS people, SUM(sent) AS sent,
               SUM(pledged) AS pledged, SUM(attended) AS attended
        FROM by_person GROUP BY dimension, key, segment
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
        cursor.execute(sql, (*campaigns_params, MIN_GROUP, MIN_GROUP, MIN_GROUP))
        rows = cursor.fetchall()
    return [
        {"dimension": dimension, "key": key, "segment": OTHER if name is None else name,
         "is_other": name is None, "people": int(people), "sent": int(sent),
         "pledged": int(pledged), "attended": int(attended),
         "conversion": _rate(int(pledged), int(sent)),
         "attendance": _rate(int(attended), int(pledged))}
        for dimension, key, name, people, sent, pledged, attended in rows
    ]
