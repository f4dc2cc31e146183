"""Writing a checked participant list in bulk: the same rows as ``participant_upsert``
called once per row, in a few statements per batch instead of a savepoint and four or five
queries per row (105 s for 20,000 rows that way; about 2 s this way, bench/imports.py).

How it stays the same as the single path (tests/engagement/test_import_jobs.py compares
the two on the same people):

- the rows are copied (COPY) into a temporary table shaped like the participants' table,
  each new person's defaults (referral code, dates) made by the model as for ``create``;
- one ``INSERT … SELECT … ON CONFLICT (lower(email)) DO UPDATE`` per batch creates the new
  people and completes the known ones: a non-empty cell replaces the known value, an empty
  one keeps it, a team given replaces the team (teams are unique by name in any case, so
  "the same name" and "the same team" are one test); the rows it touches stay locked
  until the import commits, as ``select_for_update`` did;
- a new person without a language takes the organisation's, after the insert (the
  conflict clause must see the cell as it was, empty, to keep a known person's language);
- a "yes" in the consent column gives consent, with the organisation's wording in the
  person's language, only where ``consent_record`` would: not to someone who consents
  already, nor over a withdrawal the person made themselves (their unsubscribe link, their
  own page or a sign-up form unticked). A "no" writes nothing.

The caller holds the transaction: all the batches commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.db.models.functions import Lower
from django.utils import timezone

from core.tenancy import current_organisation

from ..models import ConsentRecord, Participant, Team
from .consent import CONSENT_WORDING, ORGANISATION_VERSION, PERSONAL_SOURCES

# Rows per statement: large enough that the statements' own cost is small, small enough
# that the progress bar moves every few tenths of a second.
BATCH = 2_000
TEMP_TABLE = "participant_import_rows"
# The cells a file may complete on a known person ("" keeps the known value).
MERGED = ("first_name", "last_name", "language", "site", "postcode", "age_band")


@dataclass(frozen=True)
class BulkRow:
    """One checked row: a lower-cased, valid e-mail (unique in the file), the other cells
    stripped (empty when not given), ``consent`` True for a "yes" the organisation
    collected."""

    email: str
    values: dict[str, str]
    consent: bool = False


def _teams(rows: Sequence[BulkRow]) -> dict[str, int]:
    """Team ids by lower-cased name, the missing teams created (as ``team_get_or_create``
    would, named as their first row writes them)."""
    wanted: dict[str, str] = {}
    for row in rows:
        name = row.values.get("team", "").strip()
        if name:
            wanted.setdefault(name.lower(), name)
    if not wanted:
        return {}

    def known() -> dict[str, int]:
        return dict(Team.objects.annotate(key=Lower("name")).filter(key__in=list(wanted))
                    .values_list("key", "pk"))

    ids = known()
    missing = [Team(name=name) for key, name in wanted.items() if key not in ids]
    if missing:
        # Another request may create one of them meanwhile: theirs is the team.
        Team.objects.bulk_create(missing, ignore_conflicts=True)
        ids = known()
    return ids


def participants_bulk_upsert(*, rows: Sequence[BulkRow],
                             progress: Callable[[int], None] | None = None) -> int:
    """Create or complete the participants of ``rows``; the number created. Call inside a
    transaction. ``progress(n)`` is told after each batch how many rows are written."""
    teams = _teams(rows)
    fields = [f for f in Participant._meta.concrete_fields if not f.primary_key]
    columns = [str(f.column) for f in fields]
    now = timezone.now()
    # Model names only, never input: the f-strings below (S608) hold no user value.
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    table = Participant._meta.db_table
    with connection.cursor() as cursor:
        # Shaped like the table, without its constraints: every column is filled below.
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{TEMP_TABLE}")
        cursor.execute(f"CREATE TEMP TABLE {TEMP_TABLE} ON COMMIT DROP AS "  # noqa: S608
                       f"SELECT {quoted} FROM {table} WITH NO DATA")
        cursor.execute(f"ALTER TABLE {TEMP_TABLE} ADD COLUMN import_n integer, "
                       "ADD COLUMN import_consent boolean")
        # A new person as ``Participant.objects.create`` makes them: every column's default,
        # prepared once for all the rows, then each row's own cells, and a fresh value of
        # each default that is made per person (the referral code).
        template = Participant(email="", source=Participant.Source.IMPORT, created_at=now,
                               last_active_at=now)
        base = [f.get_db_prep_save(getattr(template, f.attname), connection) for f in fields]
        position = {f.attname: n for n, f in enumerate(fields)}
        per_person = [(position[f.attname], f) for f in fields
                      if f.has_default() and callable(f.default)
                      and f.attname not in ("created_at", "last_active_at")]
        with cursor.copy(f"COPY {TEMP_TABLE} ({quoted}, import_n, import_consent) "
                         "FROM STDIN") as copy:
            # Numbered (so batched and locked) in address order: two imports naming the same
            # people take their rows' locks in the same order and cannot deadlock.
            for n, row in enumerate(sorted(rows, key=lambda r: r.email.lower())):
                values = list(base)
                values[position["email"]] = row.email
                values[position["team_id"]] = teams.get(
                    row.values.get("team", "").strip().lower())
                for name in MERGED:
                    values[position[name]] = row.values.get(name, "")
                for index, f in per_person:
                    values[index] = f.get_db_prep_save(f.get_default(), connection)
                copy.write_row([*values, n, row.consent])
        merge = ", ".join(
            f"{name} = CASE WHEN EXCLUDED.{name} <> '' THEN EXCLUDED.{name} ELSE p.{name} END"
            for name in MERGED)
        upsert = (
            f"INSERT INTO {table} AS p ({quoted}) "  # noqa: S608
            f"SELECT {quoted} FROM {TEMP_TABLE} WHERE import_n >= %s AND import_n < %s "
            "ORDER BY import_n "
            # The partial unique index participant_email_ci_unique, word for word.
            """ON CONFLICT (lower(email)) WHERE NOT (email = '') DO UPDATE SET """
            f"{merge}, team_id = COALESCE(EXCLUDED.team_id, p.team_id) "
            "RETURNING p.id, (p.xmax = 0)")
        created = 0
        locale = current_organisation().locale
        for start in range(0, len(rows), BATCH):
            cursor.execute(upsert, [start, start + BATCH])
            new_ids = [pk for pk, inserted in cursor.fetchall() if inserted]
            created += len(new_ids)
            if new_ids:
                cursor.execute(f"UPDATE {table} SET language = %s "  # noqa: S608
                               "WHERE id = ANY(%s) AND language = ''", [locale, new_ids])
            _consents(cursor, start, now)
            if progress is not None:
                progress(min(start + BATCH, len(rows)))
    return created


def _consents(cursor: CursorWrapper, start: int, now: datetime) -> None:
    """The "yes" of a batch, recorded where ``consent_record`` would record it: a record
    with the organisation's wording in the person's language, and the cached answer."""
    table = Participant._meta.db_table
    records = ConsentRecord._meta.db_table
    wording = CONSENT_WORDING[ORGANISATION_VERSION]
    cursor.execute(
        f"WITH chosen AS (SELECT p.id, CASE WHEN lower(p.language) LIKE 'fr%%' "  # noqa: S608
        f"THEN 'fr' ELSE 'en' END AS lang FROM {table} p JOIN {TEMP_TABLE} r "
        "ON lower(p.email) = r.email AND NOT (p.email = '') "
        "WHERE r.import_n >= %(start)s AND r.import_n < %(end)s AND r.import_consent "
        "AND NOT p.consent_to_contact AND p.unsubscribed_at IS NULL "
        # The latest record, if the person's own withdrawal, stands.
        f"AND NOT COALESCE((SELECT NOT c.given AND c.source = ANY(%(personal)s) FROM {records} c "
        "WHERE c.participant_id = p.id AND c.purpose = %(purpose)s "
        "ORDER BY c.recorded_at DESC, c.id DESC LIMIT 1), false)), "
        f"recorded AS (INSERT INTO {records} (participant_id, purpose, given, source, "
        "campaign_id, wording_version, wording, language, recorded_at) "
        "SELECT id, %(purpose)s, true, %(source)s, NULL, %(version)s, "
        "CASE WHEN lang = 'fr' THEN %(fr)s ELSE %(en)s END, lang, %(now)s FROM chosen) "
        f"UPDATE {table} SET consent_to_contact = true WHERE id IN (SELECT id FROM chosen)",
        {"start": start, "end": start + BATCH, "personal": [str(s) for s in PERSONAL_SOURCES],
         "purpose": ConsentRecord.Purpose.FUTURE_ACTIONS, "source": ConsentRecord.Source.IMPORT,
         "version": ORGANISATION_VERSION, "fr": wording["fr"], "en": wording["en"],
         "now": now})
