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
  error, for ``--status``; a re-run finds the failed schema still pending and resumes it;
- one run at a time: a PostgreSQL advisory lock, held by a connection of its own for the
  whole run; a second run waits for it (or gives up after ``lock_wait`` seconds, naming
  the run that holds it);
- a worker process that dies (killed, out of memory) fails its schema, whose transaction
  PostgreSQL rolls back when the connection drops; a new worker takes its place and the
  run goes on, then exits non-zero: it never waits for an answer that cannot come;
- spare schemas (``tenants.spare_schemas``) are not migrated: after the run, those cloned
  at another state than the template's are dropped (the pool is refilled by its task).
"""

from __future__ import annotations

import io
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from multiprocessing.connection import wait as wait_for_any
from typing import Any
from unittest.mock import patch

import psycopg
from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.db.migrations.state import ProjectState
from django.utils import timezone
from django_tenants.utils import get_tenant_base_migrate_command_class

from .libpq import libpq_dsn
from .models import Organisation, SchemaMigrationFailure, SpareSchema
from .schema_clone import MIGRATION_LOCK_KEY, SIGNUP_LOCK_KEY, template_schema_name

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
    spares_dropped: list[str] = field(default_factory=list)

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


def _name_session(tenant_connection: Any, schema_name: str) -> None:
    """Say in ``pg_stat_activity`` which process migrates which schema, and (PostgreSQL 14
    and later) have the server check every second that this process is still there: if it
    is killed during a long statement, its transaction is rolled back and its locks
    released at once, not when the statement ends."""
    with tenant_connection.cursor() as cursor:
        cursor.execute("SELECT set_config('application_name', %s, false)",
                       [f"migrate_organisations {os.getpid()} {schema_name}"[:63]])
        if tenant_connection.pg_version >= 140000:
            cursor.execute("SELECT set_config('client_connection_check_interval', '1s', false)")


def _apply(schema_name: str, pending: int, whole_transaction: bool) -> SchemaOutcome:
    """Apply a schema's pending migrations, in one transaction unless one of them cannot
    run inside one (``atomic = False``, e.g. CREATE INDEX CONCURRENTLY)."""
    started = time.perf_counter()
    progress = _Progress()
    tenant_connection = connections["default"]
    try:
        _name_session(tenant_connection, schema_name)
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


Task = tuple[str, int, bool]


def _serve(tasks: Any) -> None:
    """A worker process: migrate the schemas sent on ``tasks`` one by one, answering each
    with its outcome, until told to stop (``None``) or the parent is gone."""
    # The parent handles Ctrl-C and stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            task = tasks.recv()
        except (EOFError, OSError):
            break
        if task is None:
            break
        tasks.send(_apply(*task))
    connections.close_all()


@dataclass
class _Worker:
    process: Any
    channel: Any
    task: Task | None = None
    done: int = 0


def _died(task: Task, worker: _Worker) -> SchemaOutcome:
    code = worker.process.exitcode
    how = (f"killed by signal {-code} ({signal.Signals(-code).name})" if code and code < 0
           else f"exit status {code}")
    return SchemaOutcome(
        task[0], ok=False, pid=worker.process.pid,
        error=f"WorkerDied: the worker process migrating this schema ended ({how}) before "
              "answering; PostgreSQL rolled its transaction back with its connection.")


def _in_pool(tasks: list[Task], processes: int, max_tasks_per_child: int | None,
             fail_fast: bool) -> Iterator[SchemaOutcome]:
    """Forked worker processes (they inherit the loaded apps), each handed one schema at a
    time through a pipe of its own. The parent waits on the pipes and on the processes
    themselves: a worker that dies without answering fails its schema and is replaced,
    where ``multiprocessing.Pool`` would wait for the lost answer for ever. With
    ``fail_fast``, no schema is handed out after a failure (those under way finish); the
    rest come back as skipped."""
    context = multiprocessing.get_context("fork")
    # Forked children must not share the parent's socket to PostgreSQL; and the parent
    # opens none while they run (a replacement worker is forked from it).
    connections.close_all()
    queue: deque[Task] = deque(tasks)
    idle: list[_Worker] = []
    busy: list[_Worker] = []
    stopped = False

    def start() -> _Worker:
        ours, theirs = context.Pipe()
        process = context.Process(target=_serve, args=(theirs,), daemon=True,
                                  name="migrate_organisations worker")
        process.start()
        theirs.close()
        return _Worker(process, ours)

    def retire(worker: _Worker) -> None:
        with suppress(OSError):
            worker.channel.send(None)
        worker.channel.close()
        worker.process.join(timeout=10)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()

    try:
        idle = [start() for _ in range(processes)]
        while busy or (queue and not stopped):
            while idle and queue and not stopped:
                worker = idle.pop()
                task = queue.popleft()
                try:
                    worker.channel.send(task)
                except OSError:  # it died while idle: a new one takes the schema
                    worker.channel.close()
                    worker.process.join(timeout=10)
                    queue.appendleft(task)
                    idle.append(start())
                    continue
                worker.task = task
                busy.append(worker)
            ready = wait_for_any([w.channel for w in busy] + [w.process.sentinel for w in busy])
            for worker in list(busy):
                if worker.channel not in ready and worker.process.sentinel not in ready:
                    continue
                assert worker.task is not None
                outcome = None
                if worker.channel.poll():
                    try:
                        outcome = worker.channel.recv()
                    except (EOFError, OSError):
                        outcome = None
                busy.remove(worker)
                worker.done += 1
                if outcome is None:  # the process ended without answering
                    worker.process.join(timeout=10)
                    outcome = _died(worker.task, worker)
                    worker.channel.close()
                    if queue and not stopped:
                        idle.append(start())
                elif max_tasks_per_child and worker.done >= max_tasks_per_child:
                    retire(worker)
                    if queue:
                        idle.append(start())
                else:
                    idle.append(worker)
                worker.task = None
                if not outcome.ok and fail_fast:
                    stopped = True
                yield outcome
        for schema_name, _, _ in queue if stopped else ():
            yield SchemaOutcome(schema_name, ok=False, skipped=True)
    finally:
        for worker in busy:
            worker.process.kill()
            worker.process.join()
        for worker in idle:
            retire(worker)




class MigrationLocked(Exception):
    """Another run holds the migration lock (its process is named in the message)."""


def _lock_holder(conn: psycopg.Connection[Any]) -> str:
    row = conn.execute(
        "SELECT a.pid, a.application_name, a.client_addr, a.backend_start FROM pg_locks l "
        "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
        "AND l.granted AND l.classid = 0 AND l.objid = %s AND l.objsubid = 1 "
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        [MIGRATION_LOCK_KEY]).fetchone()
    if row is None:
        return "another run"
    pid, application, address, since = row
    return (f"server process {pid} ({application or 'no application name'}"
            f"{f', from {address}' if address else ''}, connected since "
            f"{since:%Y-%m-%d %H:%M:%S %Z})")


@contextmanager
def migration_lock(wait: float | None = None,
                   on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the migration lock for the block: a session advisory lock on a connection of
    its own, so that closing Django's connections (before forking workers) keeps it, and
    the server releases it if this process dies. ``wait``: seconds to wait for another run
    (``None``: as long as it takes; ``0``: not at all), then ``MigrationLocked``.
    ``on_wait`` is told once who holds it."""
    conn = psycopg.connect(libpq_dsn(connection.settings_dict), autocommit=True,
                           application_name=f"migrate_organisations {os.getpid()} lock")
    try:
        deadline = None if wait is None else time.monotonic() + wait
        told = False
        while not conn.execute("SELECT pg_try_advisory_lock(%s)",
                               [MIGRATION_LOCK_KEY]).fetchone()[0]:  # type: ignore[index]
            holder = _lock_holder(conn)
            if deadline is not None and time.monotonic() >= deadline:
                raise MigrationLocked(
                    f"Another migrate_organisations run holds the lock: {holder}.")
            if on_wait and not told:
                on_wait(holder)
                told = True
            time.sleep(0.5)
        yield
    finally:
        # Closing the connection ends the session, and with it the lock.
        conn.close()


@contextmanager
def signups_paused() -> Iterator[Callable[[], None]]:
    """Hold sign-ups back (the sign-up lock, exclusively, on a connection of its own)
    until the returned function is called or the block ends. Taking it waits for the
    sign-ups under way to commit: after it, every organisation is listed, and a sign-up
    let through later copies the template as this run leaves it."""
    conn = psycopg.connect(libpq_dsn(connection.settings_dict), autocommit=True,
                           application_name=f"migrate_organisations {os.getpid()} sign-ups")
    conn.execute("SELECT pg_advisory_lock(%s)", [SIGNUP_LOCK_KEY])

    def resume() -> None:
        if not conn.closed:
            conn.close()  # the session's end releases the lock

    try:
        yield resume
    finally:
        resume()


def _discard_stale_spares() -> list[str]:
    """After a run: spares cloned at another migration state than the template's are
    dropped (never migrated). Nothing before public's migrations made their table."""
    from .spare_schemas import spare_schemas_discard_stale

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL",
                       [f"{settings.PUBLIC_SCHEMA_NAME}.{SpareSchema._meta.db_table}"])
        if not cursor.fetchone()[0]:
            return []
    return spare_schemas_discard_stale()


def organisations_migrate(
    *,
    processes: int = 2,
    fail_fast: bool = False,
    schema_names: list[str] | None = None,
    max_tasks_per_child: int | None = None,
    progress: Callable[[SchemaOutcome], None] | None = None,
    lock_wait: float | None = None,
    on_lock_wait: Callable[[str], None] | None = None,
) -> MigrationRun:
    """Bring every schema (or ``schema_names``) up to date with the code's migrations.

    Public goes first and alone (tenant tables point at its users; on a new database its
    migrations make the organisations table and the template); a failure there stops the
    run. Then the pending organisation schemas, ``processes`` at a time (``1``: in this
    process). ``fail_fast`` stops handing out schemas after the first failure; otherwise
    every schema is attempted. Each outcome is recorded in ``SchemaMigrationFailure``.
    Spare schemas behind the template are dropped at the end.

    Sign-ups wait only while public and the template are migrated and the organisations
    listed (``signups_paused``); then they go on, copying the migrated template.

    The whole run holds the migration lock (``migration_lock``: ``lock_wait`` seconds at
    most for another run to finish, ``None`` for as long as it takes; ``MigrationLocked``
    after that). The schemas' states are read once the lock is held, so a run that waited
    finds what the other one left.
    """
    with migration_lock(lock_wait, on_lock_wait), signups_paused() as resume_signups:
        run = _migrate(processes=processes, fail_fast=fail_fast, schema_names=schema_names,
                       max_tasks_per_child=max_tasks_per_child, progress=progress,
                       resume_signups=resume_signups)
        run.spares_dropped = _discard_stale_spares()
        return run


def _migrate(*, processes: int, fail_fast: bool, schema_names: list[str] | None,
             max_tasks_per_child: int | None,
             progress: Callable[[SchemaOutcome], None] | None,
             resume_signups: Callable[[], None] = lambda: None) -> MigrationRun:
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
    template = template_schema_name()
    template_status = next((s for s in run.statuses if s.schema_name == template), None)
    if template_status is not None and template_status.state in (PENDING, FAILED):
        # The template first and alone: sign-ups copy it as soon as they may go on.
        outcome = _apply(template, len(template_status.pending),
                         not _non_atomic(_keys(template_status.pending)))
        _record(outcome)
        run.outcomes.append(outcome)
        if progress:
            progress(outcome)
        done_first = {template}
        if schema_names is None:
            # Organisations made while the template was migrated: listed now.
            listed = {s.schema_name for s in run.statuses}
            run.statuses += migration_status(
                [name for name in all_schema_names()[1:] if name not in listed])
    else:
        done_first = set()
    resume_signups()
    to_do = [s for s in run.statuses if s.state in (PENDING, FAILED)
             and s.schema_name != public and s.schema_name not in done_first]
    # A schema already current is not touched; a failure recorded for it (fixed by hand
    # since, or by another run) no longer holds.
    _failures().filter(
        schema_name__in=[s.schema_name for s in run.statuses if s.state == CURRENT]).delete()
    if not to_do:
        run.apply_seconds = time.perf_counter() - started if run.outcomes else 0.0
        return run
    non_atomic = {f"{app}.{name}" for app, name in _non_atomic(
        _keys(key for status in to_do for key in status.pending))}
    tasks = [(s.schema_name, len(s.pending), not non_atomic.intersection(s.pending))
             for s in to_do]
    # Workers are forked: only from a process running one thread (the command's own). A
    # fork copies no other thread but may copy a lock one of them held (logging, a
    # connection, the import lock), and the worker would wait on it for ever; a process
    # with threads (a server, a test session with a live server) migrates in-process.
    if processes <= 1 or len(tasks) <= 1 or threading.active_count() > 1:
        for schema_name, pending, whole in tasks:
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
        for outcome in _in_pool(tasks, min(processes, len(tasks)), max_tasks_per_child,
                                fail_fast):
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
