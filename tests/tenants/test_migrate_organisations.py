"""migrate_organisations: nothing-to-apply detection, --status, a failure in one schema
rolled back whole, a re-run that resumes, --fail-fast, one run at a time (the advisory
lock), a worker killed mid-run.

Five organisations committed once for the module (the workers are other processes, which
see only committed rows) and dropped at the end. The extra migrations live in a temporary
copy of the lab app's migrations package; each test names its own, so the rows one test
leaves behind never pass for another's.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from io import StringIO
from pathlib import Path

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from tenants.libpq import libpq_dsn
from tenants.models import SchemaMigrationFailure
from tenants.schema_migrations import (
    CURRENT,
    FAILED,
    MIGRATION_LOCK_KEY,
    PENDING,
    migration_status,
    organisations_migrate,
)
from tenants.services import organisation_provision
from tests.conftest import PYTHON, ROOT, child_env, drop_organisation, wait_for

from .temporary_migrations import temporary_migrations


@pytest.fixture(scope="module")
def schemas(django_db_setup, django_db_blocker):
    made = []
    with django_db_blocker.unblock():
        try:
            for i in range(5):
                made.append(organisation_provision(
                    name=f"Migrate {i}", slug=f"migrate-{i}-{os.getpid()}",
                    owner_email=f"owner{i}@migrate.test"))
            yield [organisation.schema_name for organisation in made]
        finally:
            for organisation in made:
                drop_organisation(organisation)
            SchemaMigrationFailure.objects.filter(
                schema_name__in=[o.schema_name for o in made]).delete()
            connection.set_schema_to_public()


@pytest.fixture
def unblocked(django_db_blocker, schemas):
    with django_db_blocker.unblock():
        # Each test starts with no failure on record (one test's failure is not another's).
        SchemaMigrationFailure.objects.filter(schema_name__in=schemas).delete()
        yield


def tables(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [schema])
        return {row[0] for row in cursor.fetchall()}


def recorded(schema: str, names: list[str]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{schema}".django_migrations '  # noqa: S608
                       "WHERE app = 'lab' AND name = ANY(%s)", [names])
        return cursor.fetchone()[0]


def test_schemas_up_to_date_are_found_in_a_fixed_number_of_queries(schemas, unblocked):
    migration_status(schemas[:1])  # the connection's own set-up (search path) out of the way
    with CaptureQueriesContext(connection) as few:
        two = migration_status(schemas[:2])
    with CaptureQueriesContext(connection) as many:
        five = migration_status(schemas)
    run = organisations_migrate(schema_names=schemas)

    assert [s.state for s in two] == [CURRENT, CURRENT]
    assert [s.state for s in five] == [CURRENT] * 5
    assert len(many) == len(few)
    unions = [q["sql"] for q in many.captured_queries if "UNION ALL" in q["sql"]]
    assert len(unions) == 1 and all(f'"{schema}"' in unions[0] for schema in schemas)
    assert run.outcomes == []  # nothing applied, no migrate run in any schema


def test_status_lists_pending_migrations_without_applying_them(schemas, unblocked):
    with temporary_migrations("lab") as extra:
        name = extra.add("9101_status_probe", "CREATE TABLE status_probe (id int)")
        out = StringIO()
        call_command("migrate_organisations", "--status", *[f"--schema={s}" for s in schemas],
                     stdout=out)
        statuses = migration_status(schemas)

    assert [(s.state, s.pending) for s in statuses] == [(PENDING, (name,))] * 5
    assert f"{schemas[0]}: pending 1 ({name})" in out.getvalue()
    assert "5 schemas: 0 up to date, 5 pending, 0 failed" in out.getvalue()
    assert all("status_probe" not in tables(schema) for schema in schemas)


def test_a_failure_rolls_its_schema_back_whole_and_a_rerun_resumes(schemas, unblocked):
    broken = schemas[2]
    with connection.cursor() as cursor:
        # The second migration creates this table: in one schema it is already there.
        cursor.execute(f'CREATE TABLE "{broken}".resume_second (id int)')
    with temporary_migrations("lab") as extra:
        first = extra.add("9201_resume_first", "CREATE TABLE resume_first (id int)")
        second = extra.add("9202_resume_second", "CREATE TABLE resume_second (id int)")
        names = [first.split(".")[1], second.split(".")[1]]

        with pytest.raises(CommandError) as refused:
            call_command("migrate_organisations", "--processes=2", "--verbosity=0",
                         *[f"--schema={s}" for s in schemas], stderr=StringIO())
        errors = {s.schema_name: s.error for s in migration_status(schemas) if s.error}
        assert str(refused.value).startswith("1 schema"), errors

        # The others are migrated; the broken one has neither migration's table nor row,
        # although the first migration had run there before the second failed.
        for schema in schemas:
            if schema != broken:
                assert {"resume_first", "resume_second"} <= tables(schema)
                assert recorded(schema, names) == 2
        assert "resume_first" not in tables(broken)
        assert recorded(broken, names) == 0
        status = {s.schema_name: s for s in migration_status(schemas)}
        assert status[broken].state == FAILED
        assert status[broken].pending == (first, second)
        assert status[broken].failed_migration == second
        assert "already exists" in status[broken].error
        out = StringIO()
        call_command("migrate_organisations", "--status", *[f"--schema={s}" for s in schemas],
                     stdout=out)
        assert f"{broken}: failed at {second}, pending 2" in out.getvalue()
        assert "4 up to date, 0 pending, 1 failed" in out.getvalue()

        with connection.cursor() as cursor:
            cursor.execute(f'DROP TABLE "{broken}".resume_second')
        run = organisations_migrate(processes=2, schema_names=schemas)

        assert [o.schema_name for o in run.outcomes] == [broken]
        assert run.outcomes[0].ok and run.outcomes[0].applied == 2
        assert recorded(broken, names) == 2
        assert [s.state for s in migration_status(schemas)] == [CURRENT] * 5
        assert not SchemaMigrationFailure.objects.filter(schema_name__in=schemas).exists()


def test_fail_fast_stops_after_the_first_failure(schemas, unblocked):
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE TABLE "{schemas[0]}".fast_probe (id int)')
    try:
        with temporary_migrations("lab") as extra:
            name = extra.add("9301_fast_probe", "CREATE TABLE fast_probe (id int)")
            run = organisations_migrate(processes=1, fail_fast=True, schema_names=schemas)
            statuses = migration_status(schemas)
    finally:
        with connection.cursor() as cursor:
            for schema in schemas:
                cursor.execute(f'DROP TABLE IF EXISTS "{schema}".fast_probe')
        SchemaMigrationFailure.objects.filter(schema_name=schemas[0]).delete()

    assert [o.schema_name for o in run.failed] == [schemas[0]]
    assert [o.skipped for o in run.outcomes] == [False, True, True, True, True]
    assert [s.state for s in statuses] == [FAILED] + [PENDING] * 4
    assert all(s.pending == (name,) for s in statuses)


# ---- one run at a time; a worker that dies --------------------------------------------

def _lock_holder(application_name: str) -> psycopg.Connection:
    """Another session holding the migration lock, as another run would."""
    holder = psycopg.connect(libpq_dsn(connection.settings_dict), autocommit=True,
                             application_name=application_name)
    holder.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK_KEY])
    return holder


def test_a_second_run_gives_up_after_lock_wait_naming_the_first(schemas, unblocked):
    holder = _lock_holder("release of another deploy")
    holder_pid = holder.info.backend_pid
    try:
        with temporary_migrations("lab") as extra:
            name = extra.add("9401_lock_probe", "CREATE TABLE lock_probe (id int)")
            started = time.monotonic()
            with pytest.raises(CommandError) as refused:
                call_command("migrate_organisations", "--lock-wait=1",
                             *[f"--schema={s}" for s in schemas], stderr=StringIO())
            waited = time.monotonic() - started
            statuses = migration_status(schemas)
    finally:
        holder.close()

    message = str(refused.value)
    assert "holds the lock" in message and "Nothing was migrated" in message
    assert f"server process {holder_pid} (release of another deploy" in message
    assert 1 <= waited < 30
    assert [(s.state, s.pending) for s in statuses] == [(PENDING, (name,))] * 5
    assert all("lock_probe" not in tables(schema) for schema in schemas)


def test_a_second_run_waits_for_the_first_then_goes_on(schemas, unblocked):
    holder = _lock_holder("first run")
    err, out, errors = StringIO(), StringIO(), []
    try:
        with temporary_migrations("lab") as extra:
            name = extra.add("9402_after_wait", "CREATE TABLE after_wait (id int)")

            def second_run() -> None:
                try:
                    call_command("migrate_organisations", "--verbosity=1",
                                 *[f"--schema={s}" for s in schemas], stdout=out, stderr=err)
                except BaseException as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)
                finally:
                    connections.close_all()

            thread = threading.Thread(target=second_run)
            thread.start()
            assert wait_for(lambda: "waiting for it to finish" in err.getvalue(), 60)
            time.sleep(1)
            assert thread.is_alive()
            assert all(s.pending == (name,) for s in migration_status(schemas))
            holder.close()
            thread.join(120)
            statuses = migration_status(schemas)
    finally:
        holder.close()
    assert not errors, errors
    assert "first run" in err.getvalue()
    assert "0 up to date, 5 migrated, 0 failed" in out.getvalue()
    assert [s.state for s in statuses] == [CURRENT] * 5


def _runner(*migrations: str, arguments: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [PYTHON, "-m", "tests.tenants.migrate_runner", *migrations, "--", *arguments],
        cwd=ROOT, env=child_env(), stdout=open(log, "w"), stderr=subprocess.STDOUT)


def _lock_taken() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
                       "AND classid = 0 AND objid = %s AND database = (SELECT oid FROM "
                       "pg_database WHERE datname = current_database())", [MIGRATION_LOCK_KEY])
        return cursor.fetchone() is not None


def test_two_runs_at_once_one_migrates_the_other_waits_and_finds_nothing(
        schemas, unblocked, tmp_path):
    """Two real processes, as two deploys releasing at once."""
    slow = (f"DO $$ BEGIN IF current_schema() = '{schemas[0]}' THEN PERFORM pg_sleep(20); "
            "END IF; END $$; CREATE TABLE two_runs (id int)")
    migration = ["9501_two_runs", slow]
    arguments = ["--processes=2", *[f"--schema={s}" for s in schemas]]
    first = _runner(*migration, arguments=arguments, log=tmp_path / "first.log")
    try:
        assert wait_for(_lock_taken, 90), (tmp_path / "first.log").read_text()
        second = _runner(*migration, arguments=arguments, log=tmp_path / "second.log")
        try:
            assert first.wait(180) == 0, (tmp_path / "first.log").read_text()
            assert second.wait(180) == 0, (tmp_path / "second.log").read_text()
        finally:
            second.kill()
    finally:
        first.kill()
    first_log, second_log = (tmp_path / "first.log").read_text(), \
        (tmp_path / "second.log").read_text()
    assert "0 up to date, 5 migrated, 0 failed" in first_log, first_log
    assert "holds the lock" in second_log and "waiting for it to finish" in second_log
    assert "5 up to date, 0 migrated, 0 failed" in second_log, second_log
    assert all("two_runs" in tables(schema) for schema in schemas)


def test_a_killed_worker_fails_its_schema_and_the_run_ends(schemas, unblocked, tmp_path):
    """A worker killed mid-migration (as by the out-of-memory killer): its schema is
    reported failed and rolled back, the other schemas are migrated, the run exits non-zero
    instead of waiting for an answer that cannot come; a re-run resumes it."""
    victim = schemas[3]
    slow = (f"DO $$ BEGIN IF current_schema() = '{victim}' THEN PERFORM pg_sleep(300); "
            "END IF; END $$; CREATE TABLE kill_probe (id int)")
    log = tmp_path / "run.log"
    run = _runner("9601_kill_probe", slow,
                  arguments=["--processes=2", *[f"--schema={s}" for s in schemas]], log=log)

    def sleeping_worker() -> int | None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT application_name FROM pg_stat_activity WHERE "
                           "application_name LIKE %s AND query LIKE '%%pg_sleep%%' "
                           "AND state = 'active'", [f"migrate_organisations % {victim}"])
            row = cursor.fetchone()
        return int(row[0].split()[1]) if row else None

    try:
        pid = wait_for(sleeping_worker, 120)
        assert pid, log.read_text()
        assert pid != run.pid  # a worker process, not the run itself
        os.kill(pid, signal.SIGKILL)
        assert run.wait(120) == 1, log.read_text()
    finally:
        run.kill()
    output = log.read_text()
    assert f"{victim}: FAILED" in output and "WorkerDied" in output
    assert "killed by signal 9 (SIGKILL)" in output
    assert "4 migrated, 1 failed" in output
    # The server noticed the dead client and rolled its transaction back.
    assert wait_for(lambda: sleeping_worker() is None, 30)
    for schema in schemas:
        assert ("kill_probe" in tables(schema)) == (schema != victim)
    failure = SchemaMigrationFailure.objects.get(schema_name=victim)
    assert "WorkerDied" in failure.error

    # The re-run (the migration no longer sleeping) finds the victim alone pending.
    rerun = _runner("9601_kill_probe", "CREATE TABLE kill_probe (id int)",
                    arguments=["--processes=2", *[f"--schema={s}" for s in schemas]],
                    log=tmp_path / "rerun.log")
    try:
        assert rerun.wait(120) == 0, (tmp_path / "rerun.log").read_text()
    finally:
        rerun.kill()
    assert "4 up to date, 1 migrated, 0 failed" in (tmp_path / "rerun.log").read_text()
    assert "kill_probe" in tables(victim)
    assert not SchemaMigrationFailure.objects.filter(schema_name=victim).exists()
