"""The person's own choice to hear about future actions, from their page."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.i18n import language

from ..models import ConsentRecord
from ..services.consent import consent_record
from .visitors import participant_from_link


@require_POST
def participant_consent(request, token):
    participant = participant_from_link(request, token)
    given = request.POST.get("given") == "1"
    consent_record(participant=participant, given=given,
                   source=ConsentRecord.Source.OWN_PAGE, language=language())
    messages.success(request, _("Your choice is saved: you will hear about future actions.")
                     if given else _("Your choice is saved: you will no longer hear about "
                                     "future actions."))
    return redirect(reverse("participant_home", args=[token]) + "#consent")
