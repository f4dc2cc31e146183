"""A person's rights exercised through the organisation (they asked by e-mail, by phone, at
the desk): a page per person with the download of their data and their erasure, which asks
first, naming them. Managers and owners only, and only people whose identity they see
(``tenants.access.sees_participant_identity``); anyone else gets 404, as for an erased
person."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.roles import Role
from tenants.access import require_role, sees_participant_identity

from ..models import Participant, PrivacyLog
from ..services.privacy import participant_erase
from .participant_data import export_response


def _person(request, pk: int) -> Participant:
    access = require_role(request, Role.MANAGER)
    participant = get_object_or_404(Participant.objects.select_related("team"), pk=pk,
                                    erased_at__isnull=True)
    if not sees_participant_identity(access, consented=participant.consent_to_contact):
        raise Http404
    return participant


@require_GET
def participant_data_page(request, pk):
    participant = _person(request, pk)
    return render(request, "engagement/organiser_participant_data.html", {
        "participant": participant, "pledges": participant.pledges.count(),
        "friends": participant.referrals.count()})


@require_GET
def participant_data_export(request, pk, kind):
    if kind not in ("json", "csv"):
        raise Http404
    return export_response(_person(request, pk), kind=kind, actor=PrivacyLog.Actor.ORGANISER)


@require_http_methods(["GET", "POST"])
def participant_data_erase_page(request, pk):
    participant = _person(request, pk)
    if request.method == "GET":
        return render(request, "engagement/organiser_participant_erase.html",
                      {"participant": participant})
    participant_erase(participant=participant, actor=PrivacyLog.Actor.ORGANISER)
    messages.success(request, _("The person’s personal data has been erased; what they gave "
                                "stays counted, without their name."))
    return redirect("participant_list")
