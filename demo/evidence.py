"""Demo: evidence across organisations. The demo has two organisations, too few for any cell
to be published (five are needed), so this writes DEMO DATA: the contribution rows of 30
anonymous synthetic organisations (``is_demo=True``, keys "demo-…" hashed), shaped as the
nightly task writes them, then runs the nightly pass itself (Acme's and Villeneuve's real
counts join them) and publishes. Deterministic (a fixed seed): reseeding changes nothing.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict

from lab.evidence.contributions import AGE_BANDS, ALL, NO_TEMPLATE, UNKNOWN
from lab.evidence.tasks import publish_evidence_nightly
from methodology.models import EvidenceContribution, Template
from methodology.selectors import latest_published

CHANNELS = ("email", "link_share", "qr_poster", "intranet", "manager")
# Which levers move whom (illustrative): a conversion multiplier per kind and lever.
AFFINITY = {
    "company": {"leader_example": 1.5, "team_challenge": 1.4, "personal_invitation": 1.3},
    "local_authority": {"local_impact": 1.5, "family_friendly": 1.3, "visible_progress": 1.2},
    "association": {"personal_invitation": 1.5, "recognition": 1.3, "short_commitment": 1.2},
}
SEGMENT_SHARE = {"18-25": 0.12, "26-35": 0.26, "36-50": 0.32, "51-65": 0.2, "65+": 0.04,
                 UNKNOWN: 0.06}
SIZES = {"small": (40, 160), "medium": (200, 700), "large": (600, 2000)}


def _organisations() -> list[tuple[str, str, str]]:
    kinds = ["company"] * 14 + ["local_authority"] * 10 + ["association"] * 6
    sizes = ["small", "medium", "large"]
    return [(hashlib.sha256(f"demo-{index}".encode()).hexdigest(), kind,
             sizes[index % 3] if kind != "association" else sizes[index % 2])
            for index, kind in enumerate(kinds)]


def _template_levers() -> dict[str, list[str]]:
    levers = {}
    for template in Template.objects.all():
        version = latest_published(template)
        if version is not None:
            levers[template.slug] = [row.lever.code for row in
                                     version.levers.select_related("lever")]
    return levers


def _rows_for(rng: random.Random, kind: str, size: str,
              levers_by_template: dict[str, list[str]]) -> list[dict]:
    cells: dict[tuple[str, str, str, str], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(("campaigns", "decided", "reached", "sent", "pledged",
                               "attended", "people"), 0))
    templates = rng.sample(sorted(levers_by_template), k=min(4, len(levers_by_template)))
    for template in templates:
        campaigns = rng.randint(2, 6)
        reached = sum(rng.random() < (0.78 if kind == "company" else 0.66)
                      for _ in range(campaigns))
        for tpl in (template, ""):
            cell = cells[(tpl, "", "", ALL)]
            cell["campaigns"] += campaigns
            cell["decided"] += campaigns
            cell["reached"] += reached
        for lever in levers_by_template[template] or ["personal_invitation"]:
            base = rng.uniform(0.12, 0.3) * AFFINITY[kind].get(lever, 1.0)
            invited = rng.randint(*SIZES[size])
            for segment, share in SEGMENT_SHARE.items():
                sent = max(1, round(invited * share * rng.uniform(0.7, 1.3)))
                pledged = sum(rng.random() < min(base, 0.9) for _ in range(sent))
                attended = sum(rng.random() < 0.8 for _ in range(pledged))
                people = max(1, round(sent * 0.92))
                split = [rng.random() for _ in CHANNELS]
                channel = CHANNELS[split.index(max(split))]
                figures = {"sent": sent, "pledged": pledged, "attended": attended,
                           "people": people}
                for tpl in (template, ""):
                    for lev, chan in ((lever, ""), ("", channel), ("", "")):
                        for seg in (segment, ALL):
                            for name, value in figures.items():
                                cells[(tpl, lev, chan, seg)][name] += value
    return [{"template": tpl, "lever": lever, "channel": channel, "segment": segment,
             **figures} for (tpl, lever, channel, segment), figures in cells.items()
            if tpl != NO_TEMPLATE]


def seed() -> dict[str, int]:
    """Demo contributions written (replacing earlier demo rows), then the nightly pass."""
    rng = random.Random(15)  # noqa: S311 - demo data, not secrets
    levers_by_template = _template_levers()
    rows = []
    for key, kind, size in _organisations():
        for row in _rows_for(rng, kind, size, levers_by_template):
            rows.append(EvidenceContribution(organisation_key=key, kind=kind,
                                             size_band=size, is_demo=True, **row))
    EvidenceContribution.objects.filter(is_demo=True).delete()
    EvidenceContribution.objects.bulk_create(rows, batch_size=2000)
    assert all(row.segment in (*AGE_BANDS, UNKNOWN, ALL) for row in rows)
    return publish_evidence_nightly()
