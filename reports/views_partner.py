"""The page a campaign's partner association opens with the link the organiser shared:
the campaign's aggregate figures, read-only, with no participant on it.

Reached without a login (``/partner/`` is an open path of a tenant host); the token is
looked up by its hash in the current organisation only, so a link of one organisation
opens nothing on another's host, and a revoked, unknown or mistyped one answers the same
404. The figures are the dashboard's (``reports.figures.campaign_figures``).
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from engagement.services.partners import partner_link_open

from .charts import bar_chart, progress_chart
from .figures import campaign_figures


@require_GET
def partner_figures(request, token: str):
    link = partner_link_open(token=token)
    if link is None:
        raise Http404
    campaign = link.campaign
    figures = campaign_figures(campaign)
    metrics = figures.data
    people = metrics["participants"]
    charts = {
        "target": progress_chart(people["with_companions"], campaign.participant_target,
                                 title=_("People against the target"))
        if campaign.participant_target else "",
        "hours": bar_chart([(_("Pledged"), metrics["hours"]["pledged"]),
                            (_("Given (attended)"), metrics["hours"]["attended"])],
                           title=_("Hours"), unit="h"),
    }
    response = render(request, "reports/partner_figures.html", {
        "campaign": campaign, "partner": getattr(campaign, "partner", None),
        "metrics": metrics, "charts": charts, "computed_at": figures.computed_at,
        "organisation_name": request.tenant.name})
    # A shared link: never kept by a proxy or a shared browser cache, never indexed.
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response
