"""A real worker started as in production (``python -m config.prod worker``): its lines are
JSON carrying the task's id, its organisation's schema and the id of the request that queued
it; its own /metrics counts the tasks' latency and failures."""

from __future__ import annotations

import json
import uuid

import pytest
import requests
from django_tenants.utils import tenant_context

from config.broker import ensure_configured_broker
from config.celery import app
from config.ops.context import request_id_var
from core.tenancy import enqueue_on_commit
from tenants.models import Organisation

from ..conftest import PYTHON, child_env, free_port, running, wait_for
from .test_health import metric

pytestmark = pytest.mark.worker

TASK = "engagement.tasks.run_engagement_schedule"


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock():
        ensure_configured_broker()
    folder = tmp_path_factory.mktemp("ops-worker")
    port = free_port()
    env = child_env(LOG_FORMAT="json", WORKER_METRICS_PORT=str(port),
                    WORKER_METRICS_ADDRESS="127.0.0.1",
                    PROMETHEUS_MULTIPROC_DIR=str(folder / "metrics"))
    cmd = [PYTHON, "-m", "config.prod", "worker", "--pool", "solo", "--without-heartbeat",
           "--without-gossip", "--without-mingle"]
    log = folder / "worker.log"
    with running(cmd, env, log) as process:
        ready = wait_for(lambda: "ready" in log.read_text() or process.poll() is not None, 90)
        assert ready and process.poll() is None, log.read_text()
        yield log, port


def json_lines(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


@pytest.fixture
def organisation(committed) -> Organisation:
    return Organisation.objects.get(slug="testco")


def test_task_lines_carry_the_task_id_the_schema_and_the_request_id(worker, organisation):
    log, _ = worker
    request_id = f"req-{uuid.uuid4().hex}"
    token = request_id_var.set(request_id)
    try:
        with tenant_context(organisation):
            enqueue_on_commit(TASK)
    finally:
        request_id_var.reset(token)

    def finished():
        return [line for line in json_lines(log.read_text())
                if line.get("request_id") == request_id and "succeeded" in line["message"]]

    lines = wait_for(finished, 60)
    assert lines, log.read_text()[-3000:]
    line = lines[0]
    assert line["schema"] == organisation.schema_name
    assert line["task_id"] and line["task_id"] in line["message"]
    assert line["logger"] == "celery.app.trace"
    assert line["level"] == "INFO" and line["time"].endswith("Z")
    # Once the worker is ready, every line it writes is JSON (its banner is printed before).
    rest = log.read_text().split(" ready.", 1)[1].splitlines()[1:]
    assert rest and all(text.startswith("{") for text in rest if text.strip()), rest[:5]


def test_worker_metrics_count_latency_and_failures(worker, organisation):
    _, port = worker
    url = f"http://127.0.0.1:{port}/metrics"
    with tenant_context(organisation):
        enqueue_on_commit(TASK)
    # A call the task cannot take: it fails in the worker (send_task skips the caller's check).
    app.send_task(TASK, args=[1], headers={"_schema_name": organisation.schema_name})

    def counted():
        text = requests.get(url, timeout=5).text
        done = metric(text, "fullmobs_celery_task_duration_seconds_count", task=TASK) or 0
        failed = metric(text, "fullmobs_celery_task_failures_total", task=TASK) or 0
        return text if done >= 2 and failed >= 1 else None

    text = wait_for(counted, 60)
    assert text, requests.get(url, timeout=5).text
    assert metric(text, "fullmobs_celery_task_failures_total", task=TASK) == 1
    assert metric(text, "fullmobs_celery_task_queue_wait_seconds_count", task=TASK) >= 2
    assert metric(text, "fullmobs_celery_task_duration_seconds_bucket", task=TASK,
                  le="+Inf") >= 2
