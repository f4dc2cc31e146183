"""Participant lists: importing a CSV file of employees or citizens; and a participant
who asks for no more messages.

An import is all or nothing by default: a file with one bad row imports nothing, so an
organiser never has to work out which half of a list went in. ``only_valid`` is the
explicit way to take the good rows anyway. A dry run reports what would happen.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from core.errors import DomainError

from ..models import ConsentRecord, Participant, Team
from .consent import consent_record
from .participant_bulk import BulkRow, participants_bulk_upsert

MAX_ROWS = 20_000
# 20,000 rows of nine columns stay well under this; anything bigger is not a participant list.
MAX_FILE_BYTES = 10 * 1024 * 1024

COLUMNS = ("email", "first_name", "last_name", "team", "site", "postcode", "age_band",
           "language", "consent")
# Headers as spreadsheets write them ("E-mail", "First name") are matched to ours.
HEADER_ALIASES = {"e_mail": "email", "mail": "email", "firstname": "first_name",
                  "lastname": "last_name", "zip": "postcode", "zip_code": "postcode"}
# Character fields, each with its max_length.
MAX_LENGTHS: dict[str, int] = {
    **{name: cast(Any, Participant._meta.get_field(name)).max_length
       for name in ("email", "first_name", "last_name", "site", "postcode", "age_band")},
    "team": cast(Any, Team._meta.get_field("name")).max_length,
}
LANGUAGES = ("fr", "en")
CONSENT_VALUES = {"yes": True, "true": True, "1": True, "oui": True,
                  "no": False, "false": False, "0": False, "non": False}
# Lower-cased e-mails are looked up in batches: one query per batch, not per row.
LOOKUP_BATCH = 5_000
# How often a dry run reports its progress, in rows.
PROGRESS_EVERY = 2_000


@dataclass(frozen=True)
class RowError:
    """A refused value: the file's line number (the header is line 1) and its column."""

    line: int
    column: str | None
    message: str


@dataclass
class ImportReport:
    """What an import did, or would do for a dry run.

    ``created`` and ``updated`` count valid rows: new e-mail addresses and addresses
    already known (whose empty fields the file completes). ``imported`` tells whether
    anything was written.
    """

    dry_run: bool
    only_valid: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    imported: bool = False
    errors: list[RowError] = field(default_factory=list)

    @property
    def invalid_rows(self) -> int:
        return len({error.line for error in self.errors})

    @property
    def valid_rows(self) -> int:
        return self.rows - self.invalid_rows


@dataclass
class _Row:
    line: int
    values: dict[str, str]
    consent: bool | None = None


def upload_decode(*, data: bytes) -> str:
    """The text of an uploaded CSV file: UTF-8, with or without a byte-order mark."""
    if len(data) > MAX_FILE_BYTES:
        raise DomainError({"csv": [_("The file is larger than %(mb)s MB: split it into "
                                     "smaller files.") % {"mb": MAX_FILE_BYTES // 2**20}]})
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DomainError({"csv": [_("The file is not UTF-8 text: in your spreadsheet, "
                                     "save it as “CSV UTF-8”.")]}) from exc


def _header_name(raw: str) -> str:
    name = raw.strip().lower().replace("-", "_").replace(" ", "_")
    return HEADER_ALIASES.get(name, name)


def _read_rows(text: str) -> tuple[list[_Row], list[RowError]]:
    """Parse the CSV text; refuse (DomainError) what makes the whole file unusable."""
    # Only \r and \n end a line, as for the csv module (str.splitlines knows more).
    stream = io.StringIO(text.removeprefix("\ufeff"), newline="")
    skipped = 0  # blank lines above the header
    for header_line in stream:
        if header_line.strip():
            break
        skipped += 1
    else:
        raise DomainError({"csv": [_("The file is empty: it needs a header row, then one "
                                     "row per participant.")]})
    # Our column names never contain either separator, so the header row tells which it is.
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(itertools.chain([header_line], stream), delimiter=delimiter)
    try:
        header = [_header_name(name) for name in next(reader)]
        header_errors = _header_errors(header)
        if header_errors:
            raise DomainError({"csv": header_errors})
        rows: list[_Row] = []
        errors: list[RowError] = []
        end = reader.line_num
        for record in reader:
            # Line numbers are the file's; a quoted value may span several lines.
            line, end = skipped + end + 1, reader.line_num
            if not any(value.strip() for value in record):
                continue
            if len(rows) == MAX_ROWS:
                raise DomainError({"csv": [_(
                    "The file has more than %(max)s rows: split it into smaller files.") % {
                    "max": number_format(MAX_ROWS, force_grouping=True)}]})
            if any(value.strip() for value in record[len(header):]):
                errors.append(RowError(line, None, _(
                    "This row has %(found)s values but the header has %(expected)s "
                    "columns.") % {"found": len(record), "expected": len(header)}))
            rows.append(_Row(line=line, values={
                name: value.strip() for name, value in zip(header, record, strict=False)
                if name}))
    except csv.Error as exc:
        raise DomainError({"csv": [_("Line %(line)s cannot be read as CSV: %(error)s.") % {
            "line": skipped + reader.line_num, "error": exc}]}) from exc
    return rows, errors


def _header_errors(header: list[str]) -> list[str]:
    errors = []
    unknown = [name for name in header if name and name not in COLUMNS]
    if unknown:
        errors.append(_("Unknown column(s): %(unknown)s. The columns are: %(columns)s.") % {
            "unknown": ", ".join(unknown), "columns": ", ".join(COLUMNS)})
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:
        errors.append(_("Column(s) given twice: %(names)s.") % {"names": ", ".join(repeated)})
    if "email" not in header:
        errors.append(_("The header row has no “email” column."))
    return errors


def _validate(row: _Row, seen: dict[str, int]) -> list[RowError]:
    errors = []
    email = row.values.get("email", "").lower()
    row.values["email"] = email
    if not email:
        errors.append(RowError(row.line, "email", _("The e-mail address is missing.")))
    else:
        try:
            validate_email(email)
        except ValidationError:
            errors.append(RowError(row.line, "email", _("“%(value)s” is not a valid e-mail "
                                                        "address.") % {"value": email}))
        else:
            if email in seen:
                errors.append(RowError(row.line, "email", _(
                    "%(value)s is already on line %(line)s of the file.") % {
                    "value": email, "line": seen[email]}))
            else:
                seen[email] = row.line
    for name, limit in MAX_LENGTHS.items():
        if len(row.values.get(name, "")) > limit:
            errors.append(RowError(row.line, name, _("At most %(limit)s characters.") % {
                "limit": limit}))
    language = row.values.get("language", "").lower()
    row.values["language"] = language
    if language and language not in LANGUAGES:
        errors.append(RowError(row.line, "language", _(
            "“%(value)s” is not a language we write in: use “fr” or “en”.") % {
            "value": language}))
    consent = row.values.get("consent", "")
    if consent:
        row.consent = CONSENT_VALUES.get(consent.lower())
        if row.consent is None:
            errors.append(RowError(row.line, "consent", _(
                "“%(value)s” is not a yes or no: use yes/no, oui/non, true/false or 1/0.") % {
                "value": consent}))
    return errors


def _known_emails(emails: list[str]) -> set[str]:
    known: set[str] = set()
    for start in range(0, len(emails), LOOKUP_BATCH):
        known.update(Participant.objects.annotate(email_lower=Lower("email"))
                     .filter(email_lower__in=emails[start:start + LOOKUP_BATCH])
                     .values_list("email_lower", flat=True))
    return known


def participants_import(*, text: str, dry_run: bool = True, only_valid: bool = False,
                        consent_collected: bool = False,
                        progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Check a CSV list of participants and, unless ``dry_run``, create or complete them.

    Columns (header row, comma or semicolon): email (required), first_name, last_name,
    team, site, postcode, age_band, language (fr/en), consent (yes/no). Every row is
    checked; a bad row stops the whole import unless ``only_valid``. Existing participants
    (same e-mail, any case) keep their values where the file's cell is empty. A file the
    import cannot read at all (no header, unknown columns, too many rows) is refused with
    a DomainError, whatever ``only_valid`` says.

    Consent (see ``services.consent``): a "yes" records the person's consent only when the
    organisation says it collected it (``consent_collected``), else the row is refused; a
    "no" never withdraws anyone's consent (only the person may), it only means "not asked".
    """
    rows, errors = _read_rows(text)
    seen: dict[str, int] = {}
    for row in rows:
        errors.extend(_validate(row, seen))
        if row.consent and not consent_collected:
            errors.append(RowError(row.line, "consent", _(
                "“yes” records this person’s consent to hear about future actions: confirm "
                "that your organisation collected it, or leave the cell empty.")))
    errors.sort(key=lambda error: error.line)
    report = ImportReport(dry_run=dry_run, only_valid=only_valid, rows=len(rows),
                          errors=errors)
    bad_lines = {error.line for error in errors}
    valid = [row for row in rows if row.line not in bad_lines]
    known = _known_emails([row.values["email"] for row in valid])
    report.updated = sum(1 for row in valid if row.values["email"] in known)
    report.created = len(valid) - report.updated
    if dry_run or (errors and not only_valid) or not valid:
        return report

    with transaction.atomic():
        # One transaction for every batch: an import is written whole or not at all.
        created = participants_bulk_upsert(
            rows=[BulkRow(email=row.values["email"], values=row.values,
                          # "no" is never written: an import does not withdraw anyone's
                          # consent.
                          consent=bool(row.consent)) for row in valid],
            progress=(lambda n: progress(n, len(valid))) if progress else None)
    # Counted again from what happened: someone may have signed up since the check.
    report.created, report.updated, report.imported = created, len(valid) - created, True
    return report


def participant_unsubscribe(*, participant: Participant, language: str = "") -> Participant:
    """The participant asks for no more messages: the first date they asked is kept, and
    their consent to be contacted is withdrawn (a consent record, from the link)."""
    consent_record(participant=participant, given=False,
                   source=ConsentRecord.Source.UNSUBSCRIBE_LINK, language=language)
    return participant
