"""A thousand organisations: provisioning, migrations with nothing to apply, an additive
migration applied to all, and a migration failing in organisation #500 then resumed.

Provisioning takes a spare schema from the pool (tenants.spare_schemas). The sign-ups come
in windows (1-10, 11-100, then each hundred); before each window three forked processes
clone its spares, as workers refill the pool between sign-ups (real sign-ups are much rarer
than one per clone), and the window's sign-ups are timed with nothing cloning beside them.
After every window, the same provisioning with the pool turned off (the DDL replayed in the
sign-up's transaction, rolled back) is measured again as the reference.

Runs in a database of its own, made from DATABASE_URL's server and dropped at the end:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/x python bench/many_organisations.py [N] [P]

N organisations (1,000), P worker processes (2). References measured in the same run: an
empty CREATE SCHEMA, and django-tenants' ``migrate_schemas`` of one schema with nothing to
apply (what the stock command pays for every schema). The temporary migrations live in a
temporary copy of the lab app's migrations package (tests/tenants/temporary_migrations.py),
never in the repository.
"""

import multiprocessing
import os
import secrets
import statistics
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from kombu import pools as kombu_pools

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
sys.dont_write_bytecode = True  # the temporary migrations leave no .pyc behind

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
PROCESSES = int(sys.argv[2]) if len(sys.argv) > 2 else 2
FAILING = min(500, N)  # the organisation whose data makes a migration fail

if not os.environ.get("DATABASE_URL"):
    sys.exit("Set DATABASE_URL to a PostgreSQL server; the bench makes and drops its own "
             "database there.")
_server_url = urlsplit(os.environ["DATABASE_URL"])
DB_NAME = f"fullmobs_bench_orgs_{os.getpid()}"
_admin_url = urlunsplit(_server_url._replace(path="/postgres"))
os.environ["DATABASE_URL"] = urlunsplit(_server_url._replace(path=f"/{DB_NAME}"))


def _admin(sql: str) -> None:
    with psycopg.connect(_admin_url, autocommit=True) as admin:
        admin.execute(sql)


_admin(f'CREATE DATABASE "{DB_NAME}"')

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.test import override_settings  # noqa: E402

from config.broker import ensure_configured_broker  # noqa: E402
from config.celery import app  # noqa: E402
from tenants import schema_clone  # noqa: E402
from tenants.models import Organisation  # noqa: E402
from tenants.schema_clone import template_ddl  # noqa: E402
from tenants.schema_migrations import (  # noqa: E402
    CURRENT,
    FAILED,
    migration_status,
    organisations_migrate,
)
from tenants.services import organisation_provision  # noqa: E402
from tenants.spare_schemas import (  # noqa: E402
    SPARE_PREFIX,
    spare_schema_counts,
    spare_schema_make,
)
from tests.tenants.temporary_migrations import temporary_migrations  # noqa: E402


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def create_schema_reference(times: int = 20) -> float:
    samples = []
    for i in range(times):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "bench_empty_{i}"')
        samples.append(time.perf_counter() - started)
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA "bench_empty_{i}"')
    return statistics.median(samples)


def ddl_replay_reference(times: int = 5) -> tuple[float, int]:
    """The template's DDL alone, replayed into a new schema and rolled back: what
    PostgreSQL spends on a clone, with no Django around it. Also the number of indexes
    (each built, and on PostgreSQL 16 and older fsynced, one by one)."""
    _, ddl = template_ddl()
    samples = []
    for i in range(times):
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "bench_replay_{i}"')
            cursor.execute(ddl.replace("__schema__", f'"bench_replay_{i}"'))
            transaction.set_rollback(True)
        samples.append(time.perf_counter() - started)
    indexes = ddl.count("CREATE INDEX") + ddl.count("CREATE UNIQUE INDEX") + \
        ddl.count("PRIMARY KEY") + ddl.count(" UNIQUE (")
    return statistics.median(samples), indexes


def stock_nothing_to_apply(schema: str, times: int = 3) -> float:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        call_command("migrate_schemas", schema_name=schema, interactive=False, verbosity=0)
        samples.append(time.perf_counter() - started)
        connection.set_schema_to_public()
    return statistics.median(samples)


def schema_of(index: int) -> str:
    return f"bench_org_{index:04d}"


def clone_path_reference(times: int = 3) -> float:
    """The same provisioning with the pool off: the template's DDL replayed inside the
    sign-up's transaction, rolled back (nothing stays, no e-mail leaves)."""
    samples = []
    for i in range(times):
        started = time.perf_counter()
        with transaction.atomic(), override_settings(SPARE_SCHEMAS=0):
            organisation_provision(name=f"Reference {i}", slug=f"bench-reference-{i}",
                                   owner_email=f"reference{i}@bench.example")
            transaction.set_rollback(True)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


MAKERS = 3  # processes making spares, as that many worker processes would


def make_spares(quota: int) -> list[float]:
    """A worker's refills, in a forked process: ``quota`` spares, each made as
    ``spare_schemas_refill`` makes them (``spare_schema_make``), without its lock, which
    makes refills take turns: here several processes clone at once to keep up with the
    bench's sign-ups. Returns each clone's time."""
    samples = []
    for _ in range(quota):
        started = time.perf_counter()
        spare_schema_make(f"{SPARE_PREFIX}{secrets.token_hex(8)}")
        samples.append(time.perf_counter() - started)
    connections.close_all()
    return samples


def broker_connections_drop() -> None:
    """Close the broker's pooled connections and let the next publish open new ones (as
    kombu and Celery do in a forked child)."""
    kombu_pools.reset()
    app._after_fork()


def windows(count: int) -> list[tuple[int, int]]:
    """The sign-ups in windows: 1-10, 11-100, then each hundred."""
    bounds = [b for b in (10, *range(100, count + 1, 100)) if b <= count]
    if not bounds or bounds[-1] != count:
        bounds.append(count)
    return list(zip([1, *[b + 1 for b in bounds[:-1]]], bounds, strict=True))


def provision(count: int) -> tuple[list[float], dict[int, float], list[float], float, int]:
    """Each organisation's provisioning time (a spare taken), the clone path measured again
    after the 10th, 100th, 200th, ... organisation (the machine's load changes over a long
    run, so each window is compared with the reference taken beside it), the spares' clone
    times, the time the spares of the windows took to make (not counted in the sign-ups'),
    and how many sign-ups took a spare.

    Before each window, MAKERS forked processes clone that window's spares, as workers
    refill the pool between sign-ups (a clone costs about a second: real sign-ups are far
    rarer than one per clone); the window's sign-ups are then timed with nothing cloning
    beside them. On this 2-core machine three cloning processes beside a sign-up measure
    the CPU they take from it, not the sign-up (docs/performance.md)."""
    template_ddl()  # captured once, as the first real provisioning would
    references = {0: clone_path_reference()}
    taken = 0
    real_enqueue = schema_clone.enqueue_on_commit

    def counting_enqueue(task, *args, **options):
        nonlocal taken
        taken += 1  # called by spare_schema_take only, when a spare was taken
        real_enqueue(task, *args, **options)

    schema_clone.enqueue_on_commit = counting_enqueue
    context = multiprocessing.get_context("fork")
    samples: list[float] = []
    clones: list[float] = []
    making = 0.0
    try:
        for first, last in windows(count):
            size = last - first + 1
            started = time.perf_counter()
            # The makers are forked: no shared socket, neither the database's nor the
            # broker's (a child exiting would close the parent's pooled connection).
            connections.close_all()
            broker_connections_drop()
            with context.Pool(MAKERS) as pool:
                quotas = [size // MAKERS + (1 if k < size % MAKERS else 0)
                          for k in range(MAKERS)]
                clones += [sample for chunk in pool.map(make_spares, quotas) for sample in chunk]
            making += time.perf_counter() - started
            for i in range(first, last + 1):
                started = time.perf_counter()
                organisation_provision(name=f"Bench {i}", slug=schema_of(i).replace("_", "-"),
                                       owner_email=f"owner{i}@bench.example")
                samples.append(time.perf_counter() - started)
            references[last] = clone_path_reference()
            print(f"    ... {last} organisations, load average {os.getloadavg()[0]:.1f}",
                  flush=True)
    finally:
        schema_clone.enqueue_on_commit = real_enqueue
    return samples, references, clones, making, taken


def memory_by_process(outcomes) -> dict[int, list[int]]:
    by_pid: dict[int, list[int]] = defaultdict(list)
    for outcome in outcomes:
        if outcome.pid:
            by_pid[outcome.pid].append(outcome.rss_kb)
    return by_pid


def print_memory(outcomes) -> None:
    for pid, samples in sorted(memory_by_process(outcomes).items()):
        tenth = samples[: max(1, len(samples) // 10)]
        print(f"    worker {pid}: {len(samples):4d} schemas, RSS first {samples[0] / 1024:6.1f}"
              f" MB, median of first tenth {statistics.median(tenth) / 1024:6.1f} MB, last "
              f"{samples[-1] / 1024:6.1f} MB, max {max(samples) / 1024:6.1f} MB")


def columns(schema: str, table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT column_name FROM information_schema.columns WHERE "
                       "table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                       [schema, table])
        return [row[0] for row in cursor.fetchall()]


def recorded(schema: str, app: str, names: list[str]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{schema}".django_migrations '  # noqa: S608
                       "WHERE app = %s AND name = ANY(%s)", [app, names])
        return cursor.fetchone()[0]


def main() -> None:
    started = time.perf_counter()
    call_command("migrate_schemas", interactive=False, verbosity=0)
    ensure_configured_broker()  # a spare taken queues its refill
    print(f"PostgreSQL {connection.pg_version // 10000}, {os.cpu_count()} CPUs (load average "
          f"{os.getloadavg()[0]:.1f}), {PROCESSES} worker processes, N={N} organisations")
    print(f"fresh database (public + template) by migrate_schemas: "
          f"{time.perf_counter() - started:.1f} s")

    empty = create_schema_reference()
    stock_one = stock_nothing_to_apply(settings_template())
    print(f"reference: CREATE SCHEMA (empty)                : {ms(empty)}")
    replay, indexes = ddl_replay_reference()
    print(f"reference: template DDL replayed, rolled back   : {ms(replay)}  ({indexes} indexes)")
    print(f"reference: migrate_schemas, 1 schema, nothing   : {ms(stock_one)}"
          f"  (x {N + 2} schemas = {stock_one * (N + 2):.0f} s, one process)")

    print("\n1. Provisioning: a spare schema taken from the pool (the window's spares "
          f"made before each window by {MAKERS} processes; nothing clones during the "
          "sign-ups)")
    samples, references, clones, making, taken = provision(N)
    for first, last in windows(N):
        window = samples[first - 1:last]
        beside = references[last]
        print(f"  organisations {first:4d}-{last:4d}: median {ms(statistics.median(window))}, "
              f"p95 {ms(p95(window))}; pool off (clone) beside it {ms(beside)}, ratio "
              f"{statistics.median(window) / beside:4.2f}")
    print(f"  all {N}: median {ms(statistics.median(samples))}, p95 {ms(p95(samples))}, "
          f"max {ms(max(samples))}, total {sum(samples):.0f} s; {taken} took a spare")
    print(f"  pool off (clone), all references: median "
          f"{ms(statistics.median(references.values()))}")
    print(f"  spares cloned by {MAKERS} processes before each window: {len(clones)}, median "
          f"{ms(statistics.median(clones))} each, p95 {ms(p95(clones))}; {making:.0f} s in "
          "all (not counted above)")
    print(f"  pool after: {spare_schema_counts()[0]} ready")
    # The refills queued over PGMQ left the broker's client pool running threads in this
    # process; migrate_organisations forks its workers only from a single-threaded process.
    app.pool.force_close_all()
    time.sleep(1)
    assert threading.active_count() == 1, threading.enumerate()

    print("\n2. migrate_organisations with nothing to apply")
    before = time.perf_counter()
    run = organisations_migrate(processes=PROCESSES)
    elapsed = time.perf_counter() - before
    assert all(status.state == CURRENT for status in run.statuses), "not all current"
    print(f"  {len(run.statuses)} schemas: {elapsed:.2f} s in all (the one comparison query: "
          f"{run.check_seconds:.2f} s); stock migrate_schemas estimated "
          f"{stock_one * len(run.statuses):.0f} s ({stock_one * len(run.statuses) / elapsed:.0f}x)")

    with temporary_migrations("lab") as extra:
        print("\n3. An additive migration applied to all")
        extra.add("9001_bench_note", "CREATE TABLE bench_note (id bigserial PRIMARY KEY, "
                                     "code text NOT NULL DEFAULT '')")
        parent_before = rss_mb()
        run = organisations_migrate(processes=PROCESSES)
        migrated = [outcome for outcome in run.outcomes if outcome.ok]
        assert not run.failed, run.failed[:3]
        per_schema = [outcome.seconds for outcome in migrated]
        print(f"  {len(migrated)} schemas migrated in {run.apply_seconds:.1f} s "
              f"(check {run.check_seconds:.2f} s); per schema median "
              f"{ms(statistics.median(per_schema))}, p95 {ms(p95(per_schema))}")
        print(f"  spare schemas behind the template dropped, not migrated: "
              f"{len(run.spares_dropped)}; ready after: {spare_schema_counts()[0]}")
        print(f"  parent RSS {parent_before:.0f} MB -> {rss_mb():.0f} MB; workers:")
        print_memory(migrated)

        print(f"\n4. A migration failing in organisation #{FAILING}, then resumed")
        failing = schema_of(FAILING)
        with connection.cursor() as cursor:
            cursor.execute(f'INSERT INTO "{failing}".bench_note (code) VALUES (%s), (%s)',
                           ["same", "same"])
        names = ["9002_bench_kind", "9003_bench_unique_code"]
        extra.add(names[0], "ALTER TABLE bench_note ADD COLUMN kind text")
        extra.add(names[1], "CREATE UNIQUE INDEX bench_note_code ON bench_note (code)")
        run = organisations_migrate(processes=PROCESSES)
        failed = [outcome.schema_name for outcome in run.failed]
        print(f"  run: {sum(o.ok for o in run.outcomes)} migrated, failed: {failed} "
              f"({run.apply_seconds:.1f} s)")
        assert failed == [failing], failed
        status = {s.schema_name: s for s in migration_status()}
        print(f"  --status of {failing}: {status[failing].state}, pending "
              f"{list(status[failing].pending)}, at {status[failing].failed_migration}: "
              f"{status[failing].error.splitlines()[0][:120]}")
        assert status[failing].state == FAILED
        print(f"  {failing}: columns of bench_note {columns(failing, 'bench_note')}, rows of "
              f"9002/9003 recorded: {recorded(failing, 'lab', names)} (9002 ran before the "
              "failure and was rolled back with it)")
        neighbour = schema_of(FAILING - 1)
        print(f"  {neighbour}: columns {columns(neighbour, 'bench_note')}, rows recorded: "
              f"{recorded(neighbour, 'lab', names)}")
        assert columns(failing, "bench_note") == ["id", "code"]
        assert recorded(failing, "lab", names) == 0
        with connection.cursor() as cursor:
            cursor.execute(f'DELETE FROM "{failing}".bench_note WHERE id = (SELECT max(id) '  # noqa: S608
                           f'FROM "{failing}".bench_note)')
        run = organisations_migrate(processes=PROCESSES)
        print(f"  after the data fix, re-run: {run.check_seconds:.2f} s to find "
              f"{[o.schema_name for o in run.outcomes]}, {run.apply_seconds:.2f} s to migrate "
              f"it; failures left: {len(run.failed)}")
        assert [o.schema_name for o in run.outcomes if o.ok] == [failing]
        assert all(s.state == CURRENT for s in migration_status())
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")


def settings_template() -> str:
    return settings.TENANT_TEMPLATE_SCHEMA


if __name__ == "__main__":
    try:
        main()
    finally:
        connections.close_all()
        _admin(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        print(f"\ndatabase {DB_NAME} dropped; {Organisation.__name__}s gone with it")
