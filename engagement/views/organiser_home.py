"""The organisation's home page: its programmes, members and the first steps of a new space."""

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from tenants.models import Invitation, Membership

from ..models import Campaign, Programme


def _first_steps(organisation) -> list[dict]:
    """The first-run checklist of a new space, each step ticked once it is done."""
    member_count = Membership.objects.filter(organisation=organisation).count()
    return [
        {"label": _("Choose a methodology template"), "url": reverse("template_library"),
         "done": Programme.objects.filter(template_version__isnull=False).exists()},
        {"label": _("Create a campaign with its time slots"), "url": reverse("programmes"),
         "done": Campaign.objects.filter(slots__isnull=False).exists()},
        {"label": _("Open it and share its address"), "url": reverse("campaign_list"),
         "done": Campaign.objects.exclude(status=Campaign.Status.DRAFT).exists()},
        {"label": _("Invite colleagues to run it with you"), "url": reverse("invite"),
         "done": member_count > 1 or Invitation.objects.filter(
             organisation=organisation, revoked_at__isnull=True).exists()},
    ]


def home(request):
    organisation = request.tenant
    first_steps = _first_steps(organisation) if request.access.can_manage else []
    return render(request, "engagement/home.html", {
        "programme_count": Programme.objects.count(),
        "member_count": Membership.objects.filter(organisation=organisation).count(),
        "recent_programmes": Programme.objects.all()[:5],
        # Shown until every step is done.
        "first_steps": first_steps if not all(s["done"] for s in first_steps) else [],
        "first_steps_done": sum(1 for s in first_steps if s["done"]),
    })
