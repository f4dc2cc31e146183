"""Finished campaigns of every organisation of the database, as trajectories for the
forecast's backtest (bench/forecast_backtest.py --demo). Needs django.setup() first.

A campaign's trajectory runs from its opening (``opened_at``) to its mobilisation
deadline: +seats (1 + companions) when a pledge was confirmed, -seats when a confirmed
pledge was cancelled; time as the fraction of that window.
"""

from __future__ import annotations

from django_tenants.utils import get_tenant_model, tenant_context

from engagement.models import Campaign, Pledge

FINISHED = (Campaign.Status.SUCCEEDED, Campaign.Status.FAILED, Campaign.Status.COMPLETED)


def _trajectory(campaign: Campaign) -> list[tuple[float, int]]:
    opened, deadline = campaign.opened_at, campaign.mobilisation_deadline
    assert opened is not None
    window = (deadline - opened).total_seconds()
    if window <= 0:
        return []
    changes: list[tuple[float, int]] = []
    pledges = Pledge.objects.filter(slot__campaign=campaign, confirmed_at__isnull=False)
    for confirmed_at, cancelled_at, companions in pledges.values_list(
        "confirmed_at", "cancelled_at", "companions"
    ):
        seats = 1 + companions
        changes.append(((confirmed_at - opened).total_seconds() / window, seats))
        if cancelled_at is not None:
            changes.append(((cancelled_at - opened).total_seconds() / window, -seats))
    changes.sort()
    points, count = [], 0
    for t, delta in changes:
        count += delta
        if t <= 1.0:
            points.append((max(t, 0.0), count))
    return points


def finished_campaigns() -> list[tuple[float, int, list[tuple[float, int]]]]:
    """(window length in days, target, trajectory) of every finished campaign with at
    least one confirmed pledge, across the ready organisations."""
    out = []
    for organisation in get_tenant_model().objects.ready():
        with tenant_context(organisation):
            campaigns = Campaign.objects.filter(status__in=FINISHED, opened_at__isnull=False)
            for campaign in campaigns:
                points = _trajectory(campaign)
                if points:
                    assert campaign.opened_at is not None
                    days = (campaign.mobilisation_deadline - campaign.opened_at).days
                    out.append((float(max(days, 1)), campaign.participant_target, points))
    return out
