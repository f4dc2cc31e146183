"""JSON log lines from the web carry the request id (the proxy's, or a new one returned in
X-Request-ID) and the organisation's schema."""

from __future__ import annotations

import io
import json
import logging
import re
from contextlib import contextmanager

from django.test import override_settings

from config.ops.logs import ContextFilter, JsonFormatter

from ..conftest import host_of, tenant_client


@contextmanager
def json_log():
    """The production handler (LOG_FORMAT=json), on the root logger, into a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    saved = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(saved)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(text) for text in stream.getvalue().splitlines()]


@override_settings(ACCESS_LOG=True)
def test_a_request_s_lines_carry_its_id_and_its_organisation(org_a, owner_a):
    client = tenant_client(org_a, owner_a)
    with json_log() as stream:
        logging.getLogger("before").info("a line before the request")
        response = client.get("/campaigns/nowhere-at-all/", HTTP_X_REQUEST_ID="lb-4f2a9c0e11")
    assert response.status_code == 404
    assert response["X-Request-ID"] == "lb-4f2a9c0e11"
    written = [line for line in lines(stream) if line["request_id"] == "lb-4f2a9c0e11"]
    assert written and "fullmobs.access" in {line["logger"] for line in written}, written
    for line in written:
        assert line["schema"] == org_a.schema_name
        assert line["task_id"] is None
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", line["time"])
    # Outside the request, a line carries no request id.
    assert lines(stream)[0]["request_id"] is None
    access = next(line for line in written if line["logger"] == "fullmobs.access")
    assert access["status"] == 404 and access["method"] == "GET"


@override_settings(ACCESS_LOG=True)
def test_a_request_without_a_usable_id_gets_a_new_one(org_a, owner_a):
    client = tenant_client(org_a, owner_a)
    with json_log() as stream:
        first = client.get("/campaigns/", HTTP_X_REQUEST_ID="not a token; DROP TABLE")
        second = client.get("/campaigns/")
    ids = {first["X-Request-ID"], second["X-Request-ID"]}
    assert len(ids) == 2 and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert {line["request_id"] for line in lines(stream)} == ids


@override_settings(ACCESS_LOG=True)
def test_the_access_line_names_the_route_not_the_signed_link(org_a):
    client = tenant_client(org_a)
    token = "eyJwIjoxMjN9:1vQx7a:Zr8TnW4yHs6DcF1gBa5eUo0iRtXwYqPzN3jMv"
    with json_log() as stream:
        client.get(f"/me/{token}/", HTTP_HOST=host_of(org_a))
    access = [line for line in lines(stream) if line["logger"] == "fullmobs.access"]
    assert len(access) == 1
    assert access[0]["route"] == "/me/<str:token>/"
    assert token not in json.dumps(access[0])


@override_settings(ACCESS_LOG=True)
def test_probes_and_scrapes_write_no_access_line(org_a):
    client = tenant_client(org_a)
    with json_log() as stream:
        response = client.get("/health/live")
        client.get("/metrics")
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    assert not [line for line in lines(stream) if line["logger"] == "fullmobs.access"]


def test_a_task_run_eagerly_inside_a_request_keeps_its_request_id_and_gives_it_back(
        eager, org_a):
    from django_tenants.utils import tenant_context

    from config.ops.context import request_id_var, task_id_var
    from engagement.tasks import run_engagement_schedule

    seen = {}

    def during(task_id=None, **kwargs):
        seen.update(task=task_id_var.get(), request=request_id_var.get())

    from celery import signals

    # After config.celery's own receiver (connected first): what the task's lines carry.
    signals.task_prerun.connect(during, weak=False)
    token = request_id_var.set("outer-request-0001")
    try:
        with tenant_context(org_a):
            result = run_engagement_schedule.delay()
        assert request_id_var.get() == "outer-request-0001"
        assert task_id_var.get() is None
    finally:
        request_id_var.reset(token)
        signals.task_prerun.disconnect(during)
    assert seen == {"task": result.id, "request": "outer-request-0001"}
