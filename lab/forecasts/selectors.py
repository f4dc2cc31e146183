"""Reads of the stored forecasts, shared by the pages and the API."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from core import formatting
from engagement.models import Campaign, ProgrammeLever
from engagement.services.organiser_alerts import campaign_levers_unused, lever_invite_path

from .charts import forecast_chart
from .models import CampaignForecast


def campaign_forecast_current(campaign: Campaign) -> CampaignForecast | None:
    """The stored forecast of a campaign still mobilising (none once its deadline has
    passed or it is decided: the result is the news then)."""
    if not _mobilising(campaign):
        return None
    return CampaignForecast.objects.filter(campaign=campaign).first()


def _mobilising(campaign: Campaign) -> bool:
    return campaign.status == Campaign.Status.OPEN and \
        campaign.mobilisation_deadline > timezone.now()


def campaign_forecasts_current(campaigns: Iterable[Campaign]) -> dict[int, CampaignForecast]:
    """``campaign_forecast_current`` for a list of campaigns in one query, by campaign id."""
    ids = [campaign.pk for campaign in campaigns if _mobilising(campaign)]
    if not ids:
        return {}
    return {forecast.campaign_id: forecast
            for forecast in CampaignForecast.objects.filter(campaign_id__in=ids)}


def forecast_levers(campaign: Campaign) -> list[tuple[ProgrammeLever, str]]:
    """The programme's levers not used yet in the campaign, each with its invite path."""
    return [(lever, lever_invite_path(campaign, lever))
            for lever in campaign_levers_unused(campaign)]


def forecast_texts(forecast: CampaignForecast, campaign: Campaign, *,
                   chart: bool = True) -> dict[str, Any]:
    """The figures as the reader's language writes them (``core.formatting``)."""
    deadline = formatting.long_date(campaign.mobilisation_deadline)
    return {
        "deadline": deadline, "chance": formatting.chance(forecast.probability),
        "expected": formatting.whole(forecast.expected),
        "expected_text": formatting.count(forecast.expected),
        "low": formatting.count(forecast.low), "high": formatting.count(forecast.high),
        "linear": formatting.count(forecast.linear),
        "share": formatting.percent(forecast.baseline_share),
        "chart": forecast_chart(forecast, deadline=deadline) if chart else "",
    }

