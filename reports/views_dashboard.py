"""Dashboard pages (members read) and CSV exports (managers and up).

Anonymous visitors never get here: the tenant access middleware sends them to the login
page, and users without access to the organisation get 404.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import nullcontext
from urllib.parse import urlencode

from django import forms
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.catalogue import options
from billing.codes import Option
from billing.entitlements import entitlements_for
from core.i18n import language
from core.replica import replica_reading
from core.roles import Role
from engagement.evidence import own_template_outcomes
from engagement.models import Campaign, Programme
from tenants.access import require_role

from . import exports
from .charts import bar_chart, funnel_chart, progress_chart
from .figures import (
    Figures,
    campaign_figures,
    lever_figures,
    period_figures,
    programme_figures,
)
from .formatting import SEGMENT_NAMES, named_lever_rows
from .levers import SEGMENTS
from .metrics import default_period

# A date input reads only ISO dates (yyyy-mm-dd), whatever the page's language.
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PeriodForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), widget=DATE)
    end = forms.DateField(label=gettext_lazy("To"), widget=DATE)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["end"] < cleaned["start"]:
            self.add_error("end", _("The end is before the start."))
        return cleaned


def _charts(metrics: dict) -> dict:
    """The SVG charts every dashboard page shows, from a metrics dict."""
    invitations = metrics["invitations"]
    people = metrics["participants"]
    label = f"label_{language()}"
    return {
        "hours": bar_chart([(_("Pledged"), metrics["hours"]["pledged"]),
                            (_("Given (attended)"), metrics["hours"]["attended"])],
                           title=_("Hours"), unit="h"),
        "people": bar_chart([(_("New"), people["new"]), (_("Returning"), people["returning"]),
                             (_("Including companions"), people["with_companions"])],
                            title=_("People mobilised"), unit="people"),
        "funnel": funnel_chart([(_("Invitations sent"), invitations["sent"]),
                                (_("Pledges through them"), invitations["pledged"])],
                               title=_("Invitations")),
        "impact": bar_chart([(row[label], row["total"], row["unit"])
                             for row in metrics["impact"]],
                            title=_("Measured impact")) if metrics["impact"] else "",
    }


def _levers(request, **scope) -> dict:
    """The lever section's context: the analysis with the paid option, else the teaser."""
    segment = request.GET.get("segment", "team")
    segment = segment if segment in SEGMENTS else "team"
    if not entitlements_for(request.tenant).allows(Option.LEVER_ANALYTICS):
        return {"lever_rows": None, "lever_option": options()[Option.LEVER_ANALYTICS]}
    rows = lever_figures(segment=segment, allow_stale=True, **scope)
    return {"lever_rows": named_lever_rows(rows.data, language()), "lever_figures": rows,
            "segment": segment,
            "segments": [(key, SEGMENT_NAMES[key]) for key in SEGMENTS]}


def _figures_context(request, figures: Figures, levers: dict, *, url: str | None = None
                     ) -> dict:
    """What the page says of its figures' age: when they were computed, and whether newer
    ones are on their way (the page then reloads its figures from ``url``, the page's
    own address by default, until they are)."""
    parts = [figures] + ([levers["lever_figures"]] if "lever_figures" in levers else [])
    return {"metrics": figures.data, "computed_at": min(p.computed_at for p in parts),
            "figures_current": all(p.current for p in parts),
            "figures_refreshing": any(p.refreshing for p in parts),
            "figures_url": url or request.get_full_path()}


def overview(request):
    """The organisation's figures for a period (the current year unless chosen)."""
    start, end = default_period()
    default = {"start": start, "end": end}
    form = PeriodForm(request.GET if "start" in request.GET else None, initial=default)
    period = form.cleaned_data if form.is_bound and form.is_valid() else default
    figures = period_figures(period["start"], period["end"], allow_stale=True)
    levers = _levers(request, period=(period["start"], period["end"]))
    # The figures shown are those of a valid period: the page polls that one's address.
    shown = {"start": period["start"].isoformat(), "end": period["end"].isoformat()}
    if "segment" in levers:
        shown["segment"] = levers["segment"]
    return render(request, "reports/dashboard.html", {
        "form": form, "charts": _charts(figures.data), "period": period,
        "programmes": Programme.objects.all(), **levers,
        **_figures_context(request, figures, levers,
                           url=f"{request.path}?{urlencode(shown)}")},
        status=400 if form.errors else 200)


def programme_dashboard(request, pk: int):
    programme = get_object_or_404(Programme.objects.select_related("template_version__template"),
                                  pk=pk)
    figures = programme_figures(programme, allow_stale=True)
    metrics = figures.data
    charts = _charts(metrics)
    charts["target"] = progress_chart(metrics["participants"]["mobilised"],
                                      programme.participant_target,
                                      title=_("Participants against the target")) \
        if programme.participant_target else ""
    levers = _levers(request, programme=programme)
    version = programme.template_version
    own = own_template_outcomes(version.template.slug, programme_id=programme.pk) \
        if version is not None else None  # beside the benchmark (issue 15)
    return render(request, "reports/dashboard_programme.html", {
        "programme": programme, "charts": charts, "campaigns": programme.campaigns.all(),
        "own": own,
        **levers, **_figures_context(request, figures, levers)})


def campaign_dashboard(request, pk: int):
    campaign = get_object_or_404(Campaign.objects.select_related("programme"), pk=pk)
    figures = campaign_figures(campaign, allow_stale=True)
    metrics = figures.data
    charts = _charts(metrics)
    charts["target"] = progress_chart(metrics["participants"]["with_companions"],
                                      campaign.participant_target,
                                      title=_("People against the target"))
    levers = _levers(request, campaign=campaign)
    return render(request, "reports/dashboard_campaign.html", {
        "campaign": campaign, "charts": charts, **levers,
        **_figures_context(request, figures, levers)})


def _csv(request, name: str, header: list[str], rows: Callable[[], Iterator[list]],
         *, replica: bool = True) -> StreamingHttpResponse:
    require_role(request, Role.MANAGER)
    reader_language = translation.get_language()
    zone = timezone.get_current_timezone()

    def lines():
        # Rows are read while the response streams, after the view (and the middleware
        # that activated the organisation's time zone) has returned: keep the requester's
        # language for their headers, statuses and names, and the organisation's zone.
        # An export is a picture of the organisation's data, not of one person's: it may
        # be read from the replica, a few seconds behind (core/replica.py) — except the
        # participants' list, whose consents and unsubscribes must be the current ones
        # (it may become a mailing list).
        with (translation.override(reader_language), timezone.override(zone),
              replica_reading() if replica else nullcontext()):
            yield from exports.csv_lines(header, rows())

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def export_participants(request):
    access = request.access
    return _csv(request, "participants.csv", exports.PARTICIPANT_HEADER,
                lambda: exports.participant_rows(access), replica=False)


def export_pledges(request):
    return _csv(request, "pledges.csv", exports.PLEDGE_HEADER, exports.pledge_rows)


def export_impact(request):
    return _csv(request, "impact.csv", exports.IMPACT_HEADER, exports.impact_rows)


def export_invitations(request):
    return _csv(request, "invitations.csv", exports.INVITATION_HEADER,
                exports.invitation_rows)
