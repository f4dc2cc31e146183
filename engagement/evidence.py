"""The organisation's own figures beside the evidence across organisations: how its
campaigns made from a methodology template ended ("3 of 4 reached their target")."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from core.formatting import percent
from core.tenancy import current_organisation
from methodology.evidence import KINDS, benchmark, levers_by_conversion

from .models import Campaign

DECIDED = (Campaign.Status.SUCCEEDED, Campaign.Status.COMPLETED, Campaign.Status.FAILED)
REACHED = (Campaign.Status.SUCCEEDED, Campaign.Status.COMPLETED)


def own_template_outcomes(template_slug: str, *, programme_id: int | None = None
                          ) -> dict[str, Any]:
    """Decided campaigns made from the template (of one programme when given) and how
    many reached their target, with the benchmark (``methodology.evidence.benchmark``)."""
    campaigns = Campaign.objects.filter(
        programme__template_version__template__slug=template_slug)
    if programme_id is not None:
        campaigns = campaigns.filter(programme_id=programme_id)
    figures = campaigns.aggregate(decided=Count("pk", filter=Q(status__in=DECIDED)),
                                  reached=Count("pk", filter=Q(status__in=REACHED)))
    decided, reached = figures["decided"], figures["reached"]
    figure = benchmark(template_slug, current_organisation().kind)
    return {"decided": decided, "reached": reached,
            "rate_text": percent(reached / decided) if decided else "",
            "benchmark": figure if figure["published"] else None}


def template_evidence(template_slug: str) -> dict[str, Any]:
    """The template page's evidence: its success across organisations, conversion by
    lever for organisations of this kind (of every kind while none is published for it),
    and the organisation's own outcomes beside them."""
    kind = current_organisation().kind
    levers = levers_by_conversion(template_slug, kind=kind)
    audience = KINDS.get(kind)
    if not any(row["published"] for row in levers):
        levers, audience = levers_by_conversion(template_slug), None
    return {"success": benchmark(template_slug, kind), "levers": levers,
            "audience": audience, "own": own_template_outcomes(template_slug)}
