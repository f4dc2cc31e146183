"""One organisation's backup: its schema (DDL and every table's rows), the public rows that
bring it back, and its files, in one archive with a manifest.

The archive (a gzipped tar) holds:

- ``schema/pre-data.sql`` and ``schema/post-data.sql``: the schema's DDL from ``pg_dump``
  (tables and sequences; then indexes, constraints and foreign keys), its name replaced by
  the placeholder ``__schema__`` as ``tenants.schema_clone`` does;
- ``data/<table>.copy``: each table's rows in COPY text format, every base table found in
  ``information_schema`` (so a new table is never forgotten), read in the same snapshot as
  the DDL (``pg_export_snapshot`` shared with ``pg_dump --snapshot``);
- ``public.json``: the organisation's own fields, its domains, its members and consultants
  by e-mail, the users its rows name (tenant columns referencing the user table are mapped
  by e-mail on restore), the sequences' positions;
- ``files/...``: everything under ``MEDIA_ROOT/<schema>/`` (report PDFs, the logo);
- ``manifest.json``: format version, the schema's migrations, table columns and row
  counts, and the sha256 of every other member, checked before anything is loaded.

Billing rows (account, subscription) are not carried: they describe a contract with the
operator, not the organisation's data; a restored copy starts without a subscription.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils import timezone

from ..libpq import libpq_dsn
from ..models import Organisation, User
from ..schema_clone import _pg_dump_binary

FORMAT_VERSION = 1
PLACEHOLDER = "__schema__"
# Organisation fields that are not carried as they are: the key, the address (the restore
# chooses it), the template flag, and the closure's author (carried by e-mail).
_NOT_CARRIED = {"id", "slug", "schema_name", "is_template", "closure_requested_by"}
_SKIP_LINE = re.compile(r"^(\\|SET |SELECT pg_catalog\.set_config|CREATE SCHEMA |--)")


class _Encoder(DjangoJSONEncoder):
    """Django's encoder, but times to the microsecond (it keeps milliseconds)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime | time):
            return o.isoformat()
        return super().default(o)


class BackupError(Exception):
    """The backup or the restore cannot go on; the message says why."""


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def media_folder(schema_name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / schema_name


# Public tables a tenant's rows may reference, with the natural key that finds the same row
# in another database: (id, key) for every row. Users are recreated when missing; any other
# key must exist where the archive is restored (the methodology library is loaded there).
PUBLIC_KEYS = {
    "tenants_user": "SELECT id, lower(email) FROM public.tenants_user",
    "methodology_templateversion":
        "SELECT v.id, t.slug || '@' || v.number FROM public.methodology_templateversion v "
        "JOIN public.methodology_template t ON t.id = v.template_id",
}


def public_references(cursor: Any, schema_name: str) -> list[tuple[str, str, str]]:
    """(table, column, public table) of every foreign key from the schema out of it. A
    reference to a public table without a natural key above is refused: it could not be
    brought back into another database."""
    cursor.execute(
        "SELECT cl.relname, att.attname, fn.nspname, fcl.relname FROM pg_constraint c "
        "JOIN pg_class cl ON cl.oid = c.conrelid "
        "JOIN pg_namespace n ON n.oid = cl.relnamespace "
        "JOIN pg_class fcl ON fcl.oid = c.confrelid "
        "JOIN pg_namespace fn ON fn.oid = fcl.relnamespace "
        "JOIN pg_attribute att ON att.attrelid = c.conrelid AND att.attnum = c.conkey[1] "
        "WHERE c.contype = 'f' AND n.nspname = %s AND fn.nspname <> n.nspname "
        "ORDER BY 1, 2",
        [schema_name],
    )
    found: list[tuple[str, str, str]] = []
    for table, column, target_schema, target in cursor.fetchall():
        if target_schema != settings.PUBLIC_SCHEMA_NAME or target not in PUBLIC_KEYS:
            raise BackupError(
                f"{schema_name}.{table}.{column} references {target_schema}.{target}, "
                "which has no natural key in tenants.services.backup.PUBLIC_KEYS.")
        found.append((table, column, target))
    return found


def public_keys(cursor: Any, target: str) -> dict[int, str]:
    cursor.execute(PUBLIC_KEYS[target])
    return {int(row_id): str(key) for row_id, key in cursor.fetchall()}


def _tables(cursor: Any, schema_name: str) -> list[tuple[str, list[str]]]:
    cursor.execute(
        "SELECT t.table_name, array_agg(c.column_name::text ORDER BY c.ordinal_position) "
        "FROM information_schema.tables t JOIN information_schema.columns c "
        "ON c.table_schema = t.table_schema AND c.table_name = t.table_name "
        "WHERE t.table_schema = %s AND t.table_type = 'BASE TABLE' "
        "AND c.is_generated = 'NEVER' GROUP BY t.table_name ORDER BY t.table_name",
        [schema_name],
    )
    return [(table, list(columns)) for table, columns in cursor.fetchall()]


def _dump_ddl(schema_name: str, section: str, snapshot: str) -> str:
    db = connection.settings_dict
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    result = subprocess.run(  # noqa: S603 - fixed binary, arguments from settings
        [_pg_dump_binary(), f"--section={section}", "--no-owner", "--no-privileges",
         "--no-comments", f"--schema={schema_name}", f"--snapshot={snapshot}",
         f"--dbname={libpq_dsn(db)}"],
        capture_output=True, text=True, env=env, check=False, timeout=600,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_dump of the schema {schema_name} failed: {result.stderr}")
    lines = [line for line in result.stdout.splitlines() if not _SKIP_LINE.match(line)]
    return re.sub(rf'(?<![\w"]){re.escape(schema_name)}(?=\.)', PLACEHOLDER,
                  "\n".join(lines))


def _public_rows(organisation: Organisation, user_ids: set[int]) -> dict[str, Any]:
    fields = {field.name: field.value_from_object(organisation)
              for field in Organisation._meta.concrete_fields
              if field.name not in _NOT_CARRIED}
    fields["logo"] = organisation.logo.name if organisation.logo else ""
    closer = organisation.closure_requested_by
    memberships = [{"email": m.user.email, "role": m.role, "created_at": m.created_at}
                   for m in organisation.memberships.select_related("user").order_by("pk")]
    consultants = [{"email": a.consultant.email, "assigned_at": a.assigned_at}
                   for a in organisation.consultant_assignments.select_related("consultant")
                   .order_by("pk")]
    user_ids |= set(organisation.memberships.values_list("user_id", flat=True))
    user_ids |= set(organisation.consultant_assignments.values_list("consultant_id", flat=True))
    if closer is not None:
        user_ids.add(closer.pk)
    users = [{"id": u.pk, "email": u.email, "full_name": u.full_name,
              "preferred_language": u.preferred_language, "is_consultant": u.is_consultant}
             for u in User.objects.filter(pk__in=user_ids).order_by("pk")]
    return {
        "slug": organisation.slug,
        "schema_name": organisation.schema_name,
        "organisation": fields,
        "closure_requested_by": closer.email if closer is not None else None,
        "domains": [{"domain": d.domain, "is_primary": d.is_primary}
                    for d in organisation.domains.order_by("pk")],
        "memberships": memberships,
        "consultants": consultants,
        "users": users,
    }


@contextmanager
def _snapshot_connection() -> Iterator[psycopg.Connection[Any]]:
    """A read-only REPEATABLE READ connection: every COPY and pg_dump see one moment."""
    with psycopg.connect(libpq_dsn(connection.settings_dict)) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            yield conn


def _write_table(conn: psycopg.Connection[Any], schema_name: str, table: str,
                 columns: list[str], path: Path) -> int:
    names = ", ".join(quote(c) for c in columns)
    rows = 0
    sql = f"COPY {quote(schema_name)}.{quote(table)} ({names}) TO STDOUT"
    with conn.cursor() as cursor, open(path, "wb") as out, cursor.copy(sql) as copy:
        for chunk in copy:
            out.write(chunk)
            rows += bytes(chunk).count(b"\n")
    return rows


def organisation_backup(*, organisation: Organisation, path: Path) -> dict[str, Any]:
    """Write ``organisation``'s archive to ``path``; return its manifest."""
    schema_name = organisation.schema_name
    if organisation.is_template or schema_name == settings.PUBLIC_SCHEMA_NAME:
        raise BackupError(f"{organisation.slug} is not a client organisation.")
    members: dict[str, Path] = {}
    manifest: dict[str, Any] = {"format_version": FORMAT_VERSION,
                                "created_at": timezone.now().isoformat(),
                                "schema_name": schema_name, "slug": organisation.slug,
                                "tables": {}, "sequences": {}}
    with tempfile.TemporaryDirectory(prefix="fullmobs-backup-") as scratch_dir, \
            _snapshot_connection() as conn:
        scratch = Path(scratch_dir)
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema_name])
            if cursor.fetchone() is None:
                raise BackupError(f"The schema {schema_name} does not exist.")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]  # type: ignore[index]
            tables = _tables(cursor, schema_name)
            references = public_references(cursor, schema_name)
            cursor.execute(f"SELECT app, name FROM {quote(schema_name)}.django_migrations "  # noqa: S608
                           "ORDER BY app, name")
            manifest["migrations"] = [list(row) for row in cursor.fetchall()]
            cursor.execute("SELECT sequencename, last_value FROM pg_sequences "
                           "WHERE schemaname = %s ORDER BY 1", [schema_name])
            manifest["sequences"] = dict(cursor.fetchall())
            used: dict[str, set[int]] = {target: set() for _, _, target in references}
            for table, column, target in references:
                cursor.execute(f"SELECT DISTINCT {quote(column)} FROM "  # noqa: S608
                               f"{quote(schema_name)}.{quote(table)} WHERE {quote(column)} "
                               "IS NOT NULL")
                used[target] |= {row[0] for row in cursor.fetchall()}
            keys = {target: {i: k for i, k in public_keys(cursor, target).items() if i in ids}
                    for target, ids in used.items()}
        manifest["public_references"] = [list(ref) for ref in references]
        user_ids = used.get(User._meta.db_table, set())
        for section in ("pre-data", "post-data"):
            ddl_file = scratch / f"{section}.sql"
            ddl_file.write_text(_dump_ddl(schema_name, section, snapshot))
            members[f"schema/{section}.sql"] = ddl_file
        for table, columns in tables:
            copy_file = scratch / f"{table}.copy"
            count = _write_table(conn, schema_name, table, columns, copy_file)
            manifest["tables"][table] = {"columns": columns, "rows": count}
            members[f"data/{table}.copy"] = copy_file
        public = scratch / "public.json"
        rows = _public_rows(organisation, user_ids)
        rows["keys"] = {target: {str(i): k for i, k in found.items()}
                        for target, found in keys.items()}
        public.write_text(json.dumps(rows, cls=_Encoder, indent=1))
        members["public.json"] = public
        folder = media_folder(schema_name)
        if folder.is_dir():
            for file in sorted(p for p in folder.rglob("*") if p.is_file()):
                members[f"files/{file.relative_to(folder).as_posix()}"] = file
        manifest["members"] = {name: sha256_of(file) for name, file in members.items()}
        with tarfile.open(path, "w:gz") as archive:
            encoded = json.dumps(manifest, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(encoded)
            info.mtime = int(timezone.now().timestamp())
            archive.addfile(info, io.BytesIO(encoded))
            for name, file in members.items():
                archive.add(file, arcname=name, recursive=False)
    return manifest
