"""The Celery app. Tasks carry the schema they were queued from (tenant-schemas-celery):
a task queued while serving tenant A's request runs with A's search path in the worker."""

import os

from celery import signals
from tenant_schemas_celery.app import CeleryApp

from core.replica import start_task_reads
from core.zones import activate_for_task, restore_after_task

from .ops import context as ops_context
from .ops import metrics as ops_metrics
from .ops.logs import configure_worker_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
from django.conf import settings  # noqa: E402  (after the settings module is named)

app = CeleryApp("fullmobs")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# After tenant-schemas-celery's handler (connected when its module was imported above) has
# set the task's schema: the task runs in its organisation's time zone (core/zones.py).
signals.task_prerun.connect(activate_for_task, dispatch_uid="fullmobs_task_time_zone")
signals.task_postrun.connect(restore_after_task, dispatch_uid="fullmobs_task_time_zone_restore")
# Each task's figure reads may use the replica, whatever the previous task wrote
# (core/replica.py).
signals.task_prerun.connect(start_task_reads, dispatch_uid="fullmobs_task_replica_reads")

# Operating (config/ops/): the request id travels with the message; each task's id, its
# request id and its schema on its log lines; task latency and failures counted.
signals.before_task_publish.connect(ops_context.stamp_request_id, dispatch_uid="fullmobs_rid")
signals.before_task_publish.connect(ops_metrics.stamp_published_at, dispatch_uid="fullmobs_pub")
signals.task_prerun.connect(ops_context.enter_task, dispatch_uid="fullmobs_enter_task")
signals.task_prerun.connect(ops_metrics.task_started, dispatch_uid="fullmobs_task_started")
signals.task_postrun.connect(ops_metrics.task_finished, dispatch_uid="fullmobs_task_finished")
signals.task_postrun.connect(ops_context.leave_task, dispatch_uid="fullmobs_leave_task")
signals.task_failure.connect(ops_metrics.task_failed, dispatch_uid="fullmobs_task_failed")
signals.task_retry.connect(ops_metrics.task_retried, dispatch_uid="fullmobs_task_retried")
signals.worker_init.connect(ops_metrics.serve_worker_metrics, dispatch_uid="fullmobs_metrics")
signals.worker_process_shutdown.connect(ops_metrics.worker_process_exited,
                                        dispatch_uid="fullmobs_metrics_exit")
if settings.LOG_FORMAT == "json":
    # Connected, this signal replaces Celery's own logging set-up: Django's LOGGING applies.
    signals.setup_logging.connect(configure_worker_logging, dispatch_uid="fullmobs_logging")


@signals.celeryd_init.connect
@signals.beat_init.connect
def _install_broker(**kwargs) -> None:
    from config.broker import ensure_configured_broker

    ensure_configured_broker()
