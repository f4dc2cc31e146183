"""Celery: broker from CELERY_BROKER_URL, else PGMQ queues on the project's own PostgreSQL.

The default needs no extra server and still gives a real worker with acknowledgements:
kombu's PGMQ transport keeps messages in tables of the ``pgmq`` schema, invisible to
tenants (django-tenants only routes schemas it has an Organisation for).
"""

import os
from typing import Any

from celery.schedules import crontab

from tenants.libpq import libpq_dsn

from .database import DATABASES

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "pgmq://"
# PGMQ_DSN lets processes on another database (the test suite's) share one broker.
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = (
    {"conn_string": os.environ.get("PGMQ_DSN") or libpq_dsn(DATABASES["default"]),
     "init_extension": False}
    if CELERY_BROKER_URL.startswith("pgmq")
    # Redis: a broker that does not answer is given up on in seconds, not minutes.
    else {"socket_connect_timeout": 2, "socket_timeout": 5}
    if CELERY_BROKER_URL.startswith(("redis", "rediss"))
    else {}
)
# A request publishing a task gives up after about three seconds if the broker is down:
# core.tenancy.enqueue_on_commit logs it, and the schedule queues the work again later.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5,
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "fullmobs")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Europe/Paris"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = False
# Task modules not named tasks.py (which autodiscovery finds by itself).
# The lab's parts are imported by lab/tasks.py, which autodiscovery finds.
CELERY_IMPORTS = ("engagement.usage", "engagement.organisation_usage",
                  "engagement.retention", "reports.retention", "engagement.directory_tasks")
CELERY_BEAT_SCHEDULE = {
    # Evidence across organisations: counts per template, lever, audience (issue 15).
    "lab-evidence-nightly": {
        "task": "lab.evidence.tasks.publish_evidence_nightly",
        "schedule": crontab(hour=3, minute=40),
    },
    "billing-suspend-overdue-daily": {
        "task": "billing.tasks.suspend_overdue_organisations",
        "schedule": crontab(hour=3, minute=10),
    },
    "billing-usage-daily": {
        "task": "engagement.usage.report_usage_for_all_organisations",
        "schedule": crontab(hour=23, minute=30),
    },
    "billing-consultant-time-month-end": {
        "task": "billing.tasks.bill_consultant_time",
        "schedule": crontab(day_of_month=1, hour=6, minute=0),
    },
    "tenants-drop-unverified-daily": {
        "task": "tenants.tasks.drop_unverified_organisations",
        "schedule": crontab(hour=4, minute=20),
    },
    # Spare schemas for sign-ups (tenants.spare_schemas): also queued after each one taken.
    "tenants-refill-spare-schemas-every-minute": {
        "task": "tenants.tasks.refill_spare_schemas",
        "schedule": crontab(minute="*"),
        "options": {"expires": 60},
    },
    "tenants-close-due-organisations-daily": {
        "task": "tenants.tasks.close_due_organisations",
        "schedule": crontab(hour=4, minute=40),
    },
    # Personal data of inactive participants (warning, then anonymisation) and old report
    # files, each organisation's retention periods.
    "engagement-retention-daily": {
        "task": "engagement.retention.apply_retention_for_all_organisations",
        "schedule": crontab(hour=2, minute=30),
    },
    "reports-retention-daily": {
        "task": "reports.retention.delete_expired_report_files_for_all_organisations",
        "schedule": crontab(hour=2, minute=50),
    },
    # The directory of actions: each organisation's listed campaigns as they are.
    "directory-resync-every-hour": {
        "task": "engagement.directory_tasks.resync_directory_for_all_organisations",
        "schedule": crontab(minute=25),
        "options": {"expires": 60 * 60},
    },
    "refresh-usage-every-hour": {
        "task": "engagement.organisation_usage.refresh_usage_for_all_organisations",
        "schedule": crontab(minute=5),
    },
    # Lever experiments: one stored look a day at each running experiment (issue 15).
    "lab-experiment-looks-daily": {
        "task": "lab.experiments.tasks.look_at_experiments_for_all_organisations",
        "schedule": crontab(hour=5, minute=10),
    },
    # The lab's forecasts of open campaigns, and the at-risk alerts they raise.
    "lab-forecasts-every-hour": {
        "task": "lab.forecasts.tasks.refresh_forecasts_for_all_organisations",
        "schedule": crontab(minute=15),
        "options": {"expires": 60 * 60},
    },
    "lab-reference-trajectories-daily": {
        "task": "lab.forecasts.tasks.backfill_references_for_all_organisations",
        "schedule": crontab(hour=3, minute=50),
    },
    "engagement-schedule-every-5-minutes": {
        "task": "engagement.tasks.run_engagement_schedule_for_all_organisations",
        "schedule": crontab(minute="*/5"),
        # A tick not started within its own period is superseded by the next one: while
        # workers are down, ticks expire instead of piling up.
        "options": {"expires": 5 * 60},
    },
    "reports-refresh-figures-every-5-minutes": {
        "task": "reports.tasks.refresh_outdated_figures_for_all_organisations",
        "schedule": crontab(minute="2-59/5"),
        "options": {"expires": 5 * 60},
    },
    "reports-requeue-stuck-every-5-minutes": {
        "task": "reports.tasks.requeue_stuck_reports_for_all_organisations",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 5 * 60},
    },
}
