"""A member's choice to receive the organiser alerts (target reached, under-filled slots,
late cancellations) or not; owners and managers, who are the ones sent them."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.roles import Role
from tenants.access import require_role

from ..services.organiser_alerts import organiser_alerts_mute, organiser_alerts_muted


@require_http_methods(["GET", "POST"])
def organiser_alert_settings(request):
    require_role(request, Role.MANAGER)
    if request.method == "POST":
        muted = request.POST.get("alerts") != "on"
        organiser_alerts_mute(user=request.user, muted=muted)
        messages.success(request, _("You will no longer be e-mailed these alerts.") if muted
                         else _("You will be e-mailed these alerts."))
        return redirect("organiser_alert_settings")
    return render(request, "engagement/organiser_alert_settings.html",
                  {"receives": not organiser_alerts_muted(user=request.user)})
