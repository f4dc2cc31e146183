"""Evidence across organisations, the public side: ``methodology.EvidenceCell`` rebuilt from
every organisation's contribution rows, with suppression (docs/decisions.md, issue 15
part 4). Runs under a transaction-level advisory lock, so concurrent runs follow one
another; the result depends only on the contributions and the previous cells' baselines,
so running it twice in a row changes nothing.

1. Audiences: each contribution counts in its organisation's (kind, size band), in
   (kind, all sizes) and in (all kinds, all sizes).
2. Threshold: a cell is published only with ≥ 5 organisations and ≥ 5 people; a rate
   only with ≥ 5 in its denominator (decided campaigns, invitations sent, pledges).
3. Stability: a cell published before keeps its organisations as a baseline; new figures
   are published only when the organisations behind them are the same, or differ by at
   least five (one organisation joining or leaving would otherwise be read by difference
   between two nights' publications). Otherwise the cell is withheld ("changed").
4. Complementary suppression, within each breakdown that partitions a published total
   (segments of "all"; kinds of all audiences; size bands of a kind; levers, channels
   and templates of their "all"): the suppressed children together, which a reader can
   compute as the total minus the published children, must be at the threshold
   themselves (≥ 5 organisations, ≥ 5 people), or more children are suppressed, smallest
   first, until they are or none is published. Repeated until nothing changes. People
   are summed only where the children partition them (age segments, kinds, size bands);
   in lever, channel and template breakdowns one person can be in several children, so
   the hidden children count the fewest distinct people they can hold: per organisation
   (organisations never share people) the largest child, summed.
5. Dominance: a cell where one organisation holds ≥ 80 % of a denominator (decided
   campaigns, invitations sent, pledges) is suppressed, since its figure is mostly that
   organisation's; the hidden children of rule 4 must not be dominated either.
6. Demo contributions (``is_demo``) count only in a demo installation
   (``settings.DEMO_INSTALLATION``, set by ``make run``).

Intervals: organisations' campaigns and invitations are not independent, so each rate's
95 % interval is a ratio estimator's with a variance clustered by organisation
(``lab.stats.ArmSums``: K/(K−1)·Σ(y_c − p·n_c)²/(Σn_c)² over the organisations c), never
narrower than the binomial one, normal approximation, clipped to [0, 1].
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from methodology.models import EvidenceCell, EvidenceContribution

from ..stats.sums import ArmSums
from .contributions import AGE_BANDS, ALL, UNKNOWN

MIN_ORGANISATIONS = 5
MIN_PEOPLE = 5
MIN_DENOMINATOR = 5
STABLE_CHANGE = 5
DOMINANCE = 0.8  # one organisation's share of a denominator that suppresses a cell
DENOMINATORS = ("decided", "sent", "pledged")
Z95 = 1.959963984540054
PARTITIONING = frozenset({"segment", "size", "kind"})  # children that partition people
LOCK = 0x45564944  # "EVID": the advisory lock of a publication

CellKey = tuple[str, str, str, str, str, str]  # template, lever, channel, kind, size, segment
SUMS = ("campaigns", "decided", "reached", "sent", "pledged", "attended", "people")


@dataclass
class Draft:
    keys: set[str] = field(default_factory=set)
    sums: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SUMS, 0))
    # The same sums per organisation: the clustered intervals, dominance, distinct people.
    # Read from SQL as ``columns`` (the organisations' keys, then each sum in their order)
    # and turned into this dictionary only when a suppression rule needs it (``owners``).
    by_org: dict[str, dict[str, int]] = field(default_factory=dict)
    published: bool = False
    reason: str = ""
    baseline: list[str] = field(default_factory=list)
    columns: tuple[list, ...] = ()
    # From SQL: one organisation holds ≥ DOMINANCE of a denominator (rule 5), and per
    # rate (successes, trials) the organisations' sums of the clustered interval.
    dominated: bool | None = None
    units: dict[tuple[str, str], ArmSums] = field(default_factory=dict)


def owners(draft: Draft) -> dict[str, dict[str, int]]:
    """The draft's sums per organisation (built once from its SQL columns)."""
    if not draft.by_org and draft.columns:
        keys, *values = draft.columns
        draft.by_org = {key: dict(zip(SUMS, own, strict=True))
                        for key, *own in zip(keys, *values, strict=True)}
    return draft.by_org


def _audiences(kind: str, size: str) -> tuple[tuple[str, str], ...]:
    return ((kind, size), (kind, ""), ("", ""))


def drafts_build(contributions: list[dict]) -> dict[CellKey, Draft]:
    """The drafts of contribution rows given as dictionaries (Python; the publication
    reads them with ``drafts_read``, the same figures aggregated in SQL)."""
    drafts: dict[CellKey, Draft] = defaultdict(Draft)
    for row in contributions:
        for kind, size in _audiences(row["kind"], row["size_band"]):
            draft = drafts[(row["template"], row["lever"], row["channel"], kind, size,
                            row["segment"])]
            draft.keys.add(row["organisation_key"])
            own = draft.by_org.setdefault(row["organisation_key"], dict.fromkeys(SUMS, 0))
            for name in SUMS:
                draft.sums[name] += row[name]
                own[name] += row[name]
    return drafts


RATES = (("reached", "decided"), ("pledged", "sent"), ("attended", "pledged"))


def _contributions_sql(table: str) -> str:
    """One pass over the contributions, grouped by cell in the organisations' own
    audience (kind, size band): the organisations' keys and sums as arrays (in the same
    order: one aggregation feeds them all), the totals, and each rate's sums of squares
    and products (the clustered interval's). Keys compare bytewise (``COLLATE "C"``),
    faster than the language's collation and in a fixed order."""
    arrays = ", ".join(f"array_agg({name})" for name in ("organisation_key", *SUMS))
    totals = ", ".join(f"sum({name})::bigint" for name in SUMS)
    units = ", ".join(
        f"sum({n}::bigint * {n})::bigint, sum({y}::bigint * {y})::bigint, "
        f"sum({n}::bigint * {y})::bigint, bool_or({y} > {n})"
        for y, n in RATES)
    cell = ", ".join(f'{name} COLLATE "C"' for name in (
        "template", "lever", "channel", "kind", "size_band", "segment"))
    return f"""
    SELECT {cell}, {arrays}, {totals}, {units}
    FROM {table} WHERE %(demo)s OR NOT is_demo
    GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
    """  # noqa: S608 - a table name and constants only


def _dominated_columns(draft: Draft) -> bool:
    """Rule 5 from the draft's columns: one organisation holds ≥ ``DOMINANCE`` of a
    denominator."""
    for name in DENOMINATORS:
        values = draft.columns[1 + SUMS.index(name)]
        total = sum(values)
        if total and max(values) >= DOMINANCE * total:
            return True
    return False


def drafts_read() -> dict[CellKey, Draft]:
    """The drafts of every contribution counted here (rule 6): the sums per cell of the
    organisations' own audience from SQL, added up here into the wider audiences (the
    organisations of a kind's size bands, of every kind, are disjoint: their arrays are
    concatenated, their sums added). In the order of their keys: complementary
    suppression visits the breakdowns in the drafts' order, so the same contributions
    always give the same cells."""
    width = len(SUMS)
    merged: dict[CellKey, list] = {}
    with connection.cursor() as cursor:
        cursor.execute(_contributions_sql(EvidenceContribution._meta.db_table),
                       {"demo": bool(settings.DEMO_INSTALLATION)})
        for row in cursor.fetchall():
            template, lever, channel, kind, size, segment = row[:6]
            columns, rest = row[6:7 + width], row[7 + width:]
            totals, units = rest[:width], rest[width:]
            for audience in _audiences(kind, size):
                key = (template, lever, channel, *audience, segment)
                into = merged.get(key)
                if into is None:
                    merged[key] = [[list(c) for c in columns], list(totals), list(units)]
                    continue
                for target, values in zip(into[0], columns, strict=True):
                    target.extend(values)
                into[1] = [a + b for a, b in zip(into[1], totals, strict=True)]
                into[2] = [a or b if isinstance(a, bool) else a + b
                           for a, b in zip(into[2], units, strict=True)]
    drafts: dict[CellKey, Draft] = {}
    for key in sorted(merged):
        columns, totals, units = merged[key]
        draft = Draft(keys=set(columns[0]), sums=dict(zip(SUMS, totals, strict=True)),
                      columns=tuple(columns))
        draft.dominated = _dominated_columns(draft)
        for index, (successes, trials) in enumerate(RATES):
            trials_sq, successes_sq, cross, invalid = units[4 * index:4 * index + 4]
            if invalid:
                continue  # left to ArmSums.from_units, which says what is wrong
            draft.units[(successes, trials)] = ArmSums(
                clusters=len(columns[0]), people=draft.sums[trials],
                successes=draft.sums[successes], people_sq=trials_sq,
                successes_sq=successes_sq, cross=cross)
        drafts[key] = draft
    return drafts


def _at_threshold(organisations: int, people: int) -> bool:
    return organisations >= MIN_ORGANISATIONS and people >= MIN_PEOPLE


def _dominated(by_org: dict[str, dict[str, int]]) -> bool:
    """One organisation holds ≥ ``DOMINANCE`` of a denominator (rule 5)."""
    for name in DENOMINATORS:
        total = sum(own[name] for own in by_org.values())
        if total and max(own[name] for own in by_org.values()) >= DOMINANCE * total:
            return True
    return False


def hidden_people(hidden: list[Draft], *, partitioning: bool) -> int:
    """The people the hidden children together hold for certain: their sum where the
    children partition people, else per organisation the largest child, summed."""
    if partitioning:
        return sum(draft.sums["people"] for draft in hidden)
    organisations = set().union(*(owners(draft) for draft in hidden))
    return sum(max(owners(draft).get(key, {}).get("people", 0) for draft in hidden)
               for key in organisations)


def _hidden_safe(hidden: list[Draft], *, partitioning: bool) -> bool:
    union: dict[str, dict[str, int]] = {}
    for draft in hidden:
        for key, own in owners(draft).items():
            sums = union.setdefault(key, dict.fromkeys(SUMS, 0))
            for name in SUMS:
                sums[name] += own[name]
    return (_at_threshold(len(union), hidden_people(hidden, partitioning=partitioning))
            and not (union and _dominated(union)))


def _breakdowns(drafts: dict[CellKey, Draft]) -> list[tuple[str, CellKey, list[CellKey]]]:
    """(dimension, total, children) for every breakdown whose children partition the
    total's counts: one group per total and dimension (a total's levers and its size
    bands are two breakdowns, each to be protected on its own)."""
    groups: dict[tuple[str, CellKey], list[CellKey]] = defaultdict(list)
    for key in drafts:
        template, lever, channel, kind, size, segment = key
        if segment != ALL:
            groups[("segment", (template, lever, channel, kind, size, ALL))].append(key)
        if size:
            groups[("size", (template, lever, channel, kind, "", segment))].append(key)
        elif kind:
            groups[("kind", (template, lever, channel, "", "", segment))].append(key)
        if lever:
            groups[("lever", (template, "", channel, kind, size, segment))].append(key)
        if channel:
            groups[("channel", (template, lever, "", kind, size, segment))].append(key)
        if template:
            groups[("template", ("", lever, channel, kind, size, segment))].append(key)
    return [(dimension, total, children) for (dimension, total), children in groups.items()
            if total in drafts]


def suppress(drafts: dict[CellKey, Draft], baselines: dict[CellKey, list[str]]) -> None:
    """Decide ``published`` and ``reason`` of every draft (rules 2 to 4)."""
    for key, draft in drafts.items():
        draft.baseline = baselines.get(key, [])
        if not _at_threshold(len(draft.keys), draft.sums["people"]):
            draft.reason = "threshold"
        elif (draft.dominated if draft.dominated is not None
              else _dominated(owners(draft))):
            draft.reason = "dominance"
        elif draft.baseline and 0 < len(draft.keys ^ set(draft.baseline)) < STABLE_CHANGE:
            draft.reason = "changed"
        else:
            draft.published = True
    breakdowns = _breakdowns(drafts)
    changed = True
    while changed:
        changed = False
        for dimension, total, children in breakdowns:
            if not drafts[total].published:
                continue
            hidden = [drafts[key] for key in children if not drafts[key].published]
            shown = sorted((key for key in children if drafts[key].published),
                           key=lambda k: (drafts[k].sums["people"], len(drafts[k].keys), k))
            while hidden and shown and not _hidden_safe(
                    hidden, partitioning=dimension in PARTITIONING):
                draft = drafts[shown.pop(0)]
                draft.published, draft.reason = False, "complementary"
                hidden.append(draft)
                changed = True


def clustered_interval(units: list[tuple[int, int]]) -> tuple[float, float, float]:
    """Rate Σy/Σn over (trials n_c, successes y_c) per organisation, and its 95 % interval
    with the variance clustered by organisation (never below the binomial one)."""
    return _interval(ArmSums.from_units(units))


def _interval(sums: ArmSums) -> tuple[float, float, float]:
    rate = sums.rate
    variance = max(sums.rate_variance, rate * (1.0 - rate) / sums.people)
    margin = Z95 * variance ** 0.5
    return rate, max(0.0, rate - margin), min(1.0, rate + margin)


def _rate(draft: Draft, successes: str, trials: str
          ) -> tuple[float | None, float | None, float | None]:
    if draft.sums[trials] < MIN_DENOMINATOR:
        return None, None, None
    units = draft.units.get((successes, trials))
    rate, low, high = (_interval(units) if units is not None else clustered_interval(
        [(own[trials], own[successes]) for own in owners(draft).values()]))
    return round(rate, 4), round(low, 4), round(high, 4)


CELL_FIELDS = ("template", "lever", "channel", "kind", "size_band", "segment", "published",
               "reason", "organisations", *SUMS, "success_rate", "success_low",
               "success_high", "conversion", "conversion_low", "conversion_high",
               "attendance", "attendance_low", "attendance_high", "baseline_keys",
               "computed_at")


def _cell(key: CellKey, draft: Draft, now) -> tuple:
    """The cell's row, its values in ``CELL_FIELDS``' order."""
    if not draft.published:
        return (*key, False, draft.reason, *[None] * (1 + len(SUMS) + 9), draft.baseline,
                now)
    return (*key, True, draft.reason, len(draft.keys), *(draft.sums[name] for name in SUMS),
            *_rate(draft, "reached", "decided"), *_rate(draft, "pledged", "sent"),
            *_rate(draft, "attended", "pledged"), sorted(draft.keys), now)


def _baselines() -> dict[CellKey, list[str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT template, lever, channel, kind, size_band, segment, baseline_keys "  # noqa: S608
            f"FROM {EvidenceCell._meta.db_table} WHERE cardinality(baseline_keys) > 0")
        return {tuple(row[:6]): row[6] for row in cursor.fetchall()}


def _cells_write(rows: list[tuple]) -> None:
    """Replace every cell: one DELETE (readers see the old cells until the commit), one
    COPY of the new ones."""
    table = EvidenceCell._meta.db_table
    columns = ", ".join(CELL_FIELDS)  # plain fields: their columns bear their names
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - a table name
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def evidence_publish() -> dict[str, int]:
    """Rebuild every evidence cell from the contributions; returns counts by outcome.
    The sums are aggregated in SQL (``drafts_read``), the rules applied in Python, the
    cells written with one COPY: the time grows with the contribution rows, not with
    queries or objects per row."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK])
        drafts = drafts_read()
        baselines = _baselines()
        for key in baselines.keys() - drafts.keys():
            drafts[key] = Draft()  # gone: withheld, its baseline kept
        suppress(drafts, baselines)
        now = timezone.now()
        _cells_write([_cell(key, draft, now) for key, draft in sorted(drafts.items())])
    outcome: dict[str, int] = defaultdict(int)
    for draft in drafts.values():
        outcome[draft.reason or "published"] += 1
    return dict(outcome)


SEGMENTS = (ALL, *AGE_BANDS, UNKNOWN)
