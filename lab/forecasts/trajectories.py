"""Pledge trajectories: a campaign's people confirmed at each time fraction of
``lab.forecast.GRID``, from its opening (``Campaign.opened_at``; its creation for a
campaign opened before that field was kept, or written without it) to its mobilisation
deadline.

"People confirmed" is the progress bar's figure (``engagement.services.campaigns
.mobilised_count``, the one pages, API, CSV and PDF show and the deadline decides on):
each participant once, with the largest party they bring, companions included. At a past
moment a pledge counted if it had been confirmed by then (``confirmed_at``; a pledge
confirmed on creation before that field was kept has its ``created_at``) and was not yet
cancelled (``cancelled_at``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import connection

from engagement.models import Campaign, Pledge, Slot

from ..forecast import GRID

STEPS = len(GRID) - 1

# One query for any number of campaigns, linear in their pledges: each pledge gives the
# range of grid instants k at which it was live (confirmed at or before instant k, not
# cancelled by then), expanded into at most 21 rows; each participant counts once per
# instant with their largest party; instants without anybody are 0.
_SQL = f"""
WITH windows AS (
    SELECT c.id AS campaign_id, COALESCE(c.opened_at, c.created_at) AS opened,
           GREATEST(EXTRACT(EPOCH FROM c.mobilisation_deadline
                          - COALESCE(c.opened_at, c.created_at)), 1) AS seconds
    FROM {Campaign._meta.db_table} c
    WHERE c.id = ANY(%(ids)s)
), live AS (
    SELECT w.campaign_id, p.participant_id, p.companions,
           GREATEST(0, CEIL(EXTRACT(EPOCH FROM COALESCE(
               p.confirmed_at, CASE WHEN p.status = %(confirmed)s THEN p.created_at END)
               - w.opened) / w.seconds * {STEPS}))::int AS k_from,
           CASE WHEN p.cancelled_at IS NULL THEN {STEPS + 1}
                ELSE LEAST({STEPS + 1}, CEIL(EXTRACT(EPOCH FROM p.cancelled_at - w.opened)
                                            / w.seconds * {STEPS}))::int END AS k_to
    FROM {Pledge._meta.db_table} p
    JOIN {Slot._meta.db_table} s ON s.id = p.slot_id
    JOIN windows w ON w.campaign_id = s.campaign_id
    WHERE p.confirmed_at IS NOT NULL OR p.status = %(confirmed)s
), parties AS (
    SELECT l.campaign_id, l.participant_id, k, MAX(l.companions) + 1 AS party
    FROM live l CROSS JOIN LATERAL generate_series(l.k_from, l.k_to - 1) AS k
    WHERE l.k_from <= {STEPS}
    GROUP BY l.campaign_id, l.participant_id, k
), totals AS (
    SELECT campaign_id, k, SUM(party) AS people FROM parties GROUP BY campaign_id, k
)
SELECT w.campaign_id, g.k, COALESCE(t.people, 0)
FROM windows w CROSS JOIN generate_series(0, {STEPS}) AS g(k)
LEFT JOIN totals t ON t.campaign_id = w.campaign_id AND t.k = g.k
ORDER BY w.campaign_id, g.k
"""  # noqa: S608 - table names only; values are parameters


def campaign_trajectories(campaign_ids: Iterable[int]) -> dict[int, list[int]]:
    """People confirmed at each of the 21 grid instants, per campaign."""
    ids = sorted(set(campaign_ids))
    if not ids:
        return {}
    curves: dict[int, list[int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(_SQL, {"ids": ids, "confirmed": Pledge.Status.CONFIRMED})
        for campaign_id, _k, people in cursor.fetchall():
            curves.setdefault(campaign_id, []).append(int(people))
    return curves


def elapsed_fraction(campaign: Campaign, now: datetime) -> float:
    """The share of the mobilisation window gone at ``now``, in [0, 1]."""
    opened = campaign.opened_at or campaign.created_at
    window = (campaign.mobilisation_deadline - opened).total_seconds()
    if window <= 0:
        return 1.0
    return min(max((now - opened).total_seconds() / window, 0.0), 1.0)


def points_so_far(curve: list[int], *, elapsed: float, count: int) -> list[tuple[float, int]]:
    """The trajectory's points up to ``elapsed`` (grid instants passed, then now)."""
    points = [(t, c) for t, c in zip(GRID, curve, strict=False) if t <= elapsed]
    return [*points, (elapsed, count)]
