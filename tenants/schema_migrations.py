"""Migrating every organisation's schema: one query finds the schemas with something to
apply, those are migrated in parallel, each in one transaction, and failures are recorded.

django-tenants' ``migrate_schemas`` runs Django's ``migrate`` in every schema, which loads
the migration graph and reads the schema's ``django_migrations`` each time: a second or so
per schema even when nothing is to be applied, and a failure halfway through a schema's
migrations leaves it half-migrated (each migration commits on its own). Here:

- the graph is loaded once; every schema's ``django_migrations`` is compared with it in one
  statement, and the schemas already up to date are skipped without further work;
- a schema's pending migrations run in ONE transaction (PostgreSQL's DDL is transactional):
  a failure rolls that schema back to where it was, so it is never half-migrated;
- schemas are migrated by N forked processes (django-tenants' pool), public first and alone;
- a failure is kept in ``SchemaMigrationFailure`` (public schema) with its migration and
  error, for ``--status``; a re-run finds the failed schema still pending and resumes it.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any
from unittest.mock import patch

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.db.migrations.state import ProjectState
from django.utils import timezone
from django_tenants.utils import get_tenant_base_migrate_command_class

from .models import Organisation, SchemaMigrationFailure

MigrationKey = tuple[str, str]

CURRENT = "current"
PENDING = "pending"
FAILED = "failed"
MISSING = "missing"


def expected_migrations() -> frozenset[MigrationKey]:
    """Every migration a migrated schema records: ``migrate`` writes a row for each node of
    the graph in every schema (the router only skips the operations of other apps' models).

    Read afresh on each call (a few tens of milliseconds) so that a long-lived process sees
    migrations added since it started."""
    return frozenset(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)


def _non_atomic(keys: Iterable[MigrationKey]) -> set[MigrationKey]:
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    return {key for key in keys if not getattr(graph.nodes[key], "atomic", True)}


@dataclass(frozen=True)
class SchemaStatus:
    """Where one schema stands: ``current``, ``pending`` (with the missing migrations),
    ``failed`` (pending, and the last attempt failed) or ``missing`` (no such schema)."""

    schema_name: str
    state: str
    pending: tuple[str, ...] = ()
    failed_migration: str = ""
    error: str = ""


def all_schema_names() -> list[str]:
    """Public first, then every organisation's schema (the template included) in the order
    they were made."""
    public = settings.PUBLIC_SCHEMA_NAME
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL",
                       [f"{public}.{Organisation._meta.db_table}"])
        if not cursor.fetchone()[0]:
            return [public]  # a new database: public's migrations make the table
    names = Organisation.objects.exclude(schema_name=public).order_by("pk").values_list(
        "schema_name", flat=True)
    return [public, *names]


def pending_migrations(schema_names: list[str],
                       expected: frozenset[MigrationKey]) -> dict[str, list[str] | None]:
    """Each schema's missing migrations ("app.name", sorted), ``None`` when the schema does
    not exist. Two statements whatever the number of schemas: which schemas have a
    ``django_migrations`` table, then every missing (schema, migration) pair at once."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname, c.oid IS NOT NULL FROM pg_namespace n "
            "LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = 'django_migrations'"
            " AND c.relkind IN ('r', 'p') WHERE n.nspname = ANY(%s)",
            [schema_names],
        )
        has_table = dict(cursor.fetchall())
    ordered = sorted(expected)
    all_names = [f"{app}.{name}" for app, name in ordered]
    result: dict[str, list[str] | None] = {}
    tracked = []
    for schema in schema_names:
        if schema not in has_table:
            result[schema] = None
        elif not has_table[schema]:
            result[schema] = list(all_names)
        else:
            result[schema] = []
            tracked.append(schema)
    if tracked and ordered:
        # One anti-join per schema, all in one statement: only the missing pairs come back,
        # so a thousand schemas with nothing to apply return no rows at all.
        branches = " UNION ALL ".join(
            "SELECT %s, e.app, e.name FROM expected e WHERE NOT EXISTS (SELECT 1 FROM "  # noqa: S608
            f"{quote(schema)}.django_migrations m WHERE m.app = e.app AND m.name = e.name)"
            for schema in tracked
        )
        # Schema names are quoted identifiers read from the organisations table.
        sql = ("WITH expected(app, name) AS (SELECT * FROM unnest(%s::text[], %s::text[])) "  # noqa: S608
               + branches)
        with connection.cursor() as cursor:
            cursor.execute(sql, [[app for app, _ in ordered], [name for _, name in ordered],
                                 *tracked])
            for schema, app, name in cursor.fetchall():
                missing = result[schema]
                assert missing is not None
                missing.append(f"{app}.{name}")
    for missing in result.values():
        if missing:
            missing.sort()
    return result


def migration_status(schema_names: list[str] | None = None) -> list[SchemaStatus]:
    """Every schema's state, public first (``migrate_organisations --status``)."""
    names = schema_names if schema_names is not None else all_schema_names()
    pending = pending_migrations(names, expected_migrations())
    failures = {failure.schema_name: failure
                for failure in _failures().filter(schema_name__in=names)}
    statuses = []
    for schema in names:
        missing = pending[schema]
        failure = failures.get(schema)
        if missing is None:
            statuses.append(SchemaStatus(schema, MISSING))
        elif not missing:
            statuses.append(SchemaStatus(schema, CURRENT))
        elif failure is not None:
            statuses.append(SchemaStatus(schema, FAILED, tuple(missing), failure.migration,
                                         failure.error))
        else:
            statuses.append(SchemaStatus(schema, PENDING, tuple(missing)))
    return statuses


@dataclass
class SchemaOutcome:
    """What one schema's attempt did. ``rss_kb`` is the worker's resident memory after it."""

    schema_name: str
    ok: bool
    applied: int = 0
    migration: str = ""
    error: str = ""
    skipped: bool = False
    seconds: float = 0.0
    pid: int = 0
    rss_kb: int = 0


@dataclass
class MigrationRun:
    statuses: list[SchemaStatus]
    outcomes: list[SchemaOutcome] = field(default_factory=list)
    check_seconds: float = 0.0
    apply_seconds: float = 0.0

    @property
    def failed(self) -> list[SchemaOutcome]:
        return [outcome for outcome in self.outcomes if not outcome.ok and not outcome.skipped]


def _rss_kb() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except OSError:  # pragma: no cover - not Linux
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _migrate_command() -> Any:
    """django-tenants' base migrate command (Django's unless configured), remembering which
    migration it is applying so that a failure can name it."""
    base = get_tenant_base_migrate_command_class()

    class TrackingMigrate(base):  # type: ignore[misc, valid-type]
        current = ""

        def migration_progress_callback(self, action: str, migration: Any = None,
                                        fake: bool = False) -> None:
            if action == "apply_start":
                self.current = str(migration)
            super().migration_progress_callback(action, migration, fake)

    return TrackingMigrate(stdout=io.StringIO(), stderr=io.StringIO())


class _Progress:
    """Remembers the migration being applied, so that a failure can name it."""

    current = ""

    def __call__(self, action: str, migration: Any = None, fake: bool | None = False,
                 /) -> None:
        if action == "apply_start":
            self.current = str(migration)


def _run_migrate_command(progress: _Progress) -> None:
    """django-tenants' base migrate command (Django's unless configured): what public
    needs, with its pre- and post-migrate signals (content types, permissions)."""
    command = _migrate_command()
    options = vars(command.create_parser("manage.py", "migrate").parse_args(
        ["--noinput", "--skip-checks", "--verbosity", "0"]))
    try:
        command.execute(**options)
    finally:
        progress.current = command.current


# The project state before a schema's pending migrations, models rendered, kept by the
# worker for the next schema at the same point (almost always: schemas move together).
_state_before: dict[frozenset[MigrationKey], ProjectState] = {}


def _run_executor(progress: _Progress) -> None:
    """Django's migration executor, for an organisation's schema.

    What Django's ``migrate`` spends per schema is mostly rendering every model of the
    state before the migrations (two thirds of a schema's time, measured): a worker renders
    it once and gives each schema at the same point a clone. The pre- and post-migrate
    signals are not sent: in a tenant schema their receivers (content types, permissions)
    are turned away by the router, and they would render the models again."""
    tenant_connection = connections["default"]
    executor = MigrationExecutor(tenant_connection, progress)
    executor.loader.check_consistent_history(tenant_connection)
    conflicts = executor.loader.detect_conflicts()
    if conflicts:
        raise CommandError(f"Conflicting migrations: {conflicts}; run makemigrations --merge.")
    targets = executor.loader.graph.leaf_nodes()
    applied = frozenset(executor.loader.applied_migrations)
    state = _state_before.get(applied)
    if state is None:
        state = executor._create_project_state(  # type: ignore[attr-defined]
            with_applied_migrations=True)
        state.apps  # noqa: B018 - rendered once here rather than in every schema
        _state_before.clear()
        _state_before[applied] = state
    executor.migrate(targets, plan=executor.migration_plan(targets), state=state.clone())


def _has_migrations_table(recorder: MigrationRecorder) -> bool:
    """MigrationRecorder.has_table by name: Django's lists every relation visible on the
    search path through all of pg_class (~300,000 rows at 1,000 organisations, 0.35 s
    under load, three times per schema), this asks for one."""
    if recorder._has_table:  # type: ignore[attr-defined]
        return True
    schema = recorder.connection.schema_name  # type: ignore[attr-defined]
    with recorder.connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL",
                       [f"{recorder.connection.ops.quote_name(schema)}.django_migrations"])
        recorder._has_table = bool(cursor.fetchone()[0])  # type: ignore[attr-defined]
    return recorder._has_table  # type: ignore[attr-defined]


def _apply(schema_name: str, pending: int, whole_transaction: bool) -> SchemaOutcome:
    """Apply a schema's pending migrations, in one transaction unless one of them cannot
    run inside one (``atomic = False``, e.g. CREATE INDEX CONCURRENTLY)."""
    started = time.perf_counter()
    progress = _Progress()
    tenant_connection = connections["default"]
    try:
        with transaction.atomic() if whole_transaction else nullcontext():
            # As django-tenants' run_migrations: the schema's own django_migrations first,
            # or the recorder would read public's through the search path.
            tenant_connection.set_schema(schema_name, include_public=False)  # type: ignore[attr-defined]
            MigrationRecorder(tenant_connection).ensure_schema()
            tenant_connection.set_schema(schema_name)  # type: ignore[attr-defined]
            if schema_name == settings.PUBLIC_SCHEMA_NAME:
                _run_migrate_command(progress)
            else:
                with patch.object(MigrationRecorder, "has_table", _has_migrations_table):
                    _run_executor(progress)
    except Exception as exc:  # noqa: BLE001 - any failure is this schema's, reported
        outcome = SchemaOutcome(schema_name, ok=False, migration=progress.current,
                                error=f"{type(exc).__name__}: {exc}".strip()[:2000])
    else:
        outcome = SchemaOutcome(schema_name, ok=True, applied=pending)
    finally:
        # The search path set inside a rolled-back transaction is undone with it; forget it.
        tenant_connection.set_schema_to_public()  # type: ignore[attr-defined]
    outcome.seconds = time.perf_counter() - started
    outcome.pid = os.getpid()
    outcome.rss_kb = _rss_kb()
    return outcome


_stop: Any = None


def _worker_init(stop: Any) -> None:
    global _stop
    _stop = stop


def _worker(task: tuple[str, int, bool, bool]) -> SchemaOutcome:
    schema_name, pending, whole_transaction, fail_fast = task
    if _stop is not None and _stop.is_set():
        return SchemaOutcome(schema_name, ok=False, skipped=True, pid=os.getpid())
    outcome = _apply(schema_name, pending, whole_transaction)
    if not outcome.ok and fail_fast and _stop is not None:
        _stop.set()
    return outcome


def _failures_table_exists() -> bool:
    """Public's migrations have made the failures' table (not on a fresh database, nor on
    an upgrade from before ``tenants.0008``, nor after public's own migrations failed)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL",
                       [f"{settings.PUBLIC_SCHEMA_NAME}.{SchemaMigrationFailure._meta.db_table}"])
        return bool(cursor.fetchone()[0])


def _failures() -> Any:
    """The failures recorded, none before their table exists."""
    return SchemaMigrationFailure.objects.all() if _failures_table_exists() else \
        SchemaMigrationFailure.objects.none()


def _record(outcome: SchemaOutcome) -> None:
    if outcome.skipped:
        return
    if outcome.ok:
        _failures().filter(schema_name=outcome.schema_name).delete()
    elif _failures_table_exists():  # else the run's output is the only record
        SchemaMigrationFailure.objects.update_or_create(
            schema_name=outcome.schema_name,
            defaults={"migration": outcome.migration, "error": outcome.error,
                      "failed_at": timezone.now()},
        )


def _in_pool(tasks: list[tuple[str, int, bool, bool]], processes: int,
             max_tasks_per_child: int | None) -> Iterator[SchemaOutcome]:
    """django-tenants' multiprocessing pool (forked workers inherit the loaded apps), fed
    one schema at a time so that a stop after a failure takes effect at once."""
    context = (multiprocessing.get_context("fork")
               if "fork" in multiprocessing.get_all_start_methods()
               else multiprocessing.get_context())
    stop = context.Event()
    # Forked children must not share the parent's socket to PostgreSQL.
    connections.close_all()
    with context.Pool(processes=processes, initializer=_worker_init, initargs=(stop,),
                      maxtasksperchild=max_tasks_per_child) as pool:
        yield from pool.imap_unordered(_worker, tasks, chunksize=1)


def organisations_migrate(
    *,
    processes: int = 2,
    fail_fast: bool = False,
    schema_names: list[str] | None = None,
    max_tasks_per_child: int | None = None,
    progress: Callable[[SchemaOutcome], None] | None = None,
) -> MigrationRun:
    """Bring every schema (or ``schema_names``) up to date with the code's migrations.

    Public goes first and alone (tenant tables point at its users; on a new database its
    migrations make the organisations table and the template); a failure there stops the
    run. Then the pending organisation schemas, ``processes`` at a time (``1``: in this
    process). ``fail_fast`` stops handing out schemas after the first failure; otherwise
    every schema is attempted. Each outcome is recorded in ``SchemaMigrationFailure``.
    """
    started = time.perf_counter()
    public = settings.PUBLIC_SCHEMA_NAME
    names = schema_names if schema_names is not None else all_schema_names()
    run = MigrationRun(statuses=migration_status(names))
    run.check_seconds = time.perf_counter() - started
    started = time.perf_counter()
    public_status = next((s for s in run.statuses if s.schema_name == public), None)
    if public_status is not None and public_status.state in (PENDING, FAILED):
        outcome = _apply(public, len(public_status.pending),
                         not _non_atomic(_keys(public_status.pending)))
        _record(outcome)
        run.outcomes.append(outcome)
        if progress:
            progress(outcome)
        if not outcome.ok:
            run.outcomes.extend(SchemaOutcome(s.schema_name, ok=False, skipped=True)
                                for s in run.statuses if s.schema_name != public
                                and s.state in (PENDING, FAILED))
            run.apply_seconds = time.perf_counter() - started
            return run
        if schema_names is None:
            # Public's migrations may have made organisations (the template, on a new
            # database): look again.
            rest = migration_status(all_schema_names()[1:])
            run.statuses = [SchemaStatus(public, CURRENT), *rest]
    to_do = [s for s in run.statuses if s.state in (PENDING, FAILED) and s.schema_name != public]
    # A schema already current is not touched; a failure recorded for it (fixed by hand
    # since, or by another run) no longer holds.
    _failures().filter(
        schema_name__in=[s.schema_name for s in run.statuses if s.state == CURRENT]).delete()
    if not to_do:
        run.apply_seconds = time.perf_counter() - started if run.outcomes else 0.0
        return run
    non_atomic = {f"{app}.{name}" for app, name in _non_atomic(
        _keys(key for status in to_do for key in status.pending))}
    tasks = [(s.schema_name, len(s.pending), not non_atomic.intersection(s.pending), fail_fast)
             for s in to_do]
    # Workers are forked: only from a process running one thread (the command's own). A
    # fork copies no other thread but may copy a lock one of them held (logging, a
    # connection, the import lock), and the worker would wait on it for ever; a process
    # with threads (a server, a test session with a live server) migrates in-process.
    if processes <= 1 or len(tasks) <= 1 or threading.active_count() > 1:
        for schema_name, pending, whole, _ in tasks:
            if fail_fast and run.failed:
                outcome = SchemaOutcome(schema_name, ok=False, skipped=True)
            else:
                outcome = _apply(schema_name, pending, whole)
                _record(outcome)
            run.outcomes.append(outcome)
            if progress:
                progress(outcome)
    else:
        # Recorded once the pool is closed: a worker replaced under max_tasks_per_child is
        # forked from this process, and must not inherit an open connection.
        pooled = []
        for outcome in _in_pool(tasks, min(processes, len(tasks)), max_tasks_per_child):
            pooled.append(outcome)
            if progress:
                progress(outcome)
        for outcome in pooled:
            _record(outcome)
        run.outcomes.extend(pooled)
    run.apply_seconds = time.perf_counter() - started
    return run


def _keys(names: Iterable[str]) -> set[MigrationKey]:
    return {(app, name) for app, name in (key.split(".", 1) for key in names)}
