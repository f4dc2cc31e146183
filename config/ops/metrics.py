"""Prometheus metrics: django-prometheus's request metrics, the workers' task latency and
failures, and, read at scrape time, the broker's queue depths, the outbox's backlog, the
reports waiting to be rendered and the spare schemas ready for sign-ups.

**Several processes.** gunicorn's workers and Celery's pool children each count their own
requests and tasks. With ``PROMETHEUS_MULTIPROC_DIR`` set (``python -m config.prod`` sets it
for the web and the worker), every process writes its counters to files there and a scrape
adds them up (prometheus_client's multiprocess mode); the directory is emptied when the
service starts. The web's ``/metrics`` shows the web processes' metrics plus the gauges read
at scrape time; a worker started with ``WORKER_METRICS_PORT`` serves its tasks' metrics on
that port (``/metrics``).
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

# Tasks range from an e-mail (tens of milliseconds) to a report at a million pledges (a
# minute): buckets up to ten minutes.
TASK_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)

TASK_DURATION = Histogram("fullmobs_celery_task_duration_seconds",
                          "Time a task took to run in the worker, by task.", ["task"],
                          buckets=TASK_BUCKETS)
TASK_QUEUE_WAIT = Histogram("fullmobs_celery_task_queue_wait_seconds",
                            "Time from publishing to the start of the run (tasks without an "
                            "ETA or countdown), by task.", ["task"], buckets=TASK_BUCKETS)
TASK_FAILURES = Counter("fullmobs_celery_task_failures",
                        "Tasks that ended in an exception (a retry is not a failure), by task.",
                        ["task"])
TASK_RETRIES = Counter("fullmobs_celery_task_retries", "Tasks that asked to be retried, by task.",
                       ["task"])

PUBLISHED_AT_HEADER = "fullmobs_published_at"
_started: dict[str, float] = {}


# ---- Celery signals (connected in config/celery.py) ---------------------------------------

def stamp_published_at(headers=None, **kwargs) -> None:
    if headers is not None:
        headers.setdefault(PUBLISHED_AT_HEADER, time.time())


def task_started(task_id=None, task=None, **kwargs) -> None:
    _started[task_id] = time.monotonic()
    if task is None or task.request.eta:
        return
    from .context import _header

    published = _header(task, PUBLISHED_AT_HEADER)
    if published is not None and not task.request.retries:
        TASK_QUEUE_WAIT.labels(task=task.name).observe(max(0.0, time.time() - float(published)))


def task_finished(task_id=None, task=None, **kwargs) -> None:
    started = _started.pop(task_id, None)
    if started is not None and task is not None:
        TASK_DURATION.labels(task=task.name).observe(time.monotonic() - started)


def task_failed(sender=None, **kwargs) -> None:
    TASK_FAILURES.labels(task=getattr(sender, "name", "unknown")).inc()


def task_retried(sender=None, **kwargs) -> None:
    TASK_RETRIES.labels(task=getattr(sender, "name", "unknown")).inc()


def worker_process_exited(**kwargs) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(os.getpid())


def serve_worker_metrics(**kwargs) -> None:
    """``worker_init``: the worker's own ``/metrics`` on ``WORKER_METRICS_PORT``, when set."""
    port = os.environ.get("WORKER_METRICS_PORT")
    if not port:
        return
    from prometheus_client import start_http_server

    address = os.environ.get("WORKER_METRICS_ADDRESS", "0.0.0.0")  # noqa: S104 (its container)
    start_http_server(int(port), addr=address, registry=_process_registry())
    logger.info("Worker metrics served on %s:%s", address, port)


# ---- read at scrape time ------------------------------------------------------------------

class BacklogCollector(Collector):
    """Gauges read when Prometheus scrapes: queue depths from the broker, the outbox's
    queued e-mails and the reports waiting, across every organisation in one query."""

    def collect(self):
        yield from _queue_depths()
        yield from _tenant_backlogs()
        yield from _spare_schemas()


def _queue_depths():
    from celery import current_app as app
    from django.conf import settings

    depth = GaugeMetricFamily("fullmobs_celery_queue_depth",
                              "Messages waiting in the broker, by queue.", labels=["queue"])
    up = GaugeMetricFamily("fullmobs_broker_up", "1 if the broker answered this scrape.")
    queues = getattr(settings, "METRICS_CELERY_QUEUES", None) or [
        settings.CELERY_TASK_DEFAULT_QUEUE]
    try:
        from kombu.exceptions import ChannelError

        with app.pool.acquire(block=True, timeout=2) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
            for queue in queues:
                try:
                    count = conn.default_channel.queue_declare(queue=queue, passive=True)[1]
                except ChannelError:
                    count = 0  # never declared: nothing was ever queued there
                depth.add_metric([queue], count)
    except Exception as exc:  # the scrape still answers with everything else
        logger.warning("Queue depths not read: %s: %s", type(exc).__name__, exc)
        up.add_metric([], 0)
    else:
        up.add_metric([], 1)
    yield depth
    yield up


SCHEMAS_PER_QUERY = 50
OUTBOX_BRANCH = ("SELECT 'outbox' AS kind, count(*) AS n, min(created_at) AS oldest "
                 "FROM {table} WHERE status = 'queued'")
REPORTS_BRANCH = ("SELECT 'report_' || status, count(*), min(requested_at) FROM {table} "
                  "WHERE status IN ('queued', 'rendering') GROUP BY status")


def tenant_backlogs() -> dict[str, tuple[int, Any]]:
    """``{kind: (count, oldest)}`` for the outbox's queued e-mails ("outbox") and the
    reports waiting ("report_queued", "report_rendering"), over every organisation's schema.

    Two queries (the organisations, and which of their schemas have the tables: one being
    provisioned may not yet), then one ``UNION ALL`` per ``SCHEMAS_PER_QUERY`` schemas, each
    branch on the tables' ``(status, …)`` indexes."""
    from django.db import connection
    from django_tenants.utils import get_tenant_model, schema_context

    from engagement.models import OutboundEmail
    from reports.models import Report

    outbox, reports = OutboundEmail._meta.db_table, Report._meta.db_table
    with schema_context("public"):
        schemas = list(get_tenant_model().objects.ready().values_list("schema_name", flat=True))
        if not schemas:
            return {}
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relname = %s AND n.nspname = ANY(%s) AND EXISTS ("
                "  SELECT 1 FROM pg_class r WHERE r.relname = %s AND r.relnamespace = n.oid)",
                [outbox, schemas, reports])
            present = [name for (name,) in cursor.fetchall()]
            if not present:
                return {}
            quote = connection.ops.quote_name
            totals: dict[str, tuple[int, Any]] = {}
            # Names quoted by the backend; the schemas come from the catalogue just read. A
            # UNION of hundreds of branches costs more to plan than to run: batches of
            # SCHEMAS_PER_QUERY (bench/metrics_scrape.py, docs/performance.md).
            for start in range(0, len(present), SCHEMAS_PER_QUERY):
                union = " UNION ALL ".join(
                    OUTBOX_BRANCH.format(table=f"{quote(schema)}.{quote(outbox)}") + " UNION ALL "
                    + REPORTS_BRANCH.format(table=f"{quote(schema)}.{quote(reports)}")
                    for schema in present[start:start + SCHEMAS_PER_QUERY])
                cursor.execute(f"SELECT kind, sum(n)::bigint, min(oldest) FROM ({union}) AS b "  # noqa: S608
                               "GROUP BY kind")
                for kind, count, oldest in cursor.fetchall():
                    before, earliest = totals.get(kind, (0, None))
                    totals[kind] = (before + int(count),
                                    min(filter(None, (earliest, oldest)), default=None))
            return totals


def _tenant_backlogs():
    from django.utils import timezone

    outbox = GaugeMetricFamily("fullmobs_outbox_queued_emails",
                               "E-mails queued in the outbox, all organisations together.")
    outbox_age = GaugeMetricFamily("fullmobs_outbox_oldest_queued_age_seconds",
                                   "Age of the oldest queued e-mail (0 when none).")
    reports = GaugeMetricFamily("fullmobs_reports_waiting",
                                "PDF reports not rendered yet, by status.", labels=["status"])
    reports_age = GaugeMetricFamily("fullmobs_reports_oldest_waiting_age_seconds",
                                    "Age of the oldest report waiting (0 when none).")
    try:
        backlogs = tenant_backlogs()
    except Exception as exc:
        logger.warning("Backlogs not read: %s: %s", type(exc).__name__, exc)
        return
    now = timezone.now()

    def age(*kinds: str) -> float:
        oldest = [backlogs[k][1] for k in kinds if k in backlogs and backlogs[k][1]]
        return (now - min(oldest)).total_seconds() if oldest else 0.0

    outbox.add_metric([], backlogs.get("outbox", (0, None))[0])
    outbox_age.add_metric([], age("outbox"))
    for status in ("queued", "rendering"):
        reports.add_metric([status], backlogs.get(f"report_{status}", (0, None))[0])
    reports_age.add_metric([], age("report_queued", "report_rendering"))
    yield from (outbox, outbox_age, reports, reports_age)


def _spare_schemas():
    """The pool of spare schemas for sign-ups (tenants.spare_schemas): ready ones against the
    target; stale ones wait for the next refill to drop them. Ready at 0 for more than a
    minute or two means sign-ups are cloning (slower) and the refill task is not running."""
    from django.conf import settings
    from django_tenants.utils import schema_context

    from tenants.spare_schemas import spare_schema_counts

    pool = GaugeMetricFamily("fullmobs_spare_schemas",
                             "Spare schemas cloned ahead for sign-ups, by state (ready: at the "
                             "template's migration state; stale: to be dropped).",
                             labels=["state"])
    target = GaugeMetricFamily("fullmobs_spare_schemas_target",
                               "Spare schemas the pool is kept at (SPARE_SCHEMAS).")
    try:
        with schema_context("public"):
            ready, stale = spare_schema_counts()
    except Exception as exc:
        logger.warning("Spare schemas not counted: %s: %s", type(exc).__name__, exc)
        return
    pool.add_metric(["ready"], ready)
    pool.add_metric(["stale"], stale)
    target.add_metric([], settings.SPARE_SCHEMAS)
    yield from (pool, target)


def _process_registry() -> CollectorRegistry:
    """This process's metrics, or every process's in multiprocess mode."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not path:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=path)
    return registry


def exposition() -> tuple[bytes, str]:
    """The web's ``/metrics``: its processes' metrics, then the gauges read now."""
    backlog = CollectorRegistry(auto_describe=False)
    backlog.register(BacklogCollector())
    return generate_latest(_process_registry()) + generate_latest(backlog), CONTENT_TYPE_LATEST
