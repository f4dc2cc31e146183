"""Reading the published evidence across organisations (``EvidenceCell``, filled nightly
by ``lab.evidence.publication``): a template's success rate, conversion by lever for an audience,
and "what worked for whom" for the consultants' console. Only published cells carry
figures; a suppressed one reads as "not enough organisations yet"."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.formatting import count, percent

from .models import EvidenceCell, Lever

ALL = "all"
KINDS = {"company": _("Companies"), "local_authority": _("Local authorities"),
         "association": _("Associations")}
# The bands ``lab.evidence.contributions.SIZE_BANDS`` computes (people the organisation knows).
SIZE_BANDS = {"small": _("fewer than 250 people"), "medium": _("250 to 2,499 people"),
              "large": _("2,500 people or more")}


def _cells(**filters: str) -> dict[tuple[str, ...], EvidenceCell]:
    return {(c.template, c.lever, c.channel, c.kind, c.size_band, c.segment): c
            for c in EvidenceCell.objects.filter(**filters)}


def _interval(cell: EvidenceCell, name: str) -> dict[str, Any] | None:
    rate = getattr(cell, name) if cell.published else None
    if rate is None:
        return None
    low, high = getattr(cell, f"{name.split('_')[0]}_low"), getattr(
        cell, f"{name.split('_')[0]}_high")
    return {"rate": rate, "low": low, "high": high, "text": percent(rate),
            "interval": f"{percent(low)} – {percent(high)}"}


def _row(cell: EvidenceCell | None) -> dict[str, Any]:
    if cell is None or not cell.published:
        return {"published": False}
    return {"published": True, "organisations": cell.organisations,
            "organisations_text": count(cell.organisations), "people": cell.people,
            "campaigns": cell.campaigns, "decided": cell.decided, "reached": cell.reached,
            "success": _interval(cell, "success_rate"),
            "conversion": _interval(cell, "conversion"),
            "attendance": _interval(cell, "attendance")}


def lever_names() -> dict[str, str]:
    return {lever.code: lever.tr("name") for lever in Lever.objects.all()}


def template_success(template: str, *, kind: str = "", size_band: str = ""
                     ) -> dict[str, Any]:
    """The template's campaigns across organisations (of an audience when given)."""
    cell = EvidenceCell.objects.filter(template=template, lever="", channel="", kind=kind,
                                       size_band=size_band, segment=ALL).first()
    return _row(cell)


def levers_by_conversion(template: str = "", *, kind: str = "", size_band: str = ""
                         ) -> list[dict[str, Any]]:
    """Levers of a template (or of every template: ``""``) for an audience, ranked by
    conversion (published first), each with its interval and organisations."""
    names = lever_names()
    rows = []
    for key, cell in _cells(template=template, channel="", kind=kind,
                            size_band=size_band, segment=ALL).items():
        if not key[1]:
            continue
        rows.append({"code": key[1], "name": names.get(key[1], _("Other lever")),
                     **_row(cell)})
    rows.sort(key=lambda row: (row.get("conversion") is None,
                               -(row.get("conversion") or {}).get("rate", 0),
                               str(row["name"])))
    return rows


def what_worked_for_whom(template: str = "") -> list[dict[str, Any]]:
    """Per audience (each kind, then each kind by size band): levers ranked by
    conversion; ``shown`` is false when none of its figures is published. Audiences
    without any cell are left out."""
    audiences = []
    for kind, kind_name in KINDS.items():
        for size, size_name in (("", None), *SIZE_BANDS.items()):
            levers = levers_by_conversion(template, kind=kind, size_band=size)
            if not levers:
                continue
            success = template_success(template, kind=kind, size_band=size)
            audiences.append({"kind": kind, "size_band": size,
                              # Nothing published: one line, not an empty heading.
                              "shown": success["published"] or any(
                                  row["published"] for row in levers),
                              "name": kind_name if size_name is None
                              else f"{kind_name} · {size_name}",
                              "success": success,
                              "levers": levers})
    return audiences


def _benchmark_label(template: str, kind: str, cell: EvidenceCell) -> str:
    """What the benchmark is, said beside it: "same template, companies, 15 organisations"."""
    parts = [gettext("same template") if template else gettext("every template")]
    if cell.kind:
        parts.append(str(KINDS[cell.kind]).lower())
    elif kind in KINDS:
        parts.append(gettext("all kinds of organisation (not enough %(kind)s yet)")
                     % {"kind": str(KINDS[kind]).lower()})
    else:
        parts.append(gettext("all kinds of organisation"))
    parts.append(ngettext("%(count)s organisation", "%(count)s organisations",
                          cell.organisations or 0) % {"count": count(cell.organisations or 0)})
    return ", ".join(parts)


def benchmarks(wanted: Iterable[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    """THE benchmark, for each (template, kind) wanted (template "" = every template):
    the success of campaigns from the same template in organisations of the same kind
    (all sizes), or in organisations of every kind while that one is not published
    (``fallback``). Each row also carries ``label``, to be shown beside the figure. One
    query for all. The dashboard, the library, the template page, the portfolio and the
    API all read it here, so a client sees one figure."""
    wanted = list(dict.fromkeys(wanted))
    cells = {(cell.template, cell.kind): cell for cell in EvidenceCell.objects.filter(
        template__in={template for template, _kind in wanted}, lever="", channel="",
        size_band="", segment=ALL, published=True, success_rate__isnull=False,
        kind__in={kind for _template, kind in wanted} | {""})}
    result: dict[tuple[str, str], dict[str, Any]] = {}
    for template, kind in wanted:
        cell = cells.get((template, kind)) if kind else None
        fallback = cell is None and bool(kind)
        cell = cell or cells.get((template, ""))
        if cell is None:
            result[(template, kind)] = {"published": False, "success": None}
            continue
        result[(template, kind)] = {**_row(cell), "fallback": fallback, "kind": cell.kind,
                                    "label": _benchmark_label(template, kind, cell)}
    return result


def benchmark(template: str, kind: str) -> dict[str, Any]:
    """The benchmark of one template ("" = every template) for one kind of organisation."""
    return benchmarks([(template, kind)])[(template, kind)]


def success_by_template(kind: str = "") -> dict[str, dict[str, Any]]:
    """Every template's benchmark for organisations of ``kind``, by slug (the library)."""
    slugs = EvidenceCell.objects.filter(
        lever="", channel="", size_band="", segment=ALL, published=True
    ).exclude(template="").values_list("template", flat=True).distinct()
    return {template: row for (template, _kind), row in
            benchmarks((slug, kind) for slug in slugs).items() if row["published"]}
