"""/health/live, /health/ready and /metrics: on every host, before any organisation lookup,
session or CSRF; readiness names the dependency that failed."""

from __future__ import annotations

import json
import logging
import re

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from config.celery import app
from engagement.models import OutboundEmail
from reports.models import Report

from ..conftest import free_port, host_of

HOSTS = ["fullmobs-web:8000", "10.0.0.7:8000", "localhost"]


@pytest.fixture
def hosts(org_a) -> list[str]:
    # The public site, an organisation, an unknown host, a bare address (a container probe):
    # none of them is in the way.
    return [settings.BASE_DOMAIN, host_of(org_a), "nobody." + settings.BASE_DOMAIN, *HOSTS]


def test_liveness_answers_on_every_host_without_touching_the_database(hosts):
    for host in hosts:
        with CaptureQueriesContext(connection) as queries:
            response = Client(HTTP_HOST=host).get("/health/live")
        assert response.status_code == 200, host
        assert response.json() == {"status": "ok"}
        assert len(queries) == 0, (host, [q["sql"] for q in queries])
        assert "Set-Cookie" not in response.headers
        assert response["Cache-Control"] == "no-store"


def test_readiness_checks_database_cache_and_broker_without_an_organisation_lookup(hosts):
    for host in hosts:
        with CaptureQueriesContext(connection) as queries:
            response = Client(HTTP_HOST=host).get("/health/ready")
        assert response.status_code == 200, (host, response.content)
        assert response.json() == {"status": "ok", "failed": [],
                                   "checks": {"database": "ok", "cache": "ok", "broker": "ok"}}
        sql = " ".join(q["sql"] for q in queries)
        assert "tenants_organisation" not in sql and "tenants_domain" not in sql
        assert "django_session" not in sql


def test_probes_need_no_session_and_no_csrf_token(org_a, owner_a):
    client = Client(HTTP_HOST=host_of(org_a), enforce_csrf_checks=True)
    client.force_login(owner_a)
    response = client.head("/health/ready")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_readiness_is_503_naming_the_cache_when_redis_does_not_answer(db, caplog):
    closed = free_port()  # nothing listens there
    broken = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": f"redis://127.0.0.1:{closed}/0",
                          "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}}
    with override_settings(CACHES=broken):
        response = Client(HTTP_HOST="fullmobs-web:8000").get("/health/ready")
    # One warning naming the check (with the address, for the operator); no ERROR line,
    # which Sentry would turn into an event at every probe.
    warnings = [r for r in caplog.records if r.name == "config.ops.health"]
    assert len(warnings) == 1 and "cache" in warnings[0].getMessage()
    assert str(closed) in warnings[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["status"] == "unavailable"
    assert body["failed"] == ["cache"]
    assert body["checks"]["cache"] == "ConnectionError"
    assert body["checks"]["database"] == body["checks"]["broker"] == "ok"
    # The answer names what failed, not where it is (the address stays in the log).
    assert str(closed) not in response.content.decode()


def test_a_path_starting_like_a_probe_is_not_a_probe(org_a, owner_a):
    client = Client(HTTP_HOST=host_of(org_a))
    client.force_login(owner_a)
    assert client.get("/health/liveness").status_code == 404
    assert client.post("/health/live").status_code in (403, 404, 405)


# ---- /metrics ---------------------------------------------------------------------------

def metric(text: str, name: str, **labels: str) -> float | None:
    """The value of the sample ``name`` with exactly these labels (in any order)."""
    for match in re.finditer(rf"^{re.escape(name)}(?:\{{(.*)\}})? (\S+)$", text, re.MULTILINE):
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(1) or ""))
        if found == labels:
            return float(match.group(2))
    return None


def test_metrics_are_served_to_loopback_only_without_a_token(db):
    inside = Client(HTTP_HOST="fullmobs-web:8000", REMOTE_ADDR="127.0.0.1").get("/metrics")
    assert inside.status_code == 200
    assert inside["Content-Type"].startswith("text/plain")
    outside = Client(HTTP_HOST=settings.BASE_DOMAIN, REMOTE_ADDR="203.0.113.9").get("/metrics")
    assert outside.status_code == 404


@override_settings(METRICS_TOKEN="scrape-token-for-tests-0123456789")
def test_metrics_with_a_token_answer_its_bearer_only(db):
    client = Client(HTTP_HOST="fullmobs-web:8000", REMOTE_ADDR="10.1.2.3")
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    # With a token, loopback is not enough either: the proxy may connect from there.
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 404
    response = client.get("/metrics",
                          HTTP_AUTHORIZATION="Bearer scrape-token-for-tests-0123456789")
    assert response.status_code == 200


def queue_email(organisation, n: int) -> None:
    with tenant_context(organisation):
        for i in range(n):
            OutboundEmail.objects.create(kind="test", dedupe_key=f"ops-{i}",
                                         to_email=f"p{i}@example.org", subject="s", body="b")
        OutboundEmail.objects.create(kind="test", dedupe_key="ops-sent", to_email="s@x.org",
                                     subject="s", body="b", status=OutboundEmail.Status.SENT)


def test_metrics_count_the_outbox_and_the_reports_of_every_organisation_in_one_query(
        org_a, org_b, owner_a):
    queue_email(org_a, 3)
    queue_email(org_b, 2)
    with tenant_context(org_a):
        for title, status in (("Annual", Report.Status.QUEUED), ("Q1", Report.Status.RENDERING),
                              ("Q2", Report.Status.READY)):
            Report.objects.create(scope=Report.Scope.PERIOD, title=title, status=status,
                                  period_start="2026-01-01", period_end="2026-12-31",
                                  requested_by=owner_a)
    with CaptureQueriesContext(connection) as queries:
        text = Client(HTTP_HOST=settings.BASE_DOMAIN).get("/metrics").content.decode()
    assert metric(text, "fullmobs_outbox_queued_emails") == 5
    assert metric(text, "fullmobs_outbox_oldest_queued_age_seconds") >= 0
    assert metric(text, "fullmobs_reports_waiting", status="queued") == 1
    assert metric(text, "fullmobs_reports_waiting", status="rendering") == 1
    # One query reads every organisation's outbox, whatever their number.
    outbox_queries = [q for q in queries
                      if f'."{OutboundEmail._meta.db_table}"' in q["sql"]]
    assert len(outbox_queries) == 1
    assert f'"{org_a.schema_name}"' in outbox_queries[0]["sql"]
    assert f'"{org_b.schema_name}"' in outbox_queries[0]["sql"]
    # The backlogs: three reads (the spare schemas' gauge reads the template's migration
    # state and counts the pool apart, a fixed three more).
    reads = [q["sql"] for q in queries if not q["sql"].startswith("SET search_path")
             and settings.TENANT_TEMPLATE_SCHEMA not in q["sql"]
             and "tenants_spareschema" not in q["sql"]]
    assert len(reads) == 3, reads
    assert len(queries) - len(reads) <= 3 + sum(
        q["sql"].startswith("SET search_path") for q in queries)


def test_metrics_show_the_request_counters_and_the_queue_depth_from_the_broker(org_a):
    queue = f"ops-depth-{free_port()}"
    with app.producer_or_acquire() as producer:
        for _ in range(2):
            app.send_task("engagement.tasks.run_engagement_schedule", queue=queue,
                          producer=producer)
    try:
        with override_settings(METRICS_CELERY_QUEUES=[queue, "never-declared"]):
            Client(HTTP_HOST=host_of(org_a)).get("/health/live")
            text = Client().get("/metrics").content.decode()
        assert metric(text, "fullmobs_celery_queue_depth", queue=queue) == 2
        assert metric(text, "fullmobs_celery_queue_depth", queue="never-declared") == 0
        assert metric(text, "fullmobs_broker_up") == 1
        assert metric(text, "django_http_requests_total_by_method_total", method="GET") >= 1
    finally:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)
