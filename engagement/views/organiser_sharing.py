"""Organisers' sharing tools for a campaign: the printable invitation poster with its QR
code (counted as the "QR poster" channel), and which skill a time slot is given with
(skills-based volunteering)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.roles import Role
from methodology.models import Lever
from tenants.access import require_role

from .. import links
from ..models import Campaign, Channel, Invitation, Skill, Slot
from ..services.sharing import poster_invitation_ensure
from ..services.value import slot_set_skill
from .documents import qr_response, qr_svg

# The lever a poster is printed under unless the organiser picks another.
POSTER_LEVER = "local_impact"


def _campaign(pk) -> Campaign:
    return get_object_or_404(Campaign.objects.select_related("programme"), pk=pk)


def poster_levers() -> list[tuple[str, str]]:
    return [(lever.code, lever.tr("name")) for lever in Lever.objects.all()]


@require_POST
def campaign_invitation_poster_new(request, pk):
    """Make (or find) the poster's invitation for the lever chosen, then show the poster."""
    require_role(request, Role.MANAGER)
    campaign = _campaign(pk)
    try:
        invitation = poster_invitation_ensure(
            campaign=campaign, organiser=request.user,
            lever_code=request.POST.get("lever_code", POSTER_LEVER))
    except DomainError as exc:
        messages.error(request, exc.text)
        return redirect("campaign_detail", pk=campaign.pk)
    return redirect("campaign_invitation_poster", pk=campaign.pk, invitation_id=invitation.pk)


def _poster_invitation(campaign: Campaign, invitation_id) -> Invitation:
    return get_object_or_404(Invitation, pk=invitation_id, campaign=campaign,
                             channel=Channel.QR_POSTER, inviter__isnull=True)


def campaign_invitation_poster(request, pk, invitation_id):
    """An A4 poster inviting people to the campaign, in the organisation's language (the
    people reading it are its people); its QR code carries the poster's invitation."""
    require_role(request, Role.MANAGER)
    campaign = _campaign(pk)
    invitation = _poster_invitation(campaign, invitation_id)
    return render(request, "engagement/campaign_invitation_poster.html", {
        "campaign": campaign, "invitation": invitation,
        "poster_url": links.campaign_url(campaign, invitation_code=invitation.code)})


def campaign_invitation_poster_qr(request, pk, invitation_id):
    require_role(request, Role.MANAGER)
    campaign = _campaign(pk)
    invitation = _poster_invitation(campaign, invitation_id)
    return qr_response(qr_svg(links.campaign_url(campaign, invitation_code=invitation.code),
                              title=campaign.localized("title").text),
                       f"poster-{campaign.code}.svg")


@require_POST
def campaign_slot_skill(request, pk, slot_id):
    """Mark a slot as skills-based volunteering with a skill, or unmark it."""
    require_role(request, Role.MANAGER)
    campaign = _campaign(pk)
    slot = get_object_or_404(Slot, pk=slot_id, campaign=campaign)
    skill_id = request.POST.get("skill", "")
    skill = get_object_or_404(Skill, pk=int(skill_id)) if skill_id.isdigit() else None
    slot_set_skill(slot=slot, skill=skill)
    messages.success(request, _("Skill of the time slot saved.") if skill
                     else _("The time slot is no longer skills-based."))
    return redirect("campaign_detail", pk=campaign.pk)
