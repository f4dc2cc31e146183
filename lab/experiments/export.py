"""An experiment's exports: the per-person CSV (no e-mail address, no name) and a ``.sql``
file that recomputes, in psql against the organisation's schema and in a read-only
transaction, every assignment's hash, the arms' sums the stored look was computed from
(``person_sql``: the same text) and the result the page shows (lifts with their
sequential and delta-method intervals, information, the sample-ratio check), the
sequential boundary of the look written as a literal."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.db import connection

from core.tenancy import current_schema

from .assignment import HASH_SQL
from .models import Experiment
from .person_sql import ARM_CTE, ARM_SUMS_SQL, PERSON_SQL, SENT_SQL
from .verdict import holdout_name

CSV_COLUMNS = ("participant_id", "unit", "variant", "holdout", "control", "hash",
               "assigned_at", "pledged", "attended", "outcome", "unsubscribed", "complained")


# Rows read from the server per round trip: the export's memory is this many rows,
# whatever the experiment's size.
CHUNK = 2_000


def people_rows(experiment: Experiment) -> Iterator[tuple[object, ...]]:
    """The per-person rows, read through a server-side cursor ``CHUNK`` rows at a time."""
    with connection.chunked_cursor() as cursor:
        cursor.execute(PERSON_SQL + " ORDER BY a.participant_id",
                       {"experiment_id": experiment.pk})
        columns = [c.name for c in cursor.description or []]
        while chunk := cursor.fetchmany(CHUNK):
            for row in chunk:
                r = dict(zip(columns, row, strict=True))
                yield (r["participant_id"], r["unit_key"],
                       holdout_name() if r["is_holdout"] else r["variant"],
                       int(r["is_holdout"]), int(r["is_control"]), r["hash_value"],
                       r["assigned_at"].isoformat(), int(r["pledged"]), int(r["attended"]),
                       int(r["success"]), int(r["unsubscribed"]), int(r["complained"]))


class _Line:
    """A file-like object whose ``write`` returns the line, for ``csv.writer``."""

    def write(self, value: str) -> str:
        return value


def people_csv_lines(experiment: Experiment) -> Iterator[str]:
    """The CSV line by line (the header, then one line per person), for a streamed
    response: the same text as ``people_csv``, never held whole."""
    writer = csv.writer(_Line())
    yield writer.writerow(CSV_COLUMNS)
    for row in people_rows(experiment):
        yield writer.writerow(row)


def people_csv(experiment: Experiment) -> str:
    """The whole CSV as one text (the API's JSON carries it in a field)."""
    return "".join(people_csv_lines(experiment))


def _psql(sql: str) -> str:
    """A %-parameterised text as psql reads it: the id from the psql variable."""
    return sql.replace("%(experiment_id)s", ":experiment_id").strip()


def _literal(value: object) -> str:
    """A number of the stored look as an SQL literal (NULL for none: no information yet)."""
    if value is None:
        return "NULL::float8"
    return f"{float(value)!r}::float8"  # type: ignore[arg-type]


# The complementary error function, which PostgreSQL 15 lacks: Numerical Recipes' erfcc
# (Chebyshev fit, fractional error under 1.2e-7 for every x >= 0), for the chi-square p.
ERFC_SQL = ("({t} * exp(-{z} * {z} - 1.26551223 + {t} * (1.00002368 + {t} * (0.37409196"
            " + {t} * (0.09678418 + {t} * (-0.18628806 + {t} * (0.27886807 + {t} * ("
            "-1.13520398 + {t} * (1.48851587 + {t} * (-0.82215223 + {t} * 0.17087277)))))"
            ")))))")


def _erfc(z: str) -> str:
    return ERFC_SQL.format(z=z, t=f"(1.0 / (1.0 + 0.5 * {z}))")


# The result the page shows, from the arms' sums (``ARM_CTE``) and the numbers of the
# stored look given as literals (``look``: per comparison its sequential boundary):
# ``lab.stats.inference.lift_at`` and ``srm_check``, ``lab.stats.sequential.
# information_fraction``, written out in SQL.
RESULT_SQL = """
WITH {arms},
e AS (SELECT * FROM lab_experiment WHERE id = :experiment_id),
-- Each arm's rate and its variance: binomial p(1-p)/n when every unit is one person; the
-- cluster-robust ratio-estimator variance K/(K-1)·(Σs² - 2pΣns + p²Σn²)/(Σn)² when whole
-- teams are the units; a zero variance (0 % or 100 %) replaced by the binomial variance
-- at (s + 1/2)/(n + 1).
rate AS (
    SELECT variant_id, clusters::float8 AS k, people::float8 AS n, s::float8 AS y,
           s::float8 / people AS p, people_sq, people, s_sq, s_cross
    FROM arm WHERE people > 0
),
raw AS (
    SELECT *, CASE WHEN people_sq <= people THEN p * (1 - p) / n
                   WHEN k < 2 THEN 0.0
                   ELSE greatest(s_sq - 2 * p * s_cross + p * p * people_sq, 0)
                        * k / (k - 1) / (n * n) END AS v0
    FROM rate
),
var AS (
    SELECT variant_id, n, y, p,
           CASE WHEN v0 > 0 THEN v0
                ELSE ((y + 0.5) / (n + 1)) * (1 - (y + 0.5) / (n + 1)) / n END AS v
    FROM raw
),
look(variant_id, boundary) AS (VALUES {look}),
cmp AS (
    SELECT l.variant_id, l.boundary, c.p AS p0, t.p AS p1, c.v AS v0, t.v AS v1,
           c.n AS n0, t.n AS n1, (c.y + t.y) / (c.n + t.n) AS q,
           t.p - c.p AS diff, sqrt(c.v + t.v) AS se
    FROM look l JOIN var t ON t.variant_id = l.variant_id
    JOIN var c ON c.variant_id = (SELECT id FROM lab_variant
                                  WHERE experiment_id = :experiment_id AND is_control)
)
SELECT 'comparison' AS figure, variant_id, p0 AS control_rate, p1 AS treatment_rate,
       diff AS absolute, diff - boundary * se AS absolute_low,
       diff + boundary * se AS absolute_high,
       CASE WHEN p0 > 0 AND p1 > 0 THEN p1 / p0 - 1 END AS relative,
       CASE WHEN p0 > 0 AND p1 > 0 THEN exp(ln(p1 / p0) - boundary
            * sqrt(v1 / (p1 * p1) + v0 / (p0 * p0))) - 1 END AS relative_low,
       CASE WHEN p0 > 0 AND p1 > 0 THEN exp(ln(p1 / p0) + boundary
            * sqrt(v1 / (p1 * p1) + v0 / (p0 * p0))) - 1 END AS relative_high,
       CASE WHEN se > 0 THEN diff / se ELSE 0 END AS z, boundary,
       coalesce(se > 0 AND abs(diff / se) >= boundary, false) AS crossed,
       -- Information on the event scale h·q/(1-q) over the maximum planned at launch.
       CASE WHEN q >= 1 THEN 0.0
            ELSE least(n0 * n1 / (n0 + n1) * q / (1 - q)
                       / nullif((SELECT planned_information FROM e), 0), 1) END
           AS information_fraction
FROM cmp ORDER BY variant_id;

-- 4. Sample-ratio check: units the wave reached by the look ({now}), per arm, against
--    the planned shares (holdout: its share; the variants share the rest); Pearson's
--    chi-square and its p-value (closed form for a whole number of degrees of freedom:
--    Q(df/2, x/2)); a mismatch when p < 0.001 (critical values 10.828 for df 1, 13.816
--    for df 2, 16.266 for df 3). Not checked before a day after the launch.
WITH e AS (SELECT * FROM lab_experiment WHERE id = :experiment_id),
sent AS ({sent}),
planned AS (
    SELECT v.id AS variant_id, v.is_holdout, v.share::float8 AS weight
    FROM lab_variant v WHERE v.experiment_id = :experiment_id
),
start AS (
    SELECT CASE WHEN bool_or(is_holdout) THEN (SELECT holdout_share::float8 FROM e)
                ELSE 0.0 END AS holdout,
           sum(weight) FILTER (WHERE NOT is_holdout) AS total,
           count(*) FILTER (WHERE NOT is_holdout) AS arms
    FROM planned
),
width AS (
    SELECT p.variant_id,
           greatest(CASE WHEN p.is_holdout THEN s.holdout
                         WHEN s.total > 0 THEN (1 - s.holdout) * p.weight / s.total
                         ELSE (1 - s.holdout) / s.arms END, 1e-9) AS share,
           coalesce(CASE WHEN (SELECT unit FROM e) = 'team' THEN sent.units
                         ELSE sent.people END, 0)::float8 AS observed
    FROM planned p CROSS JOIN start s LEFT JOIN sent ON sent.variant_id = p.variant_id
),
chi AS (
    SELECT (SELECT {now} >= launched_at + interval '1 day' FROM e) AS checked,
           count(*) - 1 AS df, sum(observed) AS total,
           coalesce(sum((observed - x.total * share / x.shares) ^ 2
                        / (x.total * share / x.shares)) FILTER (WHERE x.total > 0), 0)
               AS statistic
    FROM width CROSS JOIN (SELECT sum(observed) AS total, sum(share) AS shares
                           FROM width) x
),
q AS (
    SELECT checked, df, CASE WHEN checked THEN statistic ELSE 0.0 END AS statistic,
           CASE WHEN checked THEN statistic / 2 ELSE 0.0 END AS h
    FROM chi
)
SELECT 'srm' AS figure, checked, df, statistic, p_value,
       checked AND p_value < 0.001 AS mismatch
FROM (
    SELECT checked, df, statistic,
           CASE WHEN h <= 0 THEN 1.0
                WHEN df % 2 = 0 THEN exp(-h) * (
                    SELECT sum(exp(k * ln(h) - (SELECT coalesce(sum(ln(j)), 0)
                                                FROM generate_series(1, k) j)))
                    FROM generate_series(0, df / 2 - 1) k)
                ELSE {erfc} + exp(-h) / sqrt(pi()) * (
                    SELECT coalesce(sum(exp((k - 0.5) * ln(h) - (
                        SELECT sum(ln(j - 0.5)) FROM generate_series(1, k) j))), 0)
                    FROM generate_series(1, (df - 1) / 2) k) END AS p_value
    FROM q
) srm;
"""


def _result_part(experiment: Experiment) -> str:
    """Parts 3 and 4 of the file: the result of the latest stored look (what the page and
    the API show), recomputed from the tables with that look's boundaries as literals."""
    look = experiment.looks.order_by("-day").first()
    if look is None:
        return "-- 3. No daily look yet: no result to reproduce.\n"
    analysis = look.analysis
    control = next((v for v in experiment.variants.all() if v.is_control), None)
    rows, notes = [], []
    for entry in analysis.get("comparisons", []):
        if "sequential" not in entry or control is None:
            continue
        rows.append(f"({int(entry['variant_id'])}, {_literal(entry.get('boundary'))})")
        fractions = ", ".join(f"{f:.4f}" for f in entry.get("fractions", []))
        notes.append(
            f"--   variant {int(entry['variant_id'])}: boundary {entry.get('boundary')!r}"
            f" (information fractions of the looks so far: {fractions or 'none'}"
            f"{'; final look' if entry.get('final') else ''})"
            + ("; it crossed at an earlier look, whose figures the page keeps: the data"
               " of today give the row below" if entry.get("latched") else ""))
    now = f"'{look.computed_at.isoformat()}'::timestamptz"
    sent = _psql(SENT_SQL).replace("%(now)s", now)
    result = RESULT_SQL.format(
        arms=_psql(ARM_CTE), look=", ".join(rows) or "(NULL::bigint, NULL::float8)",
        now=now, sent=sent,
        erfc=_erfc("sqrt(h)"))
    alpha = float(analysis.get("alpha", experiment.alpha))
    day, at = look.day.isoformat(), look.computed_at.isoformat()
    return f"""-- 3. The result of the look of {day} (computed {at}),
--    as the page and the API show it: per variant against the control, the lift in
--    rate (absolute) with its sequential (repeated) interval ±boundary·se, the relative
--    lift with its delta-method interval on log(p1/p0), z, crossing, information.
--    The boundary is not recomputed here: it is the Lan-DeMets O'Brien-Fleming-type
--    alpha-spending boundary (lab.stats.sequential) at alpha {alpha!r} per comparison
--    for the information fractions of every look so far, stored with the look (the
--    figures of experiment {experiment.pk}: another id would need its own file):
{chr(10).join(notes) or '--   (no comparison has people in both arms yet)'}
--    Pledges made or cancelled since the look change these figures.
{result}"""  # noqa: S608


def result_sql(experiment: Experiment) -> str:
    """The file: set the id (or pass ``-v experiment_id=N``), run with
    ``psql -f experiment-N.sql``. Read only: it runs in a read-only transaction."""
    hash_expr = HASH_SQL.format(salt="e.salt", unit_key="a.unit_key")
    # Constant texts around numbers and the schema's name (a slug): no user text.
    return f"""-- Fullmobs lever experiment {experiment.pk}
-- Reproduces the assignment, the sums of each arm and the result shown on the results
-- page from the organisation's tables.
-- Assignment: h = first 13 hex digits of SHA-256(salt || ':' || unit_key) / 16^13;
-- the holdout takes [0, holdout share), the variants share the rest in their order.
-- Run: psql "$DATABASE_URL" -v experiment_id={experiment.pk} -f experiment-{experiment.pk}.sql
\\if :{{?experiment_id}}
\\else
\\set experiment_id {experiment.pk}
\\endif
BEGIN TRANSACTION READ ONLY;
SET LOCAL search_path TO "{current_schema()}", public;

-- 1. Every stored hash recomputed: 0 rows differ.
SELECT count(*) AS hashes_that_differ
FROM lab_assignment a JOIN lab_experiment e ON e.id = a.experiment_id
WHERE a.experiment_id = :experiment_id
  AND abs(a.hash_value - ({hash_expr})::numeric) > 1e-15;

-- 2. Sums per arm over randomisation units (n people, s primary successes, u
--    unsubscribes, c complaints): clusters, people, Σn², Σs, Σs², Σns, ...
{_psql(ARM_SUMS_SQL)};

{_result_part(experiment)}
ROLLBACK;
"""  # noqa: S608
