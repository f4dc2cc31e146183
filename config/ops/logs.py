"""JSON log lines (``LOG_FORMAT=json``, the production default), each carrying where it
comes from: ``request_id`` and ``schema`` (the organisation) for the web, ``task_id``,
``request_id`` (of the request that queued the task) and ``schema`` for the worker.

Development keeps Django's readable lines unless ``LOG_FORMAT=json``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from .context import current_schema_or_none, request_id_var, task_id_var
from .scrub import scrub_text

CONTEXT_FIELDS = ("request_id", "task_id", "schema")


class ContextFilter(logging.Filter):
    """Adds the request id, the task id and the schema to every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.task_id = task_id_var.get() or _celery_task_id()
        try:
            record.schema = current_schema_or_none()
        except Exception:  # before Django is set up: nothing to say
            record.schema = None
        return True


def _celery_task_id() -> str | None:
    # A line written by Celery itself around the task, outside the prerun/postrun window.
    try:
        from celery import current_task
    except ImportError:  # pragma: no cover
        return None
    task = current_task._get_current_object() if current_task else None
    return getattr(getattr(task, "request", None), "id", None) if task else None


class JsonFormatter(_JsonFormatter):
    """One JSON object per line: time (ISO 8601, UTC), level, logger, message, the context
    fields, then whatever ``extra`` the call gave, and the traceback as ``exc_info``."""

    def converter(self, timestamp: float | None) -> time.struct_time:
        return time.gmtime(timestamp)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", ["asctime", "levelname", "name", "message", *CONTEXT_FIELDS])
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level",
                                            "name": "logger"})
        kwargs.setdefault("datefmt", "%Y-%m-%dT%H:%M:%SZ")
        super().__init__(*args, **kwargs)

    def formatException(self, ei: Any) -> Any:  # noqa: N802  (logging's name)
        # Tracebacks quote refused rows and values: scrubbed as Django's request lines are
        # (a list of lines when the formatter is asked for one).
        text = super().formatException(ei)
        return [scrub_text(line) for line in text] if isinstance(text, list) \
            else scrub_text(text)

    def add_fields(self, log_record: dict[str, Any], record: logging.LogRecord,
                   message_dict: dict[str, Any]) -> None:
        # Records that did not pass through ContextFilter (a handler of its own) still say
        # where they come from.
        if not hasattr(record, "request_id"):
            ContextFilter().filter(record)
        super().add_fields(log_record, record, message_dict)


def configure_worker_logging(**kwargs) -> None:
    """Celery's ``setup_logging``: the worker logs through Django's LOGGING (JSON lines)
    instead of installing its own format."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
