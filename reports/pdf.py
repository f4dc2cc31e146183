"""A report as a PDF: a Django template (auto-escaped) laid out by WeasyPrint.

WeasyPrint fetches every image and stylesheet the HTML names. Campaign descriptions and
commentary are written by users, so the fetcher below serves only the project's own static
files and the current organisation's media files, from disk; any other URL (the network,
another path on this machine, another organisation's files) is refused and nothing is
fetched. Figures come from ``reports.metrics`` and ``reports.levers``, charts from
``reports.charts`` (SVG, inlined: the same chart serves the pages and the PDF).
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.db.models import Avg, Count, DecimalField, Q
from django.db.models.functions import Cast
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from billing.codes import Option
from billing.entitlements import entitlements_for
from core import formatting
from core.tenancy import current_organisation, current_schema
from core.zones import organisation_zone
from engagement.bilingual_html import localized_markdown
from engagement.models import Campaign, SurveyAnswer
from methodology.models import QuestionKind

from . import charts, figures
from .behaviour import localized_behaviour, report_behaviour
from .formatting import named_lever_rows
from .models import Commentary, Report
from .sections import SectionScope, sections_for
from .selectors import commentary_sections

# Relative URLs in the report resolve against this origin, which the fetcher maps to
# files; ``.invalid`` never resolves, should anything ever try.
BASE_URL = "https://report.fullmobs.invalid/"
# Uploaded images that reach the renderer only through ``bounded_image``; every format
# Pillow would decode for WeasyPrint.
MEDIA_IMAGE_FORMATS = frozenset({"PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF", "ICO"})
# Tagged PDF for screen readers (PDF/UA-1: tags, language and title metadata).
PDF_VARIANT = "pdf/ua-1"

# The 17 United Nations Sustainable Development Goals, by number (French in the catalogue,
# in the UN's own French wording).
SDG_NAMES = {
    1: pgettext_lazy("sustainable development goal", "No poverty"),
    2: pgettext_lazy("sustainable development goal", "Zero hunger"),
    3: pgettext_lazy("sustainable development goal", "Good health and well-being"),
    4: pgettext_lazy("sustainable development goal", "Quality education"),
    5: pgettext_lazy("sustainable development goal", "Gender equality"),
    6: pgettext_lazy("sustainable development goal", "Clean water and sanitation"),
    7: pgettext_lazy("sustainable development goal", "Affordable and clean energy"),
    8: pgettext_lazy("sustainable development goal", "Decent work and economic growth"),
    9: pgettext_lazy("sustainable development goal", "Industry, innovation and infrastructure"),
    10: pgettext_lazy("sustainable development goal", "Reduced inequalities"),
    11: pgettext_lazy("sustainable development goal", "Sustainable cities and communities"),
    12: pgettext_lazy("sustainable development goal", "Responsible consumption and production"),
    13: pgettext_lazy("sustainable development goal", "Climate action"),
    14: pgettext_lazy("sustainable development goal", "Life below water"),
    15: pgettext_lazy("sustainable development goal", "Life on land"),
    16: pgettext_lazy("sustainable development goal", "Peace, justice and strong institutions"),
    17: pgettext_lazy("sustainable development goal", "Partnerships for the goals"),
}


def sdg_name(number: int, language: str) -> str:
    name = SDG_NAMES.get(number)
    if name is None:
        return ""
    with translation.override(language):
        return str(name)


class ReportURLFetcher(URLFetcher):
    """Serves static files and one organisation's media files from disk; refuses the rest.

    Accepted: ``/static/<path>`` and ``/media/<schema>/<path>`` under ``BASE_URL`` (what
    ``{% static %}`` and ``FieldFile.url`` produce), ``file://`` URLs inside those same
    folders, and ``data:`` URLs (inline images, nothing to fetch). Paths are resolved
    (``..`` and symbolic links followed) before they are checked, so nothing escapes.
    Refusals raise ``ValueError``: WeasyPrint logs them and leaves the resource out."""

    def __init__(self, *, schema_name: str):
        # No network handler is ever used: ``fetch`` answers every URL itself.
        super().__init__(timeout=1, allow_redirects=False)
        self.media_root = (Path(settings.MEDIA_ROOT) / schema_name).resolve()

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        path = self.resolve(url)
        if path is None:
            raise ValueError(f"refused in reports: {url[:200]}")
        mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        content = path.read_bytes() if not path.is_relative_to(self.media_root) \
            else self._bounded_media(path, url)
        return URLFetcherResponse(url, content, headers={"Content-Type": mime_type})

    def _bounded_media(self, path: Path, url: str) -> bytes:
        """An uploaded file as WeasyPrint may read it: an image at most the stored logo's
        size (logos stored before that rule are downscaled here), never one whose header
        announces more pixels than a logo may have, nor a file larger than a logo may be."""
        from tenants.services import (
            LOGO_MAX_BYTES,
            LOGO_STORED_MAX_SIDE,
            NotAnImage,
            bounded_image,
        )

        if path.stat().st_size > 4 * LOGO_MAX_BYTES:
            raise ValueError(f"refused in reports (too large): {url[:200]}")
        content = path.read_bytes()
        try:
            content, _format = bounded_image(content, max_side=LOGO_STORED_MAX_SIDE,
                                             formats=MEDIA_IMAGE_FORMATS)
        except NotAnImage:
            pass  # not something Pillow decodes (text, SVG): served as it is
        except ValueError as exc:
            raise ValueError(f"refused in reports ({exc}): {url[:200]}") from exc
        return content

    def resolve(self, url: str) -> Path | None:
        """The file ``url`` names, if it is one the report may use; None otherwise."""
        try:
            parts = urlsplit(url)
        except ValueError:
            return None
        if parts.scheme == "file" and parts.netloc in ("", "localhost"):
            return self._allowed(Path(unquote(parts.path)))
        if f"{parts.scheme}://{parts.netloc}/" != BASE_URL:
            return None
        path = unquote(parts.path)
        if path.startswith(settings.STATIC_URL):
            try:
                found = finders.find(path.removeprefix(settings.STATIC_URL))
            except SuspiciousFileOperation:  # "../" out of a static folder
                return None
            return self._allowed(Path(found)) if isinstance(found, str) else None
        schema_prefix = f"{settings.MEDIA_URL}{self.media_root.name}/"
        if path.startswith(schema_prefix):
            return self._allowed(self.media_root / path.removeprefix(schema_prefix))
        return None

    def _allowed(self, path: Path) -> Path | None:
        try:
            resolved = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if resolved.is_file() and any(resolved.is_relative_to(root)
                                      for root in self._roots()):
            return resolved
        return None

    def _roots(self) -> list[Path]:
        roots = [self.media_root, Path(settings.STATIC_ROOT).resolve()]
        for finder in finders.get_finders():
            for _prefix, storage in finder.list([]):
                location = getattr(storage, "location", None)
                if location:
                    roots.append(Path(location).resolve())
        return roots


@dataclass(frozen=True)
class Subject:
    """What a report covers: its campaigns, the metrics of the whole, the lever rows."""

    campaigns: list[Campaign]
    totals: dict
    levers: list[dict]


def _subject(report: Report) -> Subject:
    # A report names the subject of its scope, and only it (``report_request``).
    if report.scope == Report.Scope.CAMPAIGN:
        campaign = report.campaign
        assert campaign is not None
        return Subject(campaigns=[campaign],
                       totals=figures.campaign_figures(campaign).data,
                       levers=figures.lever_figures(campaign=campaign).data)
    if report.scope == Report.Scope.PROGRAMME:
        programme = report.programme
        assert programme is not None
        campaigns = list(programme.campaigns.exclude(status=Campaign.Status.DRAFT)
                         .order_by("starts_at"))
        return Subject(campaigns=campaigns,
                       totals=figures.programme_figures(programme).data,
                       levers=figures.lever_figures(programme=programme).data)
    assert report.period_start is not None and report.period_end is not None
    period = (report.period_start, report.period_end)
    campaigns = list(Campaign.objects.exclude(status=Campaign.Status.DRAFT)
                     .filter(starts_at__date__gte=period[0], starts_at__date__lte=period[1])
                     .order_by("starts_at"))
    return Subject(campaigns=campaigns,
                   totals=figures.period_figures(*period).data,
                   levers=figures.lever_figures(period=period).data)


def _indicators(impact: list[dict], language: str) -> list[dict]:
    """``metrics``' impact rows in the report's language, with their SDG's name."""
    return [{**row, "label": row[f"label_{language}"] or row["label_en"],
             "sdg_name": sdg_name(row["sdg"], language)} for row in impact]


def _lever_chart(rows: list[dict], title: str) -> str:
    """Conversion (pledged / sent, in %) per lever, all segments together."""
    by_lever: dict[str, list[int]] = {}
    for row in rows:
        if row["dimension"] == "lever":
            sent_pledged = by_lever.setdefault(row["name"], [0, 0])
            sent_pledged[0] += row["sent"]
            sent_pledged[1] += row["pledged"]
    items = [(name, round(100 * pledged / sent, 1) if sent else 0)
             for name, (sent, pledged) in by_lever.items()]
    return charts.bar_chart(items, title=title, unit="%") if items else ""


SCALE_ANSWER = DecimalField(max_digits=1, decimal_places=0)


def survey_results(campaigns: list[Campaign], language: str) -> list[dict]:
    """Answers aggregated per question, never per person: the average of a 1–5 scale,
    the share of "yes", the number of free-text answers."""
    rows = (SurveyAnswer.objects.filter(campaign__in=campaigns)
            .values("question__kind", "question__moment", "question__position",
                    f"question__text_{language}")
            .annotate(answers=Count("id"),
                      yes=Count("id", filter=Q(answer="yes")),
                      average=Avg(Cast("answer", output_field=SCALE_ANSWER),
                                  filter=Q(question__kind=QuestionKind.SCALE,
                                           answer__regex=r"^[1-5]$")))
            .order_by("question__moment", "question__position"))
    results = []
    for row in rows:
        kind = row["question__kind"]
        result = {"question": row[f"question__text_{language}"], "kind": kind,
                  "answers": row["answers"]}
        if kind == QuestionKind.SCALE:
            result["average"] = row["average"]
        elif kind == QuestionKind.YES_NO:
            result["yes_rate"] = row["yes"] / row["answers"]
        results.append(result)
    return results


def _commentary(report: Report, language: str) -> list[dict]:
    sections = commentary_sections(report)
    with translation.override(language):
        # In the report's language, or the other one marked as such.
        return [{"title": str(Commentary.Section(c.section).label),
                 "html": localized_markdown(c, "text", language)} for c in sections]


def _charts(totals: dict, indicators: list[dict]) -> dict:
    """The charts of one set of metrics; titles in the active language."""
    invitations, attendance = totals["invitations"], totals["attendance"]
    unrecorded = attendance["confirmed"] - attendance["attended"] - attendance["no_show"]
    return {
        "funnel": charts.funnel_chart(
            [(_("Invitations sent"), invitations["sent"]),
             (_("Pledges through them"), invitations["pledged"])],
            title=_("From invitation to pledge")) if invitations["sent"] else "",
        # Every pledge the attendance rate counts, so that the bars add up to it.
        "attendance": charts.bar_chart(
            [(_("Attended"), attendance["attended"], "pledges"),
             (_("Did not come"), attendance["no_show"], "pledges")]
            + ([(_("Not recorded"), unrecorded, "pledges")] if unrecorded else []),
            title=_("Attendance: %(rate)s of %(count)s") % {
                "rate": formatting.percent(attendance["attendance_rate"]),
                "count": formatting.quantity(attendance["confirmed"], "pledges")})
        if attendance["confirmed"] else "",
        "impact": charts.bar_chart(
            [(row["label"], row["total"], row["unit"]) for row in indicators],
            title=_("Measured impact")) if indicators else "",
    }


def _campaign_page(campaign: Campaign, totals: dict, language: str) -> dict:
    indicators = _indicators(totals["impact"], language)
    return {"campaign": campaign, "metrics": totals, "indicators": indicators,
            "description": localized_markdown(campaign, "description", language),
            "progress": charts.progress_chart(
                totals["participants"]["mobilised"], campaign.participant_target,
                title=_("People mobilised against the target")),
            "charts": _charts(totals, indicators)}


def report_context(report: Report) -> dict:
    """Everything the printable template shows; call it in the report's language."""
    organisation = current_organisation()
    entitlements = entitlements_for(organisation)
    language = report.language
    subject = _subject(report)
    indicators = _indicators(subject.totals["impact"], language)
    lever_rows = named_lever_rows(subject.levers, language)
    pages = figures.campaigns_figures(subject.campaigns)
    campaign_pages = [_campaign_page(campaign, pages[campaign.pk], language)
                      for campaign in subject.campaigns if campaign.pk in pages]
    return {
        "report": report,
        "organisation": organisation,
        "branded": entitlements.allows(Option.BRANDED_SPACE),
        "totals": subject.totals,
        "indicators": indicators,
        "charts": _charts(subject.totals, indicators),
        "campaign_pages": campaign_pages,
        "levers": lever_rows,
        "lever_chart": _lever_chart(lever_rows, _("Invitations turned into pledges, by "
                                                  "lever")),
        "survey": survey_results(subject.campaigns, language),
        # Sections other apps registered (``reports.sections``), e.g. the lab's experiments.
        "sections": sections_for(SectionScope(report=report,
                                              campaigns=tuple(subject.campaigns),
                                              language=language)),
        "behaviour": localized_behaviour(report_behaviour(report), language),
        "commentary": (_commentary(report, language)
                       if entitlements.allows(Option.COMMENTED_REPORT) else []),
        "generated_at": timezone.now(),
    }


def report_html(report: Report) -> str:
    """In the report's language and the organisation's time zone (a worker has it active
    already, core/zones.py; this holds wherever the report is made)."""
    zone = organisation_zone(current_organisation())
    with translation.override(report.language), timezone.override(zone):
        return render_to_string("reports/pdf/report.html", report_context(report))


def render_html(html: str, *, schema_name: str) -> tuple[bytes, int]:
    """Lay out ``html`` as a tagged PDF; returns the PDF and its number of pages."""
    document = HTML(string=html, base_url=BASE_URL,
                    url_fetcher=ReportURLFetcher(schema_name=schema_name)
                    ).render(pdf_variant=PDF_VARIANT)
    return document.write_pdf(pdf_variant=PDF_VARIANT), len(document.pages)


def render_pdf(report: Report) -> tuple[bytes, int]:
    return render_html(report_html(report),
                       schema_name=current_schema())
