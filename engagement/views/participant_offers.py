"""A place offered from the waiting list: the person confirms it through their signed
link (``services.waitlist``)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import DomainError

from ..models import Pledge
from ..services.waitlist import pledge_offer_accept
from .visitors import participant_from_link


@require_http_methods(["GET", "POST"])
def participant_offer(request, token, pledge_id):
    """GET shows the place and its time limit (a mail scanner following the link takes
    nothing); POST confirms it. A lapsed or already confirmed offer says so."""
    participant = participant_from_link(request, token)
    pledge = get_object_or_404(Pledge.objects.select_related("slot__campaign"), pk=pledge_id,
                               participant=participant)
    if request.method == "POST":
        try:
            pledge_offer_accept(pledge=pledge)
        except DomainError as exc:
            messages.error(request, exc.text)
        else:
            messages.success(request, _("Your place is confirmed. See you there!"))
        return redirect("participant_home", token=token)
    return render(request, "engagement/participant_offer.html", {
        "pledge": pledge, "campaign": pledge.slot.campaign, "token": token,
        "open": pledge.status == Pledge.Status.OFFERED})
