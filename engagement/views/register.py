"""The organisation's register of personal data (docs/privacy.md, "Register"): what the space
holds, why, for how long, who sees it, who processes it for the organisation, the counts,
and who entered from Fullmobs. Every member may read it (it names no participant); the
consultants' and staff's visits are listed to owners, as on "Who entered your space", and
owners choose the legal basis of the purposes that take a choice."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from core.roles import Role
from tenants.access import require_role
from tenants.models import ConsultantAccess, Organisation
from tenants.services import (
    LEGAL_BASES,
    closure_archive_ready,
    is_closing,
    organisation_legal_bases,
    organisation_legal_bases_update,
)

from .. import selectors

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class LegalBasesForm(forms.Form):
    """One choice of legal basis per purpose the organisation chooses for."""

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        for row in organisation_legal_bases(organisation):
            if row["chosen"]:
                self.fields[str(row["code"])] = forms.ChoiceField(
                    label=cast("StrOrPromise", row["purpose"]), choices=list(LEGAL_BASES.items()),
                    initial=row["basis"])


@require_http_methods(["GET", "POST"])
def privacy_register(request):
    access = require_role(request, Role.VIEWER)
    organisation = Organisation.objects.get(pk=request.tenant.pk)  # the retention as saved
    is_owner = access.role == Role.OWNER and not access.via_consultant
    form = LegalBasesForm(request.POST or None, organisation=organisation) if is_owner \
        else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                organisation_legal_bases_update(organisation=organisation, user=request.user,
                                                bases=form.cleaned_data)
            except DomainError as exc:
                exc.add_to_form(form)
            else:
                messages.success(request, _("The legal bases are saved in the register."))
                return redirect("privacy_register")
    return render(request, "engagement/register.html", {
        **selectors.privacy_register(organisation),
        "register": organisation,
        "form": form,
        "is_owner": is_owner,
        "visits": ConsultantAccess.objects.filter(organisation=organisation)
        .select_related("consultant").order_by("-entered_at")[:10] if is_owner else [],
        "closing": is_closing(organisation),
        "archive_ready": is_owner and closure_archive_ready(organisation),
    }, status=400 if form is not None and form.errors else 200)
