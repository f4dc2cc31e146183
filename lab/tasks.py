"""The lab's Celery tasks. Celery's autodiscovery imports ``<app>.tasks`` of every
installed app, as for the other apps; the lab is one app whose parts keep their tasks
beside their code, so this module imports each part's tasks (experiments, evidence,
forecasts) and nothing else registers them (no ``CELERY_IMPORTS`` entry for the lab).
``tests/config/test_celery_tasks.py`` checks every beat entry names a registered task."""

from .evidence.tasks import publish_evidence_nightly
from .experiments.tasks import (
    look_at_experiments,
    look_at_experiments_for_all_organisations,
    send_experiment_reminders,
)
from .forecasts.tasks import (
    backfill_references,
    backfill_references_for_all_organisations,
    record_reference,
    refresh_campaign_forecast,
    refresh_forecasts,
    refresh_forecasts_for_all_organisations,
)

__all__ = [
    "backfill_references", "backfill_references_for_all_organisations",
    "look_at_experiments", "look_at_experiments_for_all_organisations",
    "publish_evidence_nightly", "record_reference", "refresh_campaign_forecast",
    "refresh_forecasts", "refresh_forecasts_for_all_organisations",
    "send_experiment_reminders",
]
