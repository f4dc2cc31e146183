"""The person's choice, on their own page, to keep their actions here in their Fullmobs
profile (the cross-organisation page of the public site)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..services.profile_links import participant_profile_keep, participant_profile_keep_later
from .visitors import address_proven_here, participant_from_link


@require_POST
def participant_profile_choice(request, token):
    participant = participant_from_link(request, token)
    keep = request.POST.get("keep") == "1"
    if keep and not address_proven_here(request, participant):
        # The signed link alone proves no address (a join hands it to whoever typed
        # one): the tick waits until a link e-mailed to the address is opened.
        participant_profile_keep_later(participant=participant)
        messages.success(request, _("Your choice is saved: your actions here will show in "
                                    "your Fullmobs profile once you open the link of one of "
                                    "our e-mails to your address."))
        return redirect(reverse("participant_home", args=[token]) + "#profile")
    kept = participant_profile_keep(participant=participant, keep=keep)
    messages.success(request, _("Your choice is saved: your actions here show in your "
                                "Fullmobs profile.") if kept else
                     _("Your choice is saved: your actions here no longer show in your "
                       "Fullmobs profile."))
    return redirect(reverse("participant_home", args=[token]) + "#profile")
