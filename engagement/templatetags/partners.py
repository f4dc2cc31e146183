"""A campaign's partner association on the campaign's pages: ``{% campaign_partner_credit
campaign %}`` (its name, logo and website, for everyone) and ``{% campaign_partner_panel
campaign can_manage %}`` (the organisers' form and the link they share with it)."""

from django import template

from ..forms_partners import PartnerForm
from ..models import CampaignPartner, PartnerLink

register = template.Library()


def _partner(campaign) -> CampaignPartner | None:
    return CampaignPartner.objects.filter(campaign=campaign).first()


@register.inclusion_tag("engagement/_partner_credit.html")
def campaign_partner_credit(campaign) -> dict:
    return {"campaign": campaign, "partner": _partner(campaign)}


@register.inclusion_tag("engagement/_partner_panel.html", takes_context=True)
def campaign_partner_panel(context, campaign, can_manage: bool) -> dict:
    partner = _partner(campaign)
    link = PartnerLink.objects.filter(campaign=campaign, revoked_at__isnull=True).first() \
        if partner is not None else None
    form = PartnerForm(initial={"name": partner.name, "website": partner.website}) \
        if partner is not None else PartnerForm()
    return {"campaign": campaign, "partner": partner, "link": link, "form": form,
            "can_manage": can_manage, "csrf_token": context.get("csrf_token")}
