"""Reads that may go to a PostgreSQL streaming replica, and only those.

With ``REPLICA_DATABASE_URL`` set, a second alias, ``replica``, points at a hot standby.
Nothing goes there by default: the router sends a read to the replica only inside
``replica_reading()``, which the figure reads open (reports' and dashboards' figures,
CSV exports). Everything else, a participant's own pages first, reads the primary.

The lag rule (docs/decisions.md): figures may be a few seconds behind, a person's own
data never. So a block reads the primary instead when

- no replica is configured;
- the request writes (any method but GET, HEAD, OPTIONS): what it reads may be what it
  just wrote;
- a write went through the ORM earlier in the same request, outside such a block (the
  figures' own bookkeeping — stored figures, read stamps — made inside a block does not
  count: it changes nothing the figures read). A task is not pinned by its writes: a
  worker rendering a report marks it "rendering" first, and its figures still tolerate
  lag (they are stored with the replica's data version, so never taken for current);
- a transaction is open on the primary (its rows are not even committed);
- the replica cannot be reached (logged): figures from the primary rather than an error.

django-tenants sets ``search_path`` per connection: the replica connection is put on the
primary connection's tenant when a block opens, so it reads the same organisation.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections

logger = logging.getLogger(__name__)
REPLICA = "replica"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class _Reads:
    """Where this request's or task's reads may go."""

    # Inside replica_reading(): the router sends reads to the replica.
    on_replica: bool = False
    # The request wrote (or is a writing request): the primary only from now on.
    pinned: bool = False
    # Whether a write pins the rest of the unit of work (requests, the shell), or not (tasks).
    pin_after_write: bool = True


_reads: ContextVar[_Reads | None] = ContextVar("replica_reads", default=None)


def _state() -> _Reads:
    state = _reads.get()
    if state is None:
        state = _Reads()
        _reads.set(state)
    return state


def start_unit_of_work(*, writes: bool = False, pin_after_write: bool = True) -> None:
    """A new request or task: forget where the previous one (same thread) read."""
    _reads.set(_Reads(pinned=writes, pin_after_write=pin_after_write))


def replica_configured() -> bool:
    return REPLICA in connections.settings


def reader() -> str:
    """The alias a figure read uses now: the replica inside ``replica_reading()`` when it
    chose the replica, else the primary (raw SQL in such a block asks this)."""
    return REPLICA if _state().on_replica else DEFAULT_DB_ALIAS


@contextmanager
def replica_reading() -> Iterator[str]:
    """Reads in this block tolerate replication lag: send them to the replica when one is
    configured and the lag rule allows it. Yields the alias chosen ('default' or
    'replica'). Writes in the block still go to the primary."""
    state = _state()
    primary = connections[DEFAULT_DB_ALIAS]
    if (state.on_replica or not replica_configured() or state.pinned
            or primary.in_atomic_block or not _reachable(connections[REPLICA])):
        yield reader()
        return
    replica = connections[REPLICA]
    tenant = primary.tenant  # type: ignore[attr-defined]
    if replica.schema_name != tenant.schema_name:  # type: ignore[attr-defined]
        replica.set_tenant(tenant)  # type: ignore[attr-defined]
    state.on_replica = True
    try:
        yield REPLICA
    finally:
        state.on_replica = False


def _reachable(replica: Any) -> bool:
    try:
        replica.ensure_connection()
    except OperationalError as exc:
        logger.warning("Replica unreachable, figures read from the primary: %s", exc)
        return False
    return True


class ReplicaRouter:
    """Reads go to the replica only inside ``replica_reading()``; writes always to the
    primary (also for an object read from the replica); the replica is never migrated."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return REPLICA if _state().on_replica else DEFAULT_DB_ALIAS

    def db_for_write(self, model: Any, **hints: Any) -> str:
        state = _state()
        if not state.on_replica and state.pin_after_write:
            state.pinned = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        aliases = {DEFAULT_DB_ALIAS, REPLICA}
        return True if {obj1._state.db, obj2._state.db} <= aliases else None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == REPLICA else None


class ReplicaReadsMiddleware:
    """Each request starts afresh; a writing request reads the primary throughout."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        start_unit_of_work(writes=request.method not in SAFE_METHODS)
        return self.get_response(request)


def start_task_reads(**kwargs: Any) -> None:
    """Celery's ``task_prerun`` (connected in config/celery.py): a worker process runs task
    after task, each starts afresh, and is not pinned to the primary by its own writes."""
    start_unit_of_work(pin_after_write=False)
