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
   first, until they are or none is published. Repeated until nothing changes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from methodology.models import EvidenceCell, EvidenceContribution
from reports.levers import wilson_interval

from .contributions import AGE_BANDS, ALL, UNKNOWN

MIN_ORGANISATIONS = 5
MIN_PEOPLE = 5
MIN_DENOMINATOR = 5
STABLE_CHANGE = 5
LOCK = 0x45564944  # "EVID": the advisory lock of a publication

CellKey = tuple[str, str, str, str, str, str]  # template, lever, channel, kind, size, segment
SUMS = ("campaigns", "decided", "reached", "sent", "pledged", "attended", "people")


@dataclass
class Draft:
    keys: set[str] = field(default_factory=set)
    sums: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SUMS, 0))
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
            for name in SUMS:
                draft.sums[name] += row[name]
    return drafts


def _at_threshold(organisations: int, people: int) -> bool:
    return organisations >= MIN_ORGANISATIONS and people >= MIN_PEOPLE


def _breakdowns(drafts: dict[CellKey, Draft]) -> list[tuple[CellKey, list[CellKey]]]:
    """(total, children) for every breakdown whose children partition the total: one
    group per total and dimension (a total's levers and its size bands are two
    breakdowns, each to be protected on its own)."""
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
    return [(total, children) for (_dimension, total), children in groups.items()
            if total in drafts]


def suppress(drafts: dict[CellKey, Draft], baselines: dict[CellKey, list[str]]) -> None:
    """Decide ``published`` and ``reason`` of every draft (rules 2 to 4)."""
    for key, draft in drafts.items():
        draft.baseline = baselines.get(key, [])
        if not _at_threshold(len(draft.keys), draft.sums["people"]):
            draft.reason = "threshold"
        elif draft.baseline and 0 < len(draft.keys ^ set(draft.baseline)) < STABLE_CHANGE:
            draft.reason = "changed"
        else:
            draft.published = True
    breakdowns = _breakdowns(drafts)
    changed = True
    while changed:
        changed = False
        for total, children in breakdowns:
            if not drafts[total].published:
                continue
            hidden = [drafts[key] for key in children if not drafts[key].published]
            shown = sorted((key for key in children if drafts[key].published),
                           key=lambda k: (drafts[k].sums["people"], len(drafts[k].keys), k))
            while hidden and shown and not _at_threshold(
                    len(set().union(*(d.keys for d in hidden))),
                    sum(d.sums["people"] for d in hidden)):
                draft = drafts[shown.pop(0)]
                draft.published, draft.reason = False, "complementary"
                hidden.append(draft)
                changed = True


def _rate(successes: int, trials: int) -> tuple[float | None, float | None, float | None]:
    if trials < MIN_DENOMINATOR:
        return None, None, None
    low, high = wilson_interval(successes, trials)
    return round(successes / trials, 4), round(low, 4), round(high, 4)


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
         cell.success_high) = _rate(sums["reached"], sums["decided"])
        (cell.conversion, cell.conversion_low,
         cell.conversion_high) = _rate(sums["pledged"], sums["sent"])
        (cell.attendance, cell.attendance_low,
         cell.attendance_high) = _rate(sums["attended"], sums["pledged"])
    return cell


def evidence_publish() -> dict[str, int]:
    """Rebuild every evidence cell from the contributions; returns counts by outcome."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK])
        contributions = list(EvidenceContribution.objects.values(
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
