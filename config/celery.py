"""The Celery app. Tasks carry the schema they were queued from (tenant-schemas-celery):
a task queued while serving tenant A's request runs with A's search path in the worker."""

import os

from celery import signals
from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = CeleryApp("fullmobs")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.celeryd_init.connect
@signals.beat_init.connect
def _install_broker(**kwargs) -> None:
    from config.broker import ensure_configured_broker

    ensure_configured_broker()
