"""The person's choice, on their own page, to keep their actions here in their Fullmobs
profile (the cross-organisation page of the public site)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..services.profile_links import participant_profile_keep
from .visitors import participant_from_link


@require_POST
def participant_profile_choice(request, token):
    participant = participant_from_link(request, token)
    kept = participant_profile_keep(participant=participant,
                                    keep=request.POST.get("keep") == "1")
    messages.success(request, _("Your choice is saved: your actions here show in your "
                                "Fullmobs profile.") if kept else
                     _("Your choice is saved: your actions here no longer show in your "
                       "Fullmobs profile."))
    return redirect(reverse("participant_home", args=[token]) + "#profile")
