"""The publication reads the contributions aggregated in SQL (``drafts_read``): the same
drafts as adding the rows up one by one in Python (``drafts_build``), cell by cell and
organisation by organisation, with the same dominance and interval sums."""

from __future__ import annotations

import random

import pytest

from lab.evidence.publication import (
    RATES,
    _dominated,
    drafts_build,
    drafts_read,
    owners,
)
from lab.stats.sums import ArmSums
from methodology.models import EvidenceContribution

from .test_evidence_publication import contribute, organisations

pytestmark = pytest.mark.django_db
FIELDS = ("organisation_key", "template", "lever", "channel", "kind", "size_band",
          "segment", "campaigns", "decided", "reached", "sent", "pledged", "attended",
          "people")


def test_sql_drafts_equal_the_rows_added_up_in_python():
    organisations(14)
    # A second template for some, and one organisation far larger than the others.
    rng = random.Random(3)
    contribute("big", kind="company", band="large", rng=rng, templates=("river-day",))
    EvidenceContribution.objects.filter(organisation_key="big").update(sent=400, pledged=300)
    python = drafts_build(list(EvidenceContribution.objects.values(*FIELDS)))
    sql = drafts_read()
    assert list(sql) == sorted(python)
    assert any(draft.dominated for draft in sql.values())
    for key, expected in python.items():
        draft = sql[key]
        assert draft.keys == expected.keys, key
        assert draft.sums == expected.sums, key
        assert owners(draft) == expected.by_org, key
        assert draft.dominated == _dominated(expected.by_org), key
        for successes, trials in RATES:
            assert draft.units[(successes, trials)] == ArmSums.from_units(
                (own[trials], own[successes]) for own in expected.by_org.values()), key


def test_demo_rows_are_left_out_of_a_real_installation(settings):
    organisations(6)
    EvidenceContribution.objects.filter(organisation_key="org00").update(is_demo=True)
    settings.DEMO_INSTALLATION = False
    assert all("org00" not in draft.keys for draft in drafts_read().values())
    settings.DEMO_INSTALLATION = True
    assert any("org00" in draft.keys for draft in drafts_read().values())
