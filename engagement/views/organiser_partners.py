"""The organisers' partner of a campaign: naming it, removing it, and the read-only link
to the campaign's figures that they share with it (made, shown once, revoked)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.roles import Role
from tenants.access import require_role

from .. import links
from ..forms_partners import PartnerForm
from ..services.partners import (
    campaign_partner_remove,
    campaign_partner_set,
    partner_link_create,
    partner_link_revoke,
)
from .organiser_campaigns import campaign_or_404


def _back(campaign):
    return redirect(reverse("campaign_detail", args=[campaign.pk]) + "#partner")


@require_POST
def campaign_partner(request, pk):
    require_role(request, Role.MANAGER)
    campaign = campaign_or_404(pk)
    form = PartnerForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            campaign_partner_set(campaign=campaign, name=data["name"], website=data["website"],
                                 logo=data["logo"] or None, remove_logo=data["remove_logo"])
        except DomainError as exc:
            exc.add_to_form(form)
        else:
            messages.success(request, _("The partner is saved."))
            return _back(campaign)
    # Refused: the form again with each error next to its field, nothing saved.
    return render(request, "engagement/partner_form.html",
                  {"campaign": campaign, "form": form}, status=400)


@require_POST
def campaign_partner_delete(request, pk):
    require_role(request, Role.MANAGER)
    campaign = campaign_or_404(pk)
    campaign_partner_remove(campaign=campaign)
    messages.success(request, _("The campaign has no partner any more; its link no longer "
                                "works."))
    return _back(campaign)


@require_POST
def campaign_partner_link(request, pk):
    """A new link: shown on this page only (the database keeps its fingerprint)."""
    require_role(request, Role.MANAGER)
    campaign = campaign_or_404(pk)
    try:
        made = partner_link_create(campaign=campaign, by_user=request.user)
    except DomainError as exc:
        messages.error(request, exc.text)
        return _back(campaign)
    url = links.absolute(reverse("partner_figures", args=[made.token]))
    response = render(request, "engagement/partner_link_made.html",
                      {"campaign": campaign, "url": url})
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def campaign_partner_link_revoke(request, pk):
    require_role(request, Role.MANAGER)
    campaign = campaign_or_404(pk)
    if partner_link_revoke(campaign=campaign):
        messages.success(request, _("The partner's link is revoked: it no longer opens "
                                    "anything."))
    return _back(campaign)
