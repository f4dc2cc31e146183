"""``/health/live``, ``/health/ready`` and ``/metrics``, answered before anything else.

Served on every host (the public site, any organisation's sub-domain, or the bare address a
container's health check uses) by a middleware placed before the security middleware and
the organisation lookup: no tenant query, no session, no CSRF, no HTTPS redirect and no
``ALLOWED_HOSTS`` check, so that a probe costs what its checks cost and nothing else.

- ``/health/live``: the process answers. No dependency is touched: a restart would not
  mend a database that is down, so liveness must not fail with it.
- ``/health/ready``: the database, the cache and the broker each answer; otherwise 503 with
  the JSON naming what failed. Load balancers stop sending traffic to the process.
- ``/metrics``: Prometheus text (config/ops/metrics.py), to a bearer of ``METRICS_TOKEN``,
  or, without a token configured, to loopback clients only.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Callable
from contextlib import suppress

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

LIVE_PATH = "/health/live"
READY_PATH = "/health/ready"
METRICS_PATH = "/metrics"
HEALTH_CACHE_KEY = "fullmobs:health:ready"


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_cache() -> None:
    from django.core.cache import caches

    cache = caches["default"]
    cache.set(HEALTH_CACHE_KEY, "ok", 30)
    if cache.get(HEALTH_CACHE_KEY) != "ok":
        raise RuntimeError("the cache did not return what was just stored")


def check_broker() -> None:
    """A round trip to the broker: the default queue declared passively (a missing queue
    still proves the broker answered)."""
    from celery import current_app as app
    from kombu.exceptions import ChannelError

    # The producer pool: a probe every few seconds reuses its connection.
    with app.pool.acquire(block=True, timeout=2) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
        with suppress(ChannelError):
            conn.default_channel.queue_declare(queue=settings.CELERY_TASK_DEFAULT_QUEUE,
                                               passive=True)


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
}


def readiness() -> tuple[bool, dict[str, str]]:
    """Every check's outcome: "ok", or the error's class name (details go to the log, not
    to an unauthenticated answer)."""
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # any failure at all means "not ready"
            logger.warning("Readiness check %s failed: %s: %s", name, type(exc).__name__, exc)
            results[name] = type(exc).__name__
        else:
            results[name] = "ok"
    return all(value == "ok" for value in results.values()), results


def live_view(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


def ready_view(request: HttpRequest) -> HttpResponse:
    ready, results = readiness()
    failed = sorted(name for name, value in results.items() if value != "ok")
    response = JsonResponse({"status": "ok" if ready else "unavailable", "checks": results,
                             "failed": failed}, status=200 if ready else 503)
    # Each failed check is logged once as a warning above; Django's own ERROR line for the
    # 503 would become a Sentry event at every probe (every few seconds) while it lasts.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def metrics_allowed(request: HttpRequest) -> bool:
    token = getattr(settings, "METRICS_TOKEN", "")
    if token:
        given = request.META.get("HTTP_AUTHORIZATION", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def metrics_view(request: HttpRequest) -> HttpResponse:
    from .metrics import exposition

    if not metrics_allowed(request):
        # 404, as for any path that does not exist: a scanner learns nothing.
        return HttpResponse(status=404)
    body, content_type = exposition()
    return HttpResponse(body, content_type=content_type)


VIEWS: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    LIVE_PATH: live_view, f"{LIVE_PATH}/": live_view,
    READY_PATH: ready_view, f"{READY_PATH}/": ready_view,
    METRICS_PATH: metrics_view, f"{METRICS_PATH}/": metrics_view,
}


class OperationsMiddleware:
    """Answers the probes and the metrics scrape itself (see the module's docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        view = VIEWS.get(request.path_info)
        if view is None or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        # The thread's connection may still be on the previous request's organisation: the
        # probe's log lines say "public", not that organisation (no query until one is run).
        connection.set_schema_to_public()
        response = view(request)
        # Answered before SecurityMiddleware, which would have added this header.
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response
