"""Pledge trajectories: a campaign's people confirmed at each time fraction of
``lab.forecast.GRID``, from its opening (``Campaign.opened_at``) to its mobilisation
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

# One query for any number of campaigns: each campaign's 21 instants, and at each the sum
# over participants of their largest live party. The pledges are read once per campaign
# through the slot index; the instants are a generate_series, not rows.
_SQL = f"""
WITH windows AS (
    SELECT c.id AS campaign_id, c.opened_at AS opened, c.mobilisation_deadline AS deadline
    FROM {Campaign._meta.db_table} c
    WHERE c.id = ANY(%(ids)s) AND c.opened_at IS NOT NULL
), instants AS (
    SELECT w.campaign_id, k,
           w.opened + (w.deadline - w.opened) * (k::float / {STEPS}) AS at
    FROM windows w CROSS JOIN generate_series(0, {STEPS}) AS k
), live AS (
    SELECT s.campaign_id, p.participant_id, p.companions,
           COALESCE(p.confirmed_at,
                    CASE WHEN p.status = %(confirmed)s THEN p.created_at END) AS since,
           p.cancelled_at AS until
    FROM {Pledge._meta.db_table} p JOIN {Slot._meta.db_table} s ON s.id = p.slot_id
    WHERE s.campaign_id = ANY(%(ids)s)
)
SELECT i.campaign_id, i.k, COALESCE(SUM(parties.party), 0)
FROM instants i LEFT JOIN LATERAL (
    SELECT MAX(l.companions) + 1 AS party FROM live l
    WHERE l.campaign_id = i.campaign_id AND l.since IS NOT NULL AND l.since <= i.at
      AND (l.until IS NULL OR l.until > i.at)
    GROUP BY l.participant_id
) parties ON true
GROUP BY i.campaign_id, i.k
ORDER BY i.campaign_id, i.k
"""  # noqa: S608 - table names only; values are parameters


def campaign_trajectories(campaign_ids: Iterable[int]) -> dict[int, list[int]]:
    """People confirmed at each of the 21 grid instants, per campaign (campaigns never
    opened have none)."""
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
