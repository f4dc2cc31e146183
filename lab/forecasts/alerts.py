"""At-risk alerts: a week and three days before a campaign's mobilisation deadline (in the
organisation's time zone), when its stored forecast says it will probably miss its target,
its organisers are told once each, with the levers of the programme's plan not used yet.
The alert and its e-mails go through engagement's organiser alerts (one row per fact under
a unique key, e-mails queued in the same transaction)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from engagement.models import Campaign, OrganiserAlert
from engagement.services.organiser_alerts import alert_raise

from .models import CampaignForecast

Kind = OrganiserAlert.Kind


def days_before_deadline(campaign: Campaign, now: datetime) -> int:
    """Whole days from today to the deadline's day, in the active (organisation's) zone."""
    zone = timezone.get_current_timezone()
    return (timezone.localtime(campaign.mobilisation_deadline, zone).date()
            - timezone.localtime(now, zone).date()).days


def at_risk_kind(campaign: Campaign, now: datetime) -> Kind | None:
    """Which at-risk alert is due now: D-7 from seven days before to four, D-3 from three
    days before to the deadline (an alert missed by an outage is raised late, not lost)."""
    if now >= campaign.mobilisation_deadline:
        return None
    days = days_before_deadline(campaign, now)
    if days <= 3:
        return Kind.AT_RISK_D3
    if days <= 7:
        return Kind.AT_RISK_D7
    return None


def at_risk_alerts_raise(*, now: datetime | None = None) -> int:
    """Raise the at-risk alerts due from the stored forecasts; returns how many."""
    now = now or timezone.now()
    raised = 0
    forecasts = (CampaignForecast.objects.select_related("campaign")
                 .filter(at_risk=True, campaign__status=Campaign.Status.OPEN,
                         campaign__mobilisation_deadline__gt=now).order_by("campaign_id"))
    for forecast in forecasts:
        kind = at_risk_kind(forecast.campaign, now)
        if kind is not None:
            raised += alert_raise(kind=kind, campaign=forecast.campaign,
                                  probability=forecast.probability) is not None
    return raised
