"""Lever experiments' tasks (registered through ``lab.tasks``): the reminder wave of a
variant at its send time, and the daily look at every running experiment, in each
organisation's schema."""

from __future__ import annotations

from celery import shared_task

from core.tenancy import for_each_ready_organisation

from .results import running_experiments_look
from .services import experiment_reminders_queue


@shared_task(name="lab.experiments.tasks.send_experiment_reminders",
             autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def send_experiment_reminders(experiment_id: int, variant_id: int) -> int:
    return experiment_reminders_queue(experiment_id=experiment_id, variant_id=variant_id)


@shared_task(name="lab.experiments.tasks.look_at_experiments")
def look_at_experiments() -> int:
    """Today's look at the current organisation's running experiments."""
    return running_experiments_look()


@shared_task(name="lab.experiments.tasks.look_at_experiments_for_all_organisations")
def look_at_experiments_for_all_organisations() -> int:
    """The beat's daily entry point: one message per ready organisation."""
    return for_each_ready_organisation(look_at_experiments)
