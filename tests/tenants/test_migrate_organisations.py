"""migrate_organisations: nothing-to-apply detection, --status, a failure in one schema
rolled back whole, a re-run that resumes, --fail-fast.

Five organisations committed once for the module (the workers are other processes, which
see only committed rows) and dropped at the end. The extra migrations live in a temporary
copy of the lab app's migrations package; each test names its own, so the rows one test
leaves behind never pass for another's.
"""

from __future__ import annotations

import os
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.models import SchemaMigrationFailure
from tenants.schema_migrations import (
    CURRENT,
    FAILED,
    PENDING,
    migration_status,
    organisations_migrate,
)
from tenants.services import organisation_provision
from tests.conftest import drop_organisation

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
