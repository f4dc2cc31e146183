"""An experiment's exports: the per-person CSV (no e-mail address, no name) and a ``.sql``
file that recomputes, in psql against the organisation's schema, every assignment's hash
and the arms' sums the stored look was computed from (``person_sql``: the same text)."""

from __future__ import annotations

import csv
import io

from django.db import connection

from core.tenancy import current_schema

from .assignment import HASH_SQL
from .models import Experiment
from .person_sql import ARM_SUMS_SQL, PERSON_SQL
from .verdict import holdout_name

CSV_COLUMNS = ("participant_id", "unit", "variant", "holdout", "control", "hash",
               "assigned_at", "pledged", "attended", "outcome", "unsubscribed", "complained")


def people_rows(experiment: Experiment) -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(PERSON_SQL + " ORDER BY a.participant_id",
                       {"experiment_id": experiment.pk})
        columns = [c.name for c in cursor.description or []]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return [(r["participant_id"], r["unit_key"],
             holdout_name() if r["is_holdout"] else r["variant"], int(r["is_holdout"]),
             int(r["is_control"]), r["hash_value"], r["assigned_at"].isoformat(),
             int(r["pledged"]), int(r["attended"]), int(r["success"]),
             int(r["unsubscribed"]), int(r["complained"])) for r in rows]


def people_csv(experiment: Experiment) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(people_rows(experiment))
    return out.getvalue()


def _psql(sql: str) -> str:
    """A %-parameterised text as psql reads it: the id from the psql variable."""
    return sql.replace("%(experiment_id)s", ":experiment_id").strip()


def result_sql(experiment: Experiment) -> str:
    """The file: set the id (or pass ``-v experiment_id=N``), run with
    ``psql -f experiment-N.sql``."""
    hash_expr = HASH_SQL.format(salt="e.salt", unit_key="a.unit_key")
    # Constant texts around two numbers and the schema's name (a slug): no user text.
    return f"""-- Fullmobs lever experiment {experiment.pk}
-- Reproduces the assignment and the sums of each arm from the organisation's tables.
-- Assignment: h = first 13 hex digits of SHA-256(salt || ':' || unit_key) / 16^13;
-- the holdout takes [0, holdout share), the variants share the rest in their order.
-- Run: psql "$DATABASE_URL" -v experiment_id={experiment.pk} -f experiment-{experiment.pk}.sql
\\if :{{?experiment_id}}
\\else
\\set experiment_id {experiment.pk}
\\endif
SET search_path TO "{current_schema()}", public;

-- 1. Every stored hash recomputed: 0 rows differ.
SELECT count(*) AS hashes_that_differ
FROM lab_assignment a JOIN lab_experiment e ON e.id = a.experiment_id
WHERE a.experiment_id = :experiment_id
  AND abs(a.hash_value - ({hash_expr})::numeric) > 1e-15;

-- 2. Sums per arm over randomisation units (n people, s primary successes, u
--    unsubscribes, c complaints): clusters, people, Σn², Σs, Σs², Σns, ...
{_psql(ARM_SUMS_SQL)};
"""  # noqa: S608
