"""What every log line and error report says about where it comes from: the request id
(web) or the task id (worker), and the request id a task was queued from.

Held in context variables, so that each thread or task of a process has its own; the
organisation's schema is read from the connection when a line is written (django-tenants
sets it for the request or the task).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar, Token

access_logger = logging.getLogger("fullmobs.access")
# Probes and scrapes arrive every few seconds from machines: no access line for them.
QUIET_PATHS = ("/health/", "/metrics")

request_id_var: ContextVar[str | None] = ContextVar("fullmobs_request_id", default=None)
task_id_var: ContextVar[str | None] = ContextVar("fullmobs_task_id", default=None)

REQUEST_ID_HEADER = "X-Request-ID"
# The request id a task was queued from travels in this message header.
TASK_REQUEST_ID_HEADER = "fullmobs_request_id"
# A proxy's id (nginx's $request_id, Caddy's {http.request.uuid}, a load balancer's) is kept
# when it is a plain token; anything else a client wrote is replaced, so that log lines
# never carry a forged or oversized value.
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


def request_id_from(value: str | None) -> str:
    if value and _ACCEPTABLE_ID.match(value):
        return value
    return uuid.uuid4().hex


def current_schema_or_none() -> str | None:
    """The schema the default connection is set to, without touching the database."""
    from django.db import connection

    return getattr(connection, "schema_name", None)


class RequestIdMiddleware:
    """Outermost: gives the request its id (the proxy's ``X-Request-ID`` or a new one),
    for every log line written while it is served and for the tasks it queues, and returns
    it in the response's ``X-Request-ID``."""

    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        self.access_log = getattr(settings, "ACCESS_LOG", False)

    def __call__(self, request):
        request_id = request_id_from(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            if self.access_log and not request.path_info.startswith(QUIET_PATHS):
                _log_access(request, response, time.monotonic() - started)
        finally:
            request_id_var.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


def _log_access(request, response, duration: float) -> None:
    # The route's pattern rather than the path: paths carry signed tokens (/me/<token>/).
    match = getattr(request, "resolver_match", None)
    route = f"/{match.route}" if match is not None and match.route else None
    if route is None:
        from .scrub import scrub_text

        route = scrub_text(request.path)
    access_logger.info("%s %s %s", request.method, route, response.status_code,
                       extra={"method": request.method, "route": route,
                              "status": response.status_code,
                              "duration_ms": round(duration * 1000, 1)})


# ---- Celery: the request id rides along with the task ------------------------------------

def stamp_request_id(headers=None, **kwargs) -> None:
    """``before_task_publish``: the message carries the id of the request (or of the task)
    that queued it."""
    request_id = request_id_var.get()
    if headers is not None and request_id and TASK_REQUEST_ID_HEADER not in headers:
        headers[TASK_REQUEST_ID_HEADER] = request_id


# Tokens of the values a task replaced, by task id: a task run eagerly inside a request (the
# tests, ``apply()``) gives the request its own id back when it ends.
_replaced: dict[str, tuple[Token[str | None], Token[str | None]]] = {}


def enter_task(task_id=None, task=None, **kwargs) -> None:
    """``task_prerun``: the task's own id and the request id it was queued from, for its
    log lines (and for the tasks it queues in turn)."""
    outer_request_id = request_id_var.get()
    queued_from = _header(task, TASK_REQUEST_ID_HEADER) if task else None
    _replaced[task_id] = (task_id_var.set(task_id),
                          request_id_var.set(queued_from or outer_request_id))


def leave_task(task_id=None, **kwargs) -> None:
    """``task_postrun``: what was current before the task is current again."""
    tokens = _replaced.pop(task_id, None)
    if tokens is None:
        task_id_var.set(None)
        request_id_var.set(None)
        return
    task_token, request_token = tokens
    try:
        request_id_var.reset(request_token)
        task_id_var.reset(task_token)
    except ValueError:  # a pool running postrun in another context than prerun
        task_id_var.set(None)
        request_id_var.set(None)


def _header(task, name: str) -> str | None:
    # Where tenant-schemas-celery reads its schema header too: custom headers are in
    # ``request.headers`` or, depending on the protocol, attributes of the request.
    headers = task.request.headers
    if headers and name in headers:
        return headers[name]
    return task.request.get(name)
