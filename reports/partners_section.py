"""The report's section naming the partner associations of the campaigns it covers (with
their logos and websites), through the report sections registry like any other section.
No section when none of the report's campaigns has a partner."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from engagement.models import CampaignPartner

from .sections import ReportSection, SectionScope


def partners_section(scope: SectionScope) -> dict[str, Any] | None:
    campaigns = {campaign.pk: campaign for campaign in scope.campaigns}
    partners = list(CampaignPartner.objects.filter(campaign_id__in=campaigns)
                    .order_by("name", "campaign_id"))
    if not partners:
        return None
    return {"partners": [{"partner": partner, "campaign": campaigns[partner.campaign_id]}
                         for partner in partners]}


SECTION = ReportSection(
    key="partners", order=50, template="reports/pdf/_partners.html",
    title=lambda: _("Partner associations"), context=partners_section)
