"""The organisers' pages for the pledges on the day: the check-in desk (a participant's
personal code scanned or typed), marking attendance, and approving large parties."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from core.roles import Role
from tenants.access import require_role

from ..models import Campaign, Pledge
from ..services import pledge_check_in, pledge_mark_no_show
from ..services.checkin import (
    checkin_code_normalise,
    companions_pending,
    pledge_by_checkin_code,
    pledge_undo_no_show,
)
from ..services.joining import pledge_approve, pledge_decline
from .organiser_campaigns import campaign_or_404


def _campaign_pledge(campaign: Campaign, pledge_id: int) -> Pledge:
    """One of the campaign's pledges, with what its row on the campaign page shows."""
    return get_object_or_404(Pledge.objects.select_related("participant__team", "slot"),
                             pk=pledge_id, slot__campaign=campaign)


@require_POST
def campaign_attendance(request, pk, pledge_id):
    """Organiser check-in or no-show; HTMX swaps the row."""
    require_role(request, Role.MANAGER)
    campaign = campaign_or_404(pk)
    pledge = _campaign_pledge(campaign, pledge_id)
    try:
        if request.POST.get("action") == "no_show":
            pledge_mark_no_show(pledge=pledge)
        elif request.POST.get("action") == "undo_no_show":
            pledge_undo_no_show(pledge=pledge)
        else:  # check in, or confirm the companions of a participant who checked in
            pledge = pledge_check_in(pledge=pledge, by_user=request.user,
                                     companions_present=_companions_present(request, pledge))
    except DomainError as exc:
        messages.error(request, exc.text)
    if request.htmx:
        pledge.refresh_from_db()
        return render(request, "engagement/_pledge_row.html",
                      {"pledge": pledge, "campaign": campaign, "can_manage": True})
    return redirect("campaign_detail", pk=campaign.pk)


def _companions_present(request, pledge) -> int | None:
    """How many companions an organiser says came ("" or absent: all of them)."""
    typed = request.POST.get("companions_present", "").strip()
    if not typed:
        return None
    try:
        return int(typed)
    except ValueError:
        raise DomainError({"companions_present": [
            _("Enter how many companions came, between 0 and %(count)s.")
            % {"count": pledge.companions}]}) from None


@require_http_methods(["GET", "POST"])
def campaign_checkin_desk(request, pk):
    """The organiser's check-in page on site: scan a participant's personal QR code (the
    phone's camera opens this page with the code) or type the code they show or read."""
    require_role(request, Role.MANAGER)
    campaign = campaign_or_404(pk)
    typed = (request.POST.get("code") or request.GET.get("code") or "").strip()[:20]
    pledge = pledge_by_checkin_code(campaign=campaign, code=typed) if typed else None
    error = ""
    if typed and pledge is None:
        error = _("No pledge of this campaign has this check-in code: check the code.")
    if request.method == "POST" and pledge is not None:
        try:
            pledge = pledge_check_in(pledge=pledge, by_user=request.user,
                                     companions_present=_companions_present(request, pledge))
        except DomainError as exc:
            error = exc.text
        else:
            messages.success(request, _("%(name)s is checked in.") % {
                "name": pledge.participant.display_name})
            return redirect("campaign_checkin_desk", pk=campaign.pk)
    return render(request, "engagement/campaign_checkin_desk.html", {
        "campaign": campaign, "code": checkin_code_normalise(typed) or typed,
        "pledge": pledge, "error": error,
        "companions_pending": companions_pending(pledge) if pledge else 0,
    }, status=400 if error else 200)


@require_POST
def campaign_party(request, pk, pledge_id):
    """An organiser approves or declines a large party awaiting approval; HTMX swaps the
    row."""
    require_role(request, Role.MANAGER)
    campaign = campaign_or_404(pk)
    pledge = _campaign_pledge(campaign, pledge_id)
    try:
        if request.POST.get("decision") == "decline":
            pledge_decline(pledge=pledge)
            messages.success(request, _("The group is declined: it holds no place."))
        else:
            pledge = pledge_approve(pledge=pledge)
            if pledge.status == Pledge.Status.CONFIRMED:
                messages.success(request, _("The group is approved and has its places."))
            else:
                messages.info(request, _("The group is approved; the slot is full, so it "
                                         "is on the waiting list."))
    except DomainError as exc:
        messages.error(request, exc.text)
    if request.htmx:
        pledge.refresh_from_db()
        return render(request, "engagement/_pledge_row.html",
                      {"pledge": pledge, "campaign": campaign, "can_manage": True})
    return redirect("campaign_detail", pk=campaign.pk)
