"""The forecast on engagement's and reports' pages: those apps sit below the lab, so their
templates load these tags rather than their views importing the lab."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

from engagement.models import Campaign

from ..forecasts.models import CampaignForecast
from ..forecasts.selectors import (
    campaign_forecast_current,
    campaign_forecasts_current,
    forecast_levers,
    forecast_texts,
)

register = template.Library()


@register.inclusion_tag("lab/forecasts/_panel.html")
def campaign_forecast(campaign: Campaign, can_manage: bool = False) -> dict[str, Any]:
    """The organiser's campaign page: chance, expected people, chart, basis, baseline, and
    the at-risk notice with the levers not used yet."""
    forecast = campaign_forecast_current(campaign)
    if forecast is None:
        return {"forecast": None}
    return {"forecast": forecast, "campaign": campaign, "can_manage": can_manage,
            "levers": forecast_levers(campaign) if forecast.at_risk else [],
            **forecast_texts(forecast, campaign)}


@register.simple_tag
def campaign_forecasts(campaigns: Iterable[Campaign]) -> dict[int, CampaignForecast]:
    """The current forecasts of a list of campaigns, read in one query, for
    ``campaign_forecast_line``: ``{% campaign_forecasts campaigns as forecasts %}``."""
    return campaign_forecasts_current(campaigns)


@register.inclusion_tag("lab/forecasts/_line.html")
def campaign_forecast_line(campaign: Campaign,
                           forecasts: dict[int, CampaignForecast] | None = None,
                           ) -> dict[str, Any]:
    """One line for a list of campaigns (the programme dashboard); ``forecasts`` from
    ``campaign_forecasts`` saves a query per campaign."""
    forecast = campaign_forecast_current(campaign) if forecasts is None \
        else forecasts.get(campaign.pk)
    if forecast is None:
        return {"forecast": None}
    return {"forecast": forecast, **forecast_texts(forecast, campaign, chart=False)}
