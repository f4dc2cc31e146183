"""Returning participants: of the people who attended an action in scope, the share who
attended another campaign's action within 90 days, and within a year, of their first
action in scope, by the lever that first brought them to the organisation.

- An action counts when attended (a pledge marked attended): coming back is doing it
  again, not signing up; its date is the start of the person's slot.
- "Came back": an attended pledge in another campaign of the organisation (in scope or
  not), after the first action and at most 90 (365) days later.
- The lever that first brought them: the lever of the invitation of their first pledge
  ever (any status); "no invitation" when that pledge came through none.
- A person whose window has not elapsed yet (first action less than 90, 365 days ago) is
  "not measurable yet": counted apart, never as not returned.
- A share needs at least 5 measurable people (``MIN_RESPONDENTS``), else it is hidden::

    {"people": int,
     "windows": {"90" | "365": {"measurable": int, "not_yet": int, "returned": int,
                                "enough": bool, "share": float | None}},
     "by_lever": [{"lever": str ("" = no invitation), "name_fr": str, "name_en": str,
                   "people": int, "windows": {...as above}}]}
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from engagement.models import Campaign
from methodology.models import Lever

from .analytic import analytic_cursor
from .behaviour_stats import MIN_RESPONDENTS

WINDOWS = (90, 365)
NO_INVITATION = _("No invitation")
OTHER_LEVER = _("Another lever")

# Linear in the pledges, and without a sort of them: the person's next attended action
# elsewhere is found by one join of the first actions with the attended rows, grouped per
# person (a hash join), not by a subquery per person scanning every attended row
# (quadratic: minutes at 20,000 people). Each person's first action in scope and first
# pledge ever are read in one pass over the pledges grouped per person (hash aggregates,
# where DISTINCT ON sorted every pledge and probed each person's pledges by index: about
# half the query's time at a million pledges, docs/performance.md, issue 16):
# - the first action in scope is the smallest (slot start, campaign) of the person's
#   attended pledges in scope: the slots, few, are ranked in that order once, so the
#   first action is an integer minimum;
# - the first pledge ever is the smallest (created_at, id): as an array of exact numbers
#   (the epoch is a numeric with every microsecond), compared element by element.
_SQL = """
WITH slots AS MATERIALIZED (
  SELECT s.id, s.campaign_id, s.starts_at, s.campaign_id IN ({scope}) AS in_scope,
         dense_rank() OVER (ORDER BY s.starts_at, s.campaign_id) AS rank
  FROM engagement_slot s
), person AS MATERIALIZED (
  SELECT p.participant_id,
         min(s.rank) FILTER (WHERE p.attendance = 'attended' AND s.in_scope) AS first_rank,
         min(ARRAY[extract(epoch FROM p.created_at), p.id, p.invitation_id]) AS first_pledge
  FROM engagement_pledge p JOIN slots s ON s.id = p.slot_id
  GROUP BY p.participant_id
), first_in_scope AS MATERIALIZED (
  SELECT p.participant_id, r.campaign_id, r.starts_at AS at,
         (p.first_pledge[3])::bigint AS invitation_id
  FROM person p
  JOIN (SELECT DISTINCT rank, campaign_id, starts_at FROM slots) r ON r.rank = p.first_rank
), attended AS (
  SELECT p.participant_id, s.campaign_id, min(s.starts_at) AS at
  FROM engagement_pledge p JOIN slots s ON s.id = p.slot_id
  WHERE p.attendance = 'attended'
  GROUP BY 1, 2
), came_back AS (
  -- Another campaign's first attended action, after the first one in scope.
  SELECT f.participant_id, min(a.at) AS next_at
  FROM first_in_scope f JOIN attended a ON a.participant_id = f.participant_id
   AND a.campaign_id <> f.campaign_id AND a.at > f.at
   AND a.at <= f.at + interval '365 days'
  GROUP BY f.participant_id
), people AS (
  SELECT f.participant_id, f.at, coalesce(i.lever_code, '') AS lever, c.next_at
  FROM first_in_scope f LEFT JOIN engagement_invitation i ON i.id = f.invitation_id
  LEFT JOIN came_back c ON c.participant_id = f.participant_id
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


def _window(people: int, measurable: int, returned: int) -> dict:
    enough = measurable >= MIN_RESPONDENTS
    return {"measurable": measurable, "not_yet": people - measurable, "returned": returned,
            "enough": enough, "share": round(returned / measurable, 4) if enough else None}


def _windows(people: int, counts: tuple[int, ...]) -> dict:
    return {str(days): _window(people, counts[2 * i], counts[2 * i + 1])
            for i, days in enumerate(WINDOWS)}


def returning_figures(campaigns: QuerySet[Campaign], *, now: datetime) -> dict:
    scope, params = campaigns.values("pk").query.sql_with_params()
    # The per-person aggregates of a big organisation in memory, JIT off (analytic.py).
    with analytic_cursor() as cursor:
        cursor.execute(_SQL.format(scope=scope), (*params, now, now, now, now))
        rows = cursor.fetchall()
    names = {lever.code: lever for lever in Lever.objects.filter(
        code__in=[row[0] for row in rows if row[0]])}
    by_lever = []
    totals = [0] * 5
    for lever, people, *counts in rows:
        totals = [a + b for a, b in zip(totals, [people, *counts], strict=True)]
        if lever in names:
            name_fr, name_en = names[lever].name_fr, names[lever].name_en
        else:  # no invitation (or a lever no longer in the catalogue)
            label = NO_INVITATION if not lever else OTHER_LEVER
            with translation.override("fr"):
                name_fr = str(label)
            with translation.override("en"):
                name_en = str(label)
        by_lever.append({"lever": lever, "name_fr": name_fr, "name_en": name_en,
                         "people": people, "windows": _windows(people, tuple(counts))})
    by_lever.sort(key=lambda row: (-row["people"], row["name_en"]))
    return {"people": totals[0], "windows": _windows(totals[0], tuple(totals[1:])),
            "by_lever": by_lever}
