"""Computing and storing the forecasts of open campaigns: each computation replaces the
campaign's ``CampaignForecast`` row, which pages and the API read."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from engagement.models import Campaign
from engagement.selectors import campaigns_with_mobilised
from methodology.models import ReferenceTrajectory

from ..forecast import GRID, Forecast, campaign_forecast
from .models import CampaignForecast
from .references import reference_rows, references_for
from .trajectories import campaign_trajectories, elapsed_fraction, points_so_far


def _open_campaigns(now: datetime) -> QuerySet[Campaign]:
    return (campaigns_with_mobilised().prefetch_related(None)
            .select_related("programme__template_version")
            .filter(status=Campaign.Status.OPEN, mobilisation_deadline__gt=now)
            .order_by("pk"))  # without opened_at, the window starts at its creation


def _store(campaign: Campaign, *, curve: list[int], rows: list[ReferenceTrajectory],
           now: datetime) -> CampaignForecast:
    elapsed = elapsed_fraction(campaign, now)
    count = int(campaign.mobilised)  # type: ignore[attr-defined]  # the progress bar's figure
    result: Forecast = campaign_forecast(
        elapsed=elapsed, count=count, target=campaign.participant_target,
        points=points_so_far(curve, elapsed=elapsed, count=count),
        references=references_for(campaign, rows))
    so_far = [float(people) for at, people in zip(GRID, curve, strict=False) if at <= elapsed]
    forecast, _created = CampaignForecast.objects.update_or_create(
        campaign=campaign, defaults={
            "probability": result.probability, "expected": result.expected,
            "low": result.low, "high": result.high,
            "baseline_share": result.baseline_share, "linear": result.linear,
            "references": result.references, "at_risk": result.at_risk,
            "method": result.method, "elapsed": elapsed, "count": count,
            "target": campaign.participant_target, "curve": so_far, "computed_at": now})
    return forecast


def campaign_forecast_store(*, campaign_id: int,
                            now: datetime | None = None) -> CampaignForecast | None:
    """Recompute one open campaign's forecast (None if it is not open)."""
    now = now or timezone.now()
    campaign = _open_campaigns(now).filter(pk=campaign_id).first()
    if campaign is None:
        return None
    curve = campaign_trajectories([campaign.pk]).get(campaign.pk, [])
    with transaction.atomic():
        return _store(campaign, curve=curve, rows=reference_rows(), now=now)


def forecasts_refresh(*, now: datetime | None = None) -> int:
    """Recompute every open campaign's forecast (one trajectory query, one read of the
    references), and drop the forecasts of campaigns no longer open. Returns how many
    were computed."""
    now = now or timezone.now()
    campaigns = list(_open_campaigns(now))
    curves = campaign_trajectories(campaign.pk for campaign in campaigns)
    rows = reference_rows()
    with transaction.atomic():
        CampaignForecast.objects.exclude(campaign__in=[c.pk for c in campaigns]).delete()
        for campaign in campaigns:
            _store(campaign, curve=curves.get(campaign.pk, []), rows=rows, now=now)
    return len(campaigns)
