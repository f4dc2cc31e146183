"""Demo: what the consultant's portfolio (/console/clients/) shows for the demo consultant's
two clients. The demo's own data fills most columns (programmes, campaigns, billing, the
accompaniment time of ``demo.features``, the evidence of ``demo.evidence``); this adds
what only a working consultant's day would: each client's stored campaign forecasts
computed by the lab's own service (``lab.forecasts.services.forecasts_refresh``, as the
nightly task does), and one report rendered this week that still awaits the consultant's
commentary. Idempotent: a second run finds the report and only refreshes the forecasts.
"""

from __future__ import annotations

from django_tenants.utils import tenant_context

from engagement.models import Campaign, Programme
from lab.forecasts.services import forecasts_refresh
from reports.models import Report
from reports.services import report_render, report_request
from tenants.models import Organisation

SLUGS = ("acme", "villeneuve")


def seed() -> None:
    for organisation in Organisation.objects.filter(slug__in=SLUGS):
        with tenant_context(organisation):
            forecasts_refresh()
            _report_awaiting_commentary(organisation)


def _report_awaiting_commentary(organisation: Organisation) -> None:
    """A campaign report, rendered, on the latest finished campaign (or the newest
    programme): no commentary is written on it, so it awaits the consultant's."""
    campaign = (Campaign.objects.filter(status__in=(Campaign.Status.SUCCEEDED,
                                                    Campaign.Status.COMPLETED,
                                                    Campaign.Status.FAILED))
                .order_by("-starts_at").first())
    if campaign is not None:
        report = Report.objects.filter(campaign=campaign).first() or report_request(
            scope=Report.Scope.CAMPAIGN, campaign=campaign, language=organisation.locale,
            user=None)
    else:
        programme = Programme.objects.order_by("-starts_on").first()
        if programme is None:
            return
        report = Report.objects.filter(programme=programme).first() or report_request(
            scope=Report.Scope.PROGRAMME, programme=programme, language=organisation.locale,
            user=None)
    # A report left queued (a run stopped before it rendered) is rendered now.
    if report.status != Report.Status.READY:
        report_render(report_id=report.pk)
