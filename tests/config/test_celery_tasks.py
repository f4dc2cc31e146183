"""Every task the beat schedules is registered in a worker: the check runs in a fresh
process that loads the Celery app as ``celery -A config worker`` does (settings, then the
default modules: ``CELERY_IMPORTS`` and every app's ``tasks`` module by autodiscovery), so
a task imported only by some test or page cannot make it pass."""

from __future__ import annotations

import json
import os

from .test_production import run

REGISTERED = (
    "import json, django; django.setup(); from django.conf import settings; "
    "from config.celery import app; app.loader.import_default_modules(); "
    "print(json.dumps({'tasks': sorted(app.tasks), "
    "'beat': {name: entry['task'] for name, entry in settings.CELERY_BEAT_SCHEDULE.items()}}))"
)


def _worker_view() -> dict:
    result = run(["-c", REGISTERED], dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings"))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_every_beat_entry_names_a_task_the_worker_registers():
    view = _worker_view()
    assert view["beat"], "the beat schedule is empty"
    missing = {name: task for name, task in view["beat"].items() if task not in view["tasks"]}
    assert not missing, f"beat entries whose task no worker registers: {missing}"


def test_the_lab_tasks_are_registered_by_autodiscovery_alone():
    """The lab's parts keep their tasks beside their code; ``lab.tasks`` imports them all,
    so none of them needs an entry in ``CELERY_IMPORTS``."""
    view = _worker_view()
    for name in ("lab.evidence.tasks.publish_evidence_nightly",
                 "lab.experiments.tasks.send_experiment_reminders",
                 "lab.experiments.tasks.look_at_experiments",
                 "lab.experiments.tasks.look_at_experiments_for_all_organisations",
                 "lab.forecasts.tasks.refresh_forecasts_for_all_organisations",
                 "lab.forecasts.tasks.backfill_references_for_all_organisations",
                 "lab.forecasts.tasks.refresh_campaign_forecast"):
        assert name in view["tasks"], name
    from django.conf import settings

    assert not [module for module in settings.CELERY_IMPORTS if module.startswith("lab.")]
