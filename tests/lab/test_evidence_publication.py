"""Publishing evidence across organisations: the threshold, complementary suppression, the
stability of published cells, idempotence, and the removal of any one organisation."""

from __future__ import annotations

import random

import pytest

from lab.evidence.contributions import AGE_BANDS, ALL, UNKNOWN
from lab.evidence.publication import (
    MIN_ORGANISATIONS,
    MIN_PEOPLE,
    PARTITIONING,
    _breakdowns,
    evidence_publish,
)
from methodology.models import EvidenceCell, EvidenceContribution

pytestmark = pytest.mark.django_db
LEVERS = ("social_proof", "deadline", "personal_invitation")
FIGURES = ("organisations", "people", "campaigns", "decided", "reached", "sent", "pledged",
           "attended")


def contribute(key: str, *, kind: str, band: str, rng: random.Random,
               templates=("beach-clean-up",), bands=AGE_BANDS) -> None:
    """An organisation's rows shaped as ``lab.evidence`` writes them: template totals,
    levers and channels per segment, each with its "all" row."""
    rows = []
    for template in templates:
        by_lever = {lever: {seg: (rng.randint(1, 6), rng.randint(3, 30))
                            for seg in (*bands, UNKNOWN)} for lever in LEVERS}
        for lever, segments in by_lever.items():
            for segment, (people, sent) in segments.items():
                rows.append(dict(template=template, lever=lever, channel="",
                                 segment=segment, people=people, sent=sent,
                                 pledged=sent // 2, attended=sent // 3))
            rows.append(dict(template=template, lever=lever, channel="", segment=ALL,
                             people=sum(p for p, _ in segments.values()),
                             sent=sum(s for _, s in segments.values()),
                             pledged=sum(s // 2 for _, s in segments.values()),
                             attended=sum(s // 3 for _, s in segments.values())))
        for segment in (*bands, UNKNOWN, ALL):
            lever_rows = [r for r in rows if r["template"] == template
                          and r["lever"] and r["segment"] == segment]
            total = {name: sum(r[name] for r in lever_rows)
                     for name in ("people", "sent", "pledged", "attended")}
            campaigns = rng.randint(2, 6) if segment == ALL else 0
            rows.append(dict(template=template, lever="", channel="", segment=segment,
                             campaigns=campaigns, decided=campaigns,
                             reached=rng.randint(0, campaigns), **total))
    template_totals = [r for r in rows if not r["lever"]]
    for segment in (*bands, UNKNOWN, ALL):
        same = [r for r in template_totals if r["segment"] == segment]
        rows.append(dict(template="", lever="", channel="", segment=segment,
                         **{name: sum(r.get(name, 0) for r in same)
                            for name in ("people", "sent", "pledged", "attended",
                                         "campaigns", "decided", "reached")}))
    EvidenceContribution.objects.bulk_create(
        EvidenceContribution(organisation_key=key, kind=kind, size_band=band, **row)
        for row in rows)


def organisations(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    kinds = ("company", "local_authority", "association")
    keys = []
    for index in range(count):
        key = f"org{index:02d}"
        # Small segments for some: the 65+ band often has one or two people.
        contribute(key, kind=kinds[index % 3] if index < count - 1 else "company",
                   band=("small", "medium", "large")[index % 2], rng=rng)
        keys.append(key)
    return keys


def published() -> dict[tuple, EvidenceCell]:
    return {(c.template, c.lever, c.channel, c.kind, c.size_band, c.segment): c
            for c in EvidenceCell.objects.filter(published=True)}


def contributors(key: str) -> set[tuple]:
    """The cells (published or not) an organisation's rows count in."""
    cells = set()
    for row in EvidenceContribution.objects.filter(organisation_key=key):
        for kind, size in ((row.kind, row.size_band), (row.kind, ""), ("", "")):
            cells.add((row.template, row.lever, row.channel, kind, size, row.segment))
    return cells


def assert_threshold_and_no_recovery() -> None:
    """Within one publication: every published cell at the threshold, rates only over
    five or more; in every breakdown with a published total, the suppressed children
    together (total minus the published ones) are at the threshold too."""
    cells = {(c.template, c.lever, c.channel, c.kind, c.size_band, c.segment): c
             for c in EvidenceCell.objects.all()}
    rows = list(EvidenceContribution.objects.values())
    for cell in cells.values():
        if cell.published:
            assert cell.organisations >= MIN_ORGANISATIONS and cell.people >= MIN_PEOPLE
            assert (cell.conversion is None) == (cell.sent < 5)
            assert (cell.success_rate is None) == (cell.decided < 5)
        else:
            assert all(getattr(cell, name) is None for name in FIGURES)
    keys_of = {}
    for row in rows:
        for kind, size in ((row["kind"], row["size_band"]), (row["kind"], ""), ("", "")):
            cell_key = (row["template"], row["lever"], row["channel"], kind, size,
                        row["segment"])
            keys_of.setdefault(cell_key, []).append(row)

    class Stub:
        pass
    for dimension, total, children in _breakdowns(dict.fromkeys(cells, Stub())):
        if not cells[total].published:
            continue
        hidden = [child for child in children if not cells[child].published]
        if not hidden:
            continue
        hidden_rows = [row for child in hidden for row in keys_of.get(child, [])]
        assert len({row["organisation_key"] for row in hidden_rows}) >= MIN_ORGANISATIONS
        # People add up only where the children partition them; in lever, channel and
        # template breakdowns each organisation counts its largest hidden child.
        if dimension in PARTITIONING:
            people = sum(row["people"] for row in hidden_rows)
        else:
            largest: dict[str, int] = {}
            for row in hidden_rows:
                key = row["organisation_key"]
                largest[key] = max(largest.get(key, 0), row["people"])
            people = sum(largest.values())
        assert people >= MIN_PEOPLE


def test_a_cell_needs_five_organisations_and_five_people():
    organisations(4)
    evidence_publish()
    assert not published()
    assert EvidenceCell.objects.filter(reason="threshold").exists()
    contribute("org-fifth", kind="company", band="small", rng=random.Random(1))
    evidence_publish()
    total = published()[("", "", "", "", "", ALL)]
    assert total.organisations == 5
    assert total.people == sum(EvidenceContribution.objects.filter(
        template="", lever="", channel="", segment=ALL).values_list("people", flat=True))
    low, high = total.success_low, total.success_high
    assert low <= total.success_rate <= high
    assert_threshold_and_no_recovery()


def test_publishing_twice_changes_nothing():
    organisations(8)
    evidence_publish()
    first = {key: [getattr(cell, name) for name in (*FIGURES, "published", "reason")]
             for key, cell in ((k, c) for k, c in (
                 ((c.template, c.lever, c.channel, c.kind, c.size_band, c.segment), c)
                 for c in EvidenceCell.objects.all()))}
    evidence_publish()
    second = {(c.template, c.lever, c.channel, c.kind, c.size_band, c.segment):
              [getattr(c, name) for name in (*FIGURES, "published", "reason")]
              for c in EvidenceCell.objects.all()}
    assert first == second and any(values[-2] for values in first.values())


def test_a_lone_suppressed_segment_takes_a_neighbour_with_it():
    """Eight organisations; only two have people aged 65+: that segment is under the
    threshold, and the total minus the other segments would give it away, so the
    smallest published segment is suppressed beside it."""
    rng = random.Random(3)
    for index in range(8):
        bands = AGE_BANDS if index < 2 else AGE_BANDS[:-1]
        contribute(f"o{index}", kind="company", band="small", rng=rng, bands=bands)
    evidence_publish()
    cells = {(c.template, c.lever, c.channel, c.kind, c.size_band, c.segment): c
             for c in EvidenceCell.objects.all()}
    old = cells[("beach-clean-up", "deadline", "", "", "", "65+")]
    assert not old.published and old.reason == "threshold"
    assert cells[("beach-clean-up", "deadline", "", "", "", ALL)].published
    assert EvidenceCell.objects.filter(reason="complementary").exists()
    assert_threshold_and_no_recovery()


def test_removing_any_one_organisation_reveals_nothing():
    """The property, for each of eight organisations in turn (publish all, remove it,
    publish again, restore):

    1. Every cell published after the removal has ≥ 5 organisations and ≥ 5 people (and
       its rates ≥ 5 in their denominators), and within that publication no suppressed
       cell is recoverable by subtraction: in every breakdown whose total is published,
       the suppressed children together are themselves at the threshold.
    2. Across the two publications: a reader holding both could subtract a cell's figures
       before and after to get the removed organisation's own counts. So every cell
       published in both has the same organisations behind it, and the removed one is
       not among them: every cell it counted in is now withheld (or gone), never
       published with figures that differ from the earlier ones by one organisation.
    """
    keys = organisations(8)
    evidence_publish()
    before = published()
    before_cells = {key: (c.organisations, c.people, c.sent, c.baseline_keys)
                    for key, c in before.items()}
    assert len(before) > 20
    snapshot = list(EvidenceContribution.objects.values())
    removed_cells = 0
    for key in keys:
        own = contributors(key)
        EvidenceContribution.objects.filter(organisation_key=key).delete()
        evidence_publish()
        after = published()
        assert_threshold_and_no_recovery()
        for cell_key, cell in after.items():
            if cell_key in before_cells:
                organisations_, people, sent, baseline = before_cells[cell_key]
                assert key not in baseline, cell_key
                assert cell_key not in own
                assert (cell.organisations, cell.people, cell.sent) == (
                    organisations_, people, sent)
        removed_cells += len(own & before.keys())
        assert not (own & after.keys())
        # Restore: the organisation's rows and the earlier publication.
        EvidenceContribution.objects.all().delete()
        EvidenceContribution.objects.bulk_create(EvidenceContribution(**row)
                                                 for row in snapshot)
        EvidenceCell.objects.all().delete()
        evidence_publish()
        assert {k: (c.organisations, c.people, c.sent, c.baseline_keys)
                for k, c in published().items()} == before_cells
    assert removed_cells > 0


def test_a_cell_comes_back_when_five_organisations_have_changed():
    keys = organisations(8)
    evidence_publish()
    total = ("", "", "", "", "", ALL)
    assert total in published()
    EvidenceContribution.objects.filter(organisation_key=keys[0]).delete()
    evidence_publish()
    assert total not in published()
    assert EvidenceCell.objects.get(
        template="", lever="", channel="", kind="", size_band="", segment=ALL
    ).reason == "changed"
    rng = random.Random(11)
    for index in range(4):
        contribute(f"new{index}", kind="company", band="small", rng=rng)
    evidence_publish()
    assert published()[total].organisations == 11
