"""Bringing one organisation back from its archive (see ``backup`` for the format).

Checks first, loads after: every member's sha256 against the manifest, the archive's
migrations against the code's (they must be the same: restore with the release that made
the archive, then migrate), the target address free (slug, domain, schema, media folder).
Then, in one transaction: the Organisation row, the schema under its (possibly new) name
from the DDL, every table's rows, users mapped by e-mail, constraints and indexes, the
sequences' positions, the domains, memberships and consultant assignments. Files are
unpacked beside the media folder first and moved into place once the transaction has
committed; a failure removes them.
"""

from __future__ import annotations

import json
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from core.errors import DomainError
from core.tenancy import call_on_commit

from ..models import ConsultantAssignment, Domain, Membership, Organisation, User
from ..schema_clone import expected_tenant_migrations
from .backup import (
    FORMAT_VERSION,
    PLACEHOLDER,
    BackupError,
    media_folder,
    public_keys,
    quote,
    sha256_of,
)
from .provisioning import schema_name_for, slug_validate


@dataclass
class RestoreResult:
    organisation: Organisation
    users_created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _unpack(path: Path, into: Path) -> dict[str, Any]:
    """Extract the archive into ``into`` and check every member against the manifest."""
    try:
        with tarfile.open(path, "r:*") as archive:
            for member in archive.getmembers():
                name = PurePosixPath(member.name)
                if not member.isfile() or name.is_absolute() or ".." in name.parts:
                    raise BackupError(f"The archive holds an unexpected member: {member.name}")
                archive.extract(member, into, set_attrs=False)
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{path} is not a readable organisation archive: {exc}") from exc
    manifest_path = into / "manifest.json"
    if not manifest_path.is_file():
        raise BackupError(f"{path} has no manifest.json.")
    manifest: dict[str, Any] = json.loads(manifest_path.read_text())
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"Archive format {manifest.get('format_version')} is not "
                          f"{FORMAT_VERSION}, the one this release reads.")
    listed = set(manifest["members"])
    present = {p.relative_to(into).as_posix() for p in into.rglob("*") if p.is_file()}
    present.discard("manifest.json")
    if listed != present:
        extra = sorted(present - listed)
        missing = sorted(listed - present)
        raise BackupError(f"The archive does not match its manifest (missing {missing}, "
                          f"unlisted {extra}).")
    for name, digest in manifest["members"].items():
        if sha256_of(into / name) != digest:
            raise BackupError(f"Checksum mismatch for {name}: the archive is damaged.")
    return manifest


def _check_migrations(manifest: dict[str, Any]) -> None:
    expected = set(expected_tenant_migrations())
    # migrate_schemas records every app's migrations in each schema; the tenant apps' matter.
    labels = {app for app, _ in expected}
    archived = {(app, name) for app, name in manifest["migrations"] if app in labels}
    if archived != expected:
        missing = ", ".join(f"{a}.{n}" for a, n in sorted(expected - archived)) or "none"
        unknown = ", ".join(f"{a}.{n}" for a, n in sorted(archived - expected)) or "none"
        raise BackupError(
            "The archive's migrations are not the code's (the code has, the archive lacks: "
            f"{missing}; the archive has, the code lacks: {unknown}). Restore with the "
            "release that made the archive, then run migrate_schemas.")


def _check_target(slug: str, schema_name: str) -> None:
    try:
        slug_validate(slug)
    except DomainError as exc:
        messages = "; ".join(m for ms in exc.errors.values() for m in ms)
        raise BackupError(f"Cannot restore as {slug} (schema {schema_name}): {messages}"
                          ) from exc
    folder = media_folder(schema_name)
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"The media folder {folder} already holds files; "
                          "remove it or choose another address.")


def _users(public: dict[str, Any], result: RestoreResult) -> dict[int, int]:
    """Old user id -> this database's user id, by e-mail; users missing here are created
    without a password (they choose one with the password reset)."""
    mapping: dict[int, int] = {}
    for row in public["users"]:
        user = User.objects.filter(email__iexact=row["email"]).first()
        if user is None:
            user = User.objects.create_user(
                email=row["email"], full_name=row["full_name"],
                preferred_language=row["preferred_language"])
            result.users_created.append(user.email)
        mapping[int(row["id"])] = user.pk
    return mapping


def _reference_maps(public: dict[str, Any], user_map: dict[int, int]
                    ) -> dict[str, dict[int, int]]:
    """Old id -> this database's id for every public table the rows reference."""
    maps = {User._meta.db_table: user_map}
    with connection.cursor() as cursor:
        for target, archived in public["keys"].items():
            if target in maps:
                continue
            here = {key: row_id for row_id, key in public_keys(cursor, target).items()}
            missing = sorted(set(archived.values()) - set(here))
            if missing:
                raise BackupError(f"{target} here lacks {', '.join(missing)}, which the "
                                  "organisation's rows use (load the same library first).")
            maps[target] = {int(old): here[key] for old, key in archived.items()}
    return maps


def _load_schema(scratch: Path, manifest: dict[str, Any], schema_name: str,
                 maps: dict[str, dict[int, int]]) -> None:
    q = quote(schema_name)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {q}")
        cursor.execute((scratch / "schema/pre-data.sql").read_text().replace(PLACEHOLDER, q))
        raw = cursor.cursor
        for table, info in manifest["tables"].items():
            names = ", ".join(quote(c) for c in info["columns"])
            with raw.copy(f"COPY {q}.{quote(table)} ({names}) FROM STDIN") as copy, \
                    open(scratch / f"data/{table}.copy", "rb") as source:
                while chunk := source.read(1 << 20):
                    copy.write(chunk)
        cursor.execute("CREATE TEMPORARY TABLE restore_id_map (target text, old bigint, "
                       "new bigint) ON COMMIT DROP")
        cursor.executemany("INSERT INTO restore_id_map VALUES (%s, %s, %s)",
                           [(target, old, new) for target, mapping in maps.items()
                            for old, new in mapping.items() if old != new])
        for table, column, target in manifest["public_references"]:
            col = quote(column)
            cursor.execute(f"UPDATE {q}.{quote(table)} t SET {col} = m.new "  # noqa: S608
                           f"FROM restore_id_map m WHERE m.target = %s AND t.{col} = m.old",
                           [target])
        cursor.execute((scratch / "schema/post-data.sql").read_text().replace(PLACEHOLDER, q))
        for sequence, last_value in manifest["sequences"].items():
            if last_value is not None:
                cursor.execute("SELECT setval(%s::regclass, %s, true)",
                               [f"{q}.{quote(sequence)}", last_value])


def _public_rows(public: dict[str, Any], organisation: Organisation, same_address: bool,
                 user_map: dict[int, int], result: RestoreResult) -> None:
    by_email = {row["email"].lower(): user_map[int(row["id"])] for row in public["users"]}
    if same_address:
        for row in public["domains"]:
            if Domain.objects.filter(domain=row["domain"]).exists():
                result.skipped.append(f"domain {row['domain']} (held by another organisation)")
                continue
            Domain.objects.create(domain=row["domain"], tenant=organisation,
                                  is_primary=row["is_primary"])
    if not organisation.domains.filter(is_primary=True).exists():
        Domain.objects.create(domain=organisation.primary_host, tenant=organisation,
                              is_primary=True)
    for row in public["memberships"]:
        Membership.objects.create(user_id=by_email[row["email"].lower()],
                                  organisation=organisation, role=row["role"],
                                  created_at=row["created_at"])
    for row in public["consultants"]:
        consultant = User.objects.get(pk=by_email[row["email"].lower()])
        if not consultant.is_consultant:
            result.skipped.append(f"consultant {consultant.email} (not a consultant here)")
            continue
        ConsultantAssignment.objects.create(consultant=consultant, organisation=organisation,
                                            assigned_at=row["assigned_at"])


def organisation_restore(*, path: Path, slug: str | None = None) -> RestoreResult:
    """Restore the archive at ``path`` as a new organisation (its own address or ``slug``)."""
    if connection.in_atomic_block:
        # The files are moved when the restore commits: an outer transaction would hold them.
        raise RuntimeError("organisation_restore runs its own transaction; call it outside one")
    staging_root = Path(settings.MEDIA_ROOT)
    staging_root.mkdir(parents=True, exist_ok=True)
    # Unpacked under MEDIA_ROOT so that the final move is a rename on one file system.
    scratch = Path(tempfile.mkdtemp(prefix=".restore-", dir=staging_root))
    try:
        manifest = _unpack(path, scratch)
        _check_migrations(manifest)
        public: dict[str, Any] = json.loads((scratch / "public.json").read_text())
        slug = (slug or public["slug"]).strip().lower()
        schema_name = schema_name_for(slug)
        _check_target(slug, schema_name)
        result = RestoreResult(organisation=Organisation())
        with transaction.atomic():
            fields = {}
            for name, value in public["organisation"].items():
                model_field = Organisation._meta.get_field(name)
                fields[name] = model_field.to_python(value)
            organisation = Organisation(slug=slug, schema_name=schema_name, **fields)
            closer = public["closure_requested_by"]
            organisation.closure_requested_by = (
                User.objects.filter(email__iexact=closer).first() if closer else None)
            organisation.save()
            result.organisation = organisation
            user_map = _users(public, result)
            _load_schema(scratch, manifest, schema_name, _reference_maps(public, user_map))
            _public_rows(public, organisation, slug == public["slug"], user_map, result)
            call_on_commit(_move_files, scratch=scratch, schema_name=schema_name)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return result


def _move_files(*, scratch: Path, schema_name: str) -> None:
    files = scratch / "files"
    if files.is_dir():
        target = media_folder(schema_name)
        if target.exists():
            target.rmdir()  # empty: _check_target refused a folder holding files
        files.rename(target)
