"""Tenant plumbing: the organisation a piece of code runs for, work queued in its schema,
and the beat's fan-out over every organisation.

The tenant model is reached through django-tenants (``get_tenant_model``), never imported,
so that this module stays below every app.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import connection, transaction
from django_tenants.utils import get_tenant_model, schema_context, tenant_context
from kombu.exceptions import OperationalError as BrokerUnavailable

logger = logging.getLogger(__name__)


def current_schema() -> str:
    """The schema the connection is set to (django-tenants' backend, which the type stubs
    do not know)."""
    return str(connection.schema_name)  # type: ignore[attr-defined]


def on_public_schema() -> bool:
    """Whether the connection is on the public schema (the public site, the beat)."""
    return current_schema() == settings.PUBLIC_SCHEMA_NAME


def current_organisation() -> Any:
    """The organisation whose schema the connection is set to: the tenant that the
    middleware or ``tenant_context`` set, or else read by its schema name."""
    model = get_tenant_model()
    tenant = getattr(connection, "tenant", None)
    schema = current_schema()
    if isinstance(tenant, model) and tenant.pk and tenant.schema_name == schema:
        return tenant
    return model.objects.get(schema_name=schema)


def enqueue_on_commit(task: Any, *args: Any, **options: Any) -> None:
    """Queue ``task(*args)`` once the current transaction commits, in the schema of the
    transaction that asked for it.

    ``task`` is a Celery task or its registered name ("engagement.tasks.send_outbound_email"):
    a service names the task instead of importing the module that imports the service.

    The schema is read now, not when the transaction commits, so the worker opens the rows
    in the organisation that wrote them whatever the connection does meanwhile. ``options``
    go to ``apply_async`` (``countdown``, ``queue``...).

    A broker that is down or unreachable does not fail the request whose rows are already
    committed: the refusal is logged and the message is not sent. The work is not lost:
    the rows it concerns are committed, and the schedule's safety nets (stalled e-mails,
    pledges without their notice, stuck reports, outdated figures) queue it again once the
    broker is back. Publishing gives up quickly (``CELERY_BROKER_CONNECTION_TIMEOUT``,
    ``CELERY_TASK_PUBLISH_RETRY_POLICY``), so a request never hangs on it."""
    schema = current_schema()
    headers = {"_schema_name": schema}

    def queue() -> None:
        name = task if isinstance(task, str) else getattr(task, "name", repr(task))
        try:
            target = _registered(task) if isinstance(task, str) else task
            target.apply_async(args=list(args), headers=headers, **options)
        except (BrokerUnavailable, OSError) as exc:
            logger.error("Broker unavailable: %s%r for schema %s not queued (%s: %s); the "
                         "schedule will queue the work again.", name, tuple(args), schema,
                         type(exc).__name__, exc)

    transaction.on_commit(queue)


def _registered(name: str) -> Any:
    """The task registered under ``name``. A web process has not imported the apps' task
    modules (Celery's autodiscovery runs when a worker starts): import them once."""
    if name not in current_app.tasks:
        current_app.loader.import_default_modules()
    return current_app.tasks[name]


def call_on_commit(function: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Call ``function(*args, **kwargs)`` in this process once the current transaction
    commits (an e-mail to compose, a file to delete), in the schema of the transaction
    that asked for it: nothing happens for a write that is rolled back."""
    schema = current_schema()

    def call() -> None:
        with schema_context(schema):
            function(*args, **kwargs)

    transaction.on_commit(call)


def for_each_ready_organisation(task: Any, *args: Any,
                                where: Callable[[Any], bool] | None = None) -> int:
    """Beat entry points run in the public schema: queue ``task(*args)`` once per ready
    organisation (those ``where`` accepts, when given), inside its context, so that
    tenant-schemas-celery stamps its schema on the message and the worker runs it there.
    Returns how many were queued."""
    organisations = get_tenant_model().objects.ready()
    if where is None:
        organisations = organisations.only("pk", "schema_name")
    count = 0
    for organisation in organisations:
        if where is not None and not where(organisation):
            continue
        with tenant_context(organisation):
            task.delay(*args)
        count += 1
    return count
