"""A pool of spare schemas, cloned from the template ahead of time and renamed at sign-up.

Replaying the template's DDL (tables, ~170 indexes, triggers) costs what PostgreSQL's disk
and CPUs allow at that moment: 25 ms on an idle server, around a second on a busy one. A
sign-up should not pay it. ``spare_schemas_refill`` (a Celery task after every spare taken,
the beat every minute, and the release step) keeps ``settings.SPARE_SCHEMAS`` clones ready;
``schema_clone.spare_schema_take``, inside the sign-up's transaction, deletes one spare's
row and renames its schema to the organisation's: two statements, whatever the load.

Invariants, each held by PostgreSQL:

- a spare is taken once: its row is deleted with ``FOR UPDATE SKIP LOCKED`` (two
  concurrent sign-ups lock different rows; a row being taken is skipped, not waited
  for), and the rename happens in the same transaction, so a sign-up that fails gives
  the spare back;
- a spare at another migration state than the template's is never taken (its row says the
  state it was cloned at); ``migrate_organisations`` drops those after migrating, and a
  refill drops them too. Spares are not migrated: a fresh clone costs no more than
  migrating one, and only one path makes an organisation's schema (a copy of the
  template at its current state);
- spares are invisible to the rest: no Organisation row (so no migration run, periodic
  task, metric or backup walks them) and a name starting with ``_``, which no address
  produces (slugs are letters, digits and inner hyphens);
- one refill at a time (a session advisory lock), so concurrent refills never overshoot
  the pool's size;
- a refill does not hold sign-ups back: a spare is built in one transaction without its
  foreign keys to public tables, which are added with its row in a short second one
  (adding them locks the users' table against the sign-ups' writes).

The functions here run in the public schema's search path and never touch the current
organisation.
"""

from __future__ import annotations

import logging
import secrets

from django.conf import settings
from django.db import connection, transaction

from .models import SpareSchema
from .schema_clone import (
    TemplateSchemaError,
    check_template_current,
    replay_ddl,
    split_public_references,
    template_ddl,
    template_state,
)

logger = logging.getLogger(__name__)

SPARE_PREFIX = "_spare_"
# pg_advisory_lock key held by a refill while it counts and clones.
REFILL_LOCK_KEY = 7_316_002


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _table() -> str:
    return _quote(SpareSchema._meta.db_table)


def spare_schemas_discard_stale() -> list[str]:
    """Drop the spares cloned at another migration state than the template's (after a
    migration, or if the template is missing). Returns their schema names."""
    try:
        state = template_state()
    except TemplateSchemaError:
        state = ""
    table = f"public.{_table()}"
    with transaction.atomic(), connection.cursor() as cursor:
        # SKIP LOCKED: a spare being taken right now is the sign-up's, not ours.
        cursor.execute(
            f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} "  # noqa: S608
            "WHERE migration_state <> %s FOR UPDATE SKIP LOCKED) RETURNING schema_name",
            [state],
        )
        names = sorted(row[0] for row in cursor.fetchall())
        for name in names:
            cursor.execute(f"DROP SCHEMA IF EXISTS {_quote(name)} CASCADE")
    if names:
        logger.info("Spare schemas dropped (behind the template): %s", ", ".join(names))
    return names


def spare_schema_make(name: str) -> str:
    """Clone one spare, in two transactions; returns the migration state it was made at.

    Adding a foreign key to a public table (the users) locks that table against writes
    until the transaction ends, and every sign-up writes a user: cloned in one
    transaction, a spare would hold sign-ups back for the whole clone (seconds on a busy
    server). So the schema is built first without those keys, then a short second
    transaction adds them and the spare's row. A spare without its row (the process died
    in between) is not in the pool; the next refill drops it."""
    state, ddl = template_ddl()
    own, references = split_public_references(ddl)
    with transaction.atomic():
        replay_ddl(name, own, state)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if references:
                cursor.execute(references.replace("__schema__", _quote(name)))
            SpareSchema.objects.create(schema_name=name, migration_state=state)
    except BaseException:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {_quote(name)} CASCADE")
        raise
    return state


def _drop_orphans() -> list[str]:
    """Spare schemas without their row (a refill that died between its two transactions).
    Only under the refill lock: no other refill is between them then."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s AND nspname NOT IN "  # noqa: S608
            f"(SELECT schema_name FROM public.{_table()})",
            [SPARE_PREFIX.replace("_", r"\_") + "%"])
        names = [row[0] for row in cursor.fetchall()]
        for name in names:
            cursor.execute(f"DROP SCHEMA IF EXISTS {_quote(name)} CASCADE")
    return names


def spare_schemas_refill(*, size: int | None = None) -> list[str]:
    """Clone spares until ``size`` (``settings.SPARE_SCHEMAS``) are ready at the template's
    current state, after dropping the stale ones. One refill at a time (a session advisory
    lock, released if the process dies), so that the count is exact and half-made spares
    can be told apart. Returns the names made."""
    target = settings.SPARE_SCHEMAS if size is None else size
    spare_schemas_discard_stale()
    made: list[str] = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [REFILL_LOCK_KEY])
    try:
        _drop_orphans()
        while True:
            state = check_template_current()
            if SpareSchema.objects.filter(migration_state=state).count() >= target:
                return made
            name = f"{SPARE_PREFIX}{secrets.token_hex(8)}"
            spare_schema_make(name)
            made.append(name)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [REFILL_LOCK_KEY])


def spare_schema_counts() -> tuple[int, int]:
    """(ready, stale): spares at the template's current migration state, and the others.
    One query for the template's state, one for the counts."""
    try:
        state = template_state()
    except TemplateSchemaError:
        state = ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FILTER (WHERE migration_state = %s), "  # noqa: S608
            f"count(*) FILTER (WHERE migration_state <> %s) FROM public.{_table()}",
            [state, state],
        )
        ready, stale = cursor.fetchone()
    return int(ready), int(stale)
