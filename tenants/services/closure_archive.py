"""The full export of an organisation that is closing: every table of its schema as CSV and
JSON, its files (report PDFs, logo, uploads), and a README in its language, in one zip.

Generic over the schema (read from ``information_schema``), so a table added later is
exported without a change here. Written to a temporary name and renamed at the end: the
archive exists only once complete."""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import zipfile
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..models import Organisation
from .closure import ARCHIVE_FOLDER, closure_archive_path, organisation_media_root

BATCH = 2000


def schema_tables(schema_name: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables "
                       "WHERE table_schema = %s AND table_type = 'BASE TABLE' "
                       "ORDER BY table_name", [schema_name])
        return [row[0] for row in cursor.fetchall()]


def _plain(value: Any) -> Any:
    """A value as JSON holds it."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, memoryview | bytes):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    plain = _plain(value)
    if isinstance(plain, dict | list):
        return json.dumps(plain, ensure_ascii=False)
    if isinstance(plain, bool):
        return "true" if plain else "false"
    return str(plain)


def _select(cursor: Any, schema_name: str, table: str) -> list[str]:
    quoted = f"{connection.ops.quote_name(schema_name)}.{connection.ops.quote_name(table)}"
    cursor.execute(f"SELECT * FROM {quoted} ORDER BY 1")  # noqa: S608 - quoted names
    return [column.name for column in cursor.description or []]


def _write_table(archive: zipfile.ZipFile, schema_name: str, table: str) -> int:
    """The table as CSV, then as JSON (a zip takes one entry at a time: two reads, in
    the one snapshot of the build's transaction)."""
    count = 0
    with connection.cursor() as cursor, archive.open(f"tables/{table}.csv", "w") as raw:
        columns = _select(cursor, schema_name, table)
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        writer = csv.writer(text)
        writer.writerow(columns)
        while rows := cursor.fetchmany(BATCH):
            writer.writerows([_cell(value) for value in row] for row in rows)
            count += len(rows)
        text.flush()
        text.detach()
    with connection.cursor() as cursor, archive.open(f"tables/{table}.json", "w") as raw:
        columns = _select(cursor, schema_name, table)
        text = io.TextIOWrapper(raw, encoding="utf-8")
        text.write("[")
        first = True
        while rows := cursor.fetchmany(BATCH):
            for row in rows:
                text.write(("\n" if first else ",\n") + json.dumps(
                    {column: _plain(value) for column, value in zip(columns, row, strict=True)},
                    ensure_ascii=False))
                first = False
        text.write("\n]\n")
        text.flush()
        text.detach()
    return count


def _media_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    found: list[Path] = []
    for folder, subfolders, names in os.walk(root):
        here = Path(folder)
        if here == root and ARCHIVE_FOLDER in subfolders:
            subfolders.remove(ARCHIVE_FOLDER)  # earlier exports are not exported again
        found.extend(here / name for name in names)
    return sorted(found)


def _readme(organisation: Organisation, tables: dict[str, int], files: int) -> str:
    with translation.override(organisation.locale):
        lines = [
            _("Export of %(name)s (%(host)s), made on %(date)s.") % {
                "name": organisation.name, "host": organisation.primary_host,
                "date": timezone.localdate().isoformat()},
            "",
            _("This archive holds all the data of your organisation's space before it is "
              "closed, personal data included: keep it safely and delete it when you no "
              "longer need it."),
            "",
            _("tables/: one file per table of the database, each as CSV (comma-separated, "
              "UTF-8, one header row) and as JSON (a list of rows). Empty cells in the CSV "
              "are empty values."),
            _("files/: the files of the space as they were stored (report PDFs, logo, "
              "uploads)."),
            "",
            _("Tables and their number of rows:"),
            *(f"- {table}: {count}" for table, count in tables.items()),
            "",
            _("Files: %(count)s") % {"count": files},
        ]
    return "\n".join(lines) + "\n"


def closure_archive_build(*, organisation: Organisation) -> Path:
    """Write the export of the closure request in progress; its path."""
    target = closure_archive_path(organisation)
    if target is None:
        raise ValueError("no closure requested")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    media_root = organisation_media_root(organisation)
    counts: dict[str, int] = {}
    files = _media_files(media_root)
    snapshot = not connection.in_atomic_block  # else the caller's transaction is the one
    with (transaction.atomic(),
          zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED,
                          allowZip64=True) as archive):
        if snapshot:
            with connection.cursor() as cursor:  # one snapshot for every table
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        for table in schema_tables(organisation.schema_name):
            counts[table] = _write_table(archive, organisation.schema_name, table)
        for path in files:
            archive.write(path, f"files/{path.relative_to(media_root).as_posix()}")
        archive.writestr("README.txt", _readme(organisation, counts, len(files)))
    partial.replace(target)
    return target
