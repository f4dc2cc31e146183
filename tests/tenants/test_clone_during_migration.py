"""A sign-up or a template capture while ``migrate_organisations`` changes the template:
the interleavings are made to happen, in order, by committing a template migration from
another session at the exact point in between (no timing).

With real commits; every organisation, migration record and snapshot a test makes is
removed at its end."""

from __future__ import annotations

import os
from collections.abc import Iterator

import psycopg
import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.test import override_settings

from tenants import schema_clone
from tenants.libpq import libpq_dsn
from tenants.models import Organisation, TemplateSchemaSnapshot
from tenants.schema_clone import TemplateSchemaError, template_ddl, template_state
from tenants.schema_migrations import migration_lock, signups_paused
from tenants.services import organisation_provision

from ..conftest import drop_organisation

PID = os.getpid()
FAKE = ("lab", f"9999_committed_meanwhile_{PID}")


def _other_session() -> psycopg.Connection:
    return psycopg.connect(libpq_dsn(connection.settings_dict), autocommit=True)


def _commit_template_migration() -> None:
    """Another session (a migration run) records one more migration in the template."""
    with _other_session() as other:
        other.execute(
            f'INSERT INTO "{settings.TENANT_TEMPLATE_SCHEMA}".django_migrations '  # noqa: S608
            "(app, name, applied) VALUES (%s, %s, now())", list(FAKE))


@pytest.fixture
def clean(committed) -> Iterator[list[Organisation]]:
    made: list[Organisation] = []
    TemplateSchemaSnapshot.objects.all().delete()  # captured again on first use
    try:
        yield made
    finally:
        connection.set_schema_to_public()
        with _other_session() as other:
            other.execute(
                f'DELETE FROM "{settings.TENANT_TEMPLATE_SCHEMA}".django_migrations '  # noqa: S608
                "WHERE app = %s AND name = %s", list(FAKE))
        for organisation in made:
            drop_organisation(organisation)
        TemplateSchemaSnapshot.objects.all().delete()


def test_a_dump_taken_while_the_template_moved_is_not_stored_under_the_old_state(
        clean, monkeypatch):
    before = template_state()
    real = schema_clone.dump_template_ddl
    dumps = []

    def dump_then_migration_committed() -> str:
        ddl = real()
        dumps.append(ddl)
        if len(dumps) == 1:
            _commit_template_migration()
        return ddl

    monkeypatch.setattr(schema_clone, "dump_template_ddl", dump_then_migration_committed)
    state, _ddl = template_ddl()
    after = template_state()
    assert after != before and state == after and len(dumps) == 2
    assert not TemplateSchemaSnapshot.objects.filter(migration_state=before).exists()
    assert TemplateSchemaSnapshot.objects.filter(migration_state=after).count() == 1


@override_settings(SPARE_SCHEMAS=0)
def test_a_clone_whose_template_was_migrated_after_the_snapshot_leaves_nothing(
        clean, monkeypatch):
    """The tables come from the snapshot of state A; the records are read from the
    template, which a migration run has meanwhile moved to B: the sign-up is refused
    whole, rather than made with B's records over A's tables (never repaired after)."""
    real = schema_clone.template_ddl

    def snapshot_then_migration_committed() -> tuple[str, str]:
        result = real()
        _commit_template_migration()
        return result

    monkeypatch.setattr(schema_clone, "template_ddl", snapshot_then_migration_committed)
    slug = f"clone-moved-{PID}"
    try:
        with pytest.raises(TemplateSchemaError, match="migrated during the copy"):
            organisation_provision(name="Moved", slug=slug, owner_email="o@moved.example")
    finally:
        clean.extend(Organisation.objects.filter(slug=slug))
    assert not Organisation.objects.filter(slug=slug).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s",
                       [slug.replace("-", "_")])
        assert cursor.fetchone() is None


@override_settings(SPARE_SCHEMAS=0)
def test_a_sign_up_waits_while_a_run_migrates_the_template_and_lists_organisations(clean):
    """A run lists the organisations once the template is migrated, sign-ups held back: a
    sign-up must not make its schema meanwhile (its organisation would be listed by no
    run, its schema copied from the template before the migration). Past that step, the
    run still going, sign-ups go through."""
    slug = f"clone-locked-{PID}"
    with migration_lock(wait=0), signups_paused():
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")
        try:
            with pytest.raises(OperationalError, match="lock timeout"):
                organisation_provision(name="Locked", slug=slug,
                                       owner_email="o@locked.example")
        finally:
            clean.extend(Organisation.objects.filter(slug=slug))
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
        assert not Organisation.objects.filter(slug=slug).exists()
    # The template migrated and the organisations listed, the run going on: the sign-up
    # goes through.
    with migration_lock(wait=0):
        organisation = organisation_provision(name="Locked", slug=slug,
                                              owner_email="o@locked.example")
    clean.append(organisation)
    assert Organisation.objects.filter(slug=slug).exists()
