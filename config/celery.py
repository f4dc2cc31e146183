"""The Celery app. Tasks carry the schema they were queued from (tenant-schemas-celery):
a task queued while serving tenant A's request runs with A's search path in the worker."""

import os

from celery import signals
from tenant_schemas_celery.app import CeleryApp

from core.zones import activate_for_task, restore_after_task

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = CeleryApp("fullmobs")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# After tenant-schemas-celery's handler (connected when its module was imported above) has
# set the task's schema: the task runs in its organisation's time zone (core/zones.py).
signals.task_prerun.connect(activate_for_task, dispatch_uid="fullmobs_task_time_zone")
signals.task_postrun.connect(restore_after_task, dispatch_uid="fullmobs_task_time_zone_restore")


@signals.celeryd_init.connect
@signals.beat_init.connect
def _install_broker(**kwargs) -> None:
    from config.broker import ensure_configured_broker

    ensure_configured_broker()
