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
    by_org: dict[str, dict[str, int]] = field(default_factory=dict)
    published: bool = False
    reason: str = ""
    baseline: list[str] = field(default_factory=list)


def _audiences(kind: str, size: str) -> tuple[tuple[str, str], ...]:
    return ((kind, size), (kind, ""), ("", ""))


def drafts_build(contributions: list[dict]) -> dict[CellKey, Draft]:
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
    organisations = set().union(*(draft.by_org for draft in hidden))
    return sum(max(draft.by_org.get(key, {}).get("people", 0) for draft in hidden)
               for key in organisations)


def _hidden_safe(hidden: list[Draft], *, partitioning: bool) -> bool:
    union: dict[str, dict[str, int]] = {}
    for draft in hidden:
        for key, own in draft.by_org.items():
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
        elif _dominated(draft.by_org):
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
    sums = ArmSums.from_units(units)
    rate = sums.rate
    variance = max(sums.rate_variance, rate * (1.0 - rate) / sums.people)
    margin = Z95 * variance ** 0.5
    return rate, max(0.0, rate - margin), min(1.0, rate + margin)


def _rate(draft: Draft, successes: str, trials: str
          ) -> tuple[float | None, float | None, float | None]:
    if draft.sums[trials] < MIN_DENOMINATOR:
        return None, None, None
    rate, low, high = clustered_interval(
        [(own[trials], own[successes]) for own in draft.by_org.values()])
    return round(rate, 4), round(low, 4), round(high, 4)


def _cell(key: CellKey, draft: Draft, now) -> EvidenceCell:
    template, lever, channel, kind, size, segment = key
    cell = EvidenceCell(template=template, lever=lever, channel=channel, kind=kind,
                        size_band=size, segment=segment, published=draft.published,
                        reason=draft.reason, computed_at=now,
                        baseline_keys=sorted(draft.keys) if draft.published
                        else draft.baseline)
    if draft.published:
        sums = draft.sums
        cell.organisations = len(draft.keys)
        for name in SUMS:
            setattr(cell, name, sums[name])
        (cell.success_rate, cell.success_low,
         cell.success_high) = _rate(draft, "reached", "decided")
        (cell.conversion, cell.conversion_low,
         cell.conversion_high) = _rate(draft, "pledged", "sent")
        (cell.attendance, cell.attendance_low,
         cell.attendance_high) = _rate(draft, "attended", "pledged")
    return cell


def evidence_publish() -> dict[str, int]:
    """Rebuild every evidence cell from the contributions; returns counts by outcome."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK])
        rows = EvidenceContribution.objects.all()
        if not settings.DEMO_INSTALLATION:
            rows = rows.filter(is_demo=False)  # synthetic organisations: demo only
        contributions = list(rows.values(
            "organisation_key", "template", "lever", "channel", "kind", "size_band",
            "segment", *SUMS))
        drafts = drafts_build(contributions)
        baselines = {
            (c.template, c.lever, c.channel, c.kind, c.size_band, c.segment): c.baseline_keys
            for c in EvidenceCell.objects.exclude(baseline_keys=[])}
        for key in baselines.keys() - drafts.keys():
            drafts[key] = Draft()  # gone: withheld, its baseline kept
        suppress(drafts, baselines)
        now = timezone.now()
        EvidenceCell.objects.all().delete()
        EvidenceCell.objects.bulk_create(
            [_cell(key, draft, now) for key, draft in sorted(drafts.items())],
            batch_size=2000)
    outcome: dict[str, int] = defaultdict(int)
    for draft in drafts.values():
        outcome[draft.reason or "published"] += 1
    return dict(outcome)


SEGMENTS = (ALL, *AGE_BANDS, UNKNOWN)
