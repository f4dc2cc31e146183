"""The measured impact of a scope: totals per indicator of its programmes (the
``impact`` part of ``metrics``)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db.models import Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from engagement.models import Campaign, ImpactRecord, Programme, ProgrammeIndicator

# An indicator's fields, the same whatever programme of the scope declares its code.
_INDICATOR_FIELDS = {"label_fr": Min("label_fr"), "label_en": Min("label_en"),
                     "sdg": Min("sdg"), "position": Min("position")}


def impact_totals(campaigns: QuerySet[Campaign],
                  programmes: QuerySet[Programme] | None) -> list[dict]:
    """Totals per indicator code of the records of ``campaigns``, across the indicators
    of ``programmes``; those without any record yet show 0, so a report lists what it
    aims at."""
    records = ImpactRecord.objects.filter(campaign__in=campaigns.values("pk"))
    indicators = ProgrammeIndicator.objects.filter(
        programme__in=programmes.values("pk")) if programmes is not None \
        else ProgrammeIndicator.objects.none()
    rows = (indicators.order_by().values("code", "unit")
            .annotate(**_INDICATOR_FIELDS,
                      total=Coalesce(Sum("records__value",
                                         filter=Q(records__in=records.values("pk"))),
                                     Value(Decimal(0))))
            .order_by("position", "code"))
    return [_impact_row(row, row["total"]) for row in rows]


def impact_by_campaign(campaigns: list[Campaign]) -> dict[int, list[dict]]:
    """``impact_totals`` of each campaign: its programme's indicators, with that campaign's
    records added up (one query for the indicators, one for the sums)."""
    indicators: dict[int, list[Mapping[str, Any]]] = {}
    for row in (ProgrammeIndicator.objects
                .filter(programme_id__in={c.programme_id for c in campaigns}).order_by()
                .values("programme_id", "code", "unit").annotate(**_INDICATOR_FIELDS)
                .order_by("position", "code")):
        indicators.setdefault(row["programme_id"], []).append(row)
    totals = {(row["campaign_id"], row["indicator__code"], row["indicator__unit"]):
              row["total"] for row in
              ImpactRecord.objects.filter(campaign__in=campaigns).order_by()
              .values("campaign_id", "indicator__code", "indicator__unit")
              .annotate(total=Sum("value"))}
    return {campaign.pk: [
        _impact_row(row, totals.get((campaign.pk, row["code"], row["unit"]), 0))
        for row in indicators.get(campaign.programme_id, [])] for campaign in campaigns}


def _impact_row(row: Mapping[str, Any], total: float | Decimal) -> dict:
    return {"code": row["code"], "unit": row["unit"], "label_fr": row["label_fr"],
            "label_en": row["label_en"], "sdg": row["sdg"], "total": round(float(total), 2)}
