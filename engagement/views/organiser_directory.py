"""The owner's choice to list the organisation's public campaigns in the Fullmobs directory
of actions (public site, /actions/), and which of them are listed now."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.roles import Role
from directory.models import ListedCampaign
from directory.services import directory_listed
from tenants.access import require_role

from ..models import Campaign
from ..services.directory import LISTABLE_STATUSES, organisation_directory_choose


@require_http_methods(["GET", "POST"])
def directory_settings(request):
    require_role(request, Role.OWNER)
    if request.method == "POST":
        choice = request.POST.get("listed")
        if choice not in ("on", "off"):
            messages.error(request, _("Choose whether to list your public campaigns."))
            return render(request, "engagement/directory_settings.html",
                          _context(request), status=400)
        listed = organisation_directory_choose(listed=choice == "on", user=request.user)
        messages.success(request, _("Your public campaigns are listed in the directory.")
                         if listed else _("Your campaigns are no longer in the directory."))
        return redirect("directory_settings")
    return render(request, "engagement/directory_settings.html", _context(request))


def _context(request) -> dict:
    listed_ids = set(ListedCampaign.objects.filter(organisation=request.tenant)
                     .values_list("campaign_id", flat=True))
    public = (Campaign.objects.filter(visibility=Campaign.Visibility.PUBLIC)
              .filter(Q(status__in=LISTABLE_STATUSES) | Q(status=Campaign.Status.DRAFT))
              .order_by("-starts_at")[:50])
    port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
    return {"listed": directory_listed(request.tenant), "campaigns": [
        {"campaign": campaign, "in_directory": campaign.pk in listed_ids} for campaign in public],
        "directory_url": f"{settings.SITE_SCHEME}://{settings.BASE_DOMAIN}{port}/actions/"}
