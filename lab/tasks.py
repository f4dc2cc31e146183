"""The lab's Celery tasks: Celery discovers ``lab.tasks`` only, so each part of the lab
keeps its tasks beside its code and imports them here."""

from .forecasts.tasks import (
    backfill_references,
    backfill_references_for_all_organisations,
    record_reference,
    refresh_campaign_forecast,
    refresh_forecasts,
    refresh_forecasts_for_all_organisations,
)

__all__ = [
    "backfill_references", "backfill_references_for_all_organisations", "record_reference",
    "refresh_campaign_forecast", "refresh_forecasts", "refresh_forecasts_for_all_organisations",
]
