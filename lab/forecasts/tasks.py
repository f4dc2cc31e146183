"""Celery tasks of the forecasts: thin wrappers over the services, registered under
their names by ``lab.tasks`` (Celery discovers ``<app>.tasks`` only)."""

from __future__ import annotations

from celery import shared_task

from core.tenancy import for_each_ready_organisation

from . import alerts, references, services


@shared_task(name="lab.forecasts.tasks.refresh_forecasts_for_all_organisations")
def refresh_forecasts_for_all_organisations() -> int:
    """Beat entry point (public schema): one refresh per ready organisation."""
    return for_each_ready_organisation(refresh_forecasts)


@shared_task(name="lab.forecasts.tasks.refresh_forecasts")
def refresh_forecasts() -> dict[str, int]:
    """One organisation's open campaigns forecast again, then the at-risk alerts due (an
    alert reads the forecast just stored). Idempotent: the next hour redoes it."""
    computed = services.forecasts_refresh()
    return {"computed": computed, "alerts": alerts.at_risk_alerts_raise()}


@shared_task(name="lab.forecasts.tasks.refresh_campaign_forecast")
def refresh_campaign_forecast(campaign_id: int) -> bool:
    return services.campaign_forecast_store(campaign_id=campaign_id) is not None


@shared_task(name="lab.forecasts.tasks.record_reference")
def record_reference(campaign_id: int) -> bool:
    """A campaign just decided: its trajectory joins the references."""
    return references.reference_record(campaign_id=campaign_id)


@shared_task(name="lab.forecasts.tasks.backfill_references_for_all_organisations")
def backfill_references_for_all_organisations() -> int:
    """Nightly beat entry point: the rows of organisations no longer ready deleted, then the
    finished campaigns still without a reference row."""
    references.references_of_departed_delete()
    return for_each_ready_organisation(backfill_references)


@shared_task(name="lab.forecasts.tasks.backfill_references")
def backfill_references() -> int:
    return references.references_backfill()
