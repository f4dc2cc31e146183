"""The organisation's register of personal data (docs/privacy.md, "Register"): what the space
holds, why, for how long, who sees it, who processes it for the organisation, the counts,
and who entered from Fullmobs. Every member may read it (it names no participant); the
consultants' and staff's visits are listed to owners, as on "Who entered your space", and
owners choose the legal basis of the purposes that take a choice."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db.models import Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from core.i18n import in_language
from core.roles import Role
from tenants.access import Access, require_role, sees_every_identity
from tenants.models import ConsultantAccess, ConsultantAssignment, Membership, Organisation
from tenants.services import (
    LEGAL_BASES,
    closure_archive_ready,
    is_closing,
    organisation_legal_bases,
    organisation_legal_bases_update,
)

from ..models import ConsentRecord, Participant, PrivacyLog

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


def _categories(organisation: Organisation) -> list[dict]:
    participants = _("%(months)s months after the person's last action, then anonymised") % {
        "months": organisation.participant_retention_months}
    return [
        {"name": _("Participants' identity and contact"),
         "detail": _("first name, last name, e-mail address, language"), "kept": participants},
        {"name": _("Age band, postcode, site and team"),
         "detail": _("as the person gave them, to count the figures by group"),
         "kept": participants},
        {"name": _("Companions' first names"),
         "detail": _("on the pledges of people who come with others"), "kept": participants},
        {"name": _("Survey answers"), "detail": _("answers to the questions after an action"),
         "kept": participants},
        {"name": _("E-mails sent"), "detail": _("address, subject and text of each e-mail"),
         "kept": participants},
        {"name": _("Report files"), "detail": _("PDF reports, with figures only"),
         "kept": _("%(months)s months after they are made") % {
             "months": organisation.report_retention_months}},
        {"name": _("Members' accounts"), "detail": _("name, e-mail address, role, sessions"),
         "kept": _("as long as the person is a member")},
        {"name": _("Consultants' access"),
         "detail": _("who entered the space from Fullmobs, when, first page, network address"),
         "kept": _("as long as the organisation exists")},
    ]


def _roles(organisation: Organisation) -> list[dict]:
    counts = {role: Membership.objects.filter(organisation=organisation, role=role).count()
              for role in Role}
    return [{
        "label": role.label, "members": counts[role],
        "sees_everyone": sees_every_identity(Access(role=role)),
    } for role in (Role.OWNER, Role.MANAGER, Role.VIEWER)]


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
    held = Participant.objects.filter(erased_at__isnull=True)
    return render(request, "engagement/register.html", {
        "register": organisation,
        "purposes": organisation_legal_bases(organisation),
        "form": form,
        "categories": _categories(organisation),
        "roles": _roles(organisation),
        "consultants_see_everyone": sees_every_identity(
            Access(role=Role.MANAGER, via_consultant=True)),
        "consultants": ConsultantAssignment.objects.filter(organisation=organisation)
        .select_related("consultant").order_by("assigned_at"),
        "subprocessors": [{"name": item["name"], "purpose": in_language(item["purpose"]),
                           "country": in_language(item["country"])}
                          for item in settings.SUBPROCESSORS],
        "counts": {
            "held": held.count(),
            "erased": Participant.objects.filter(erased_at__isnull=False).count(),
            "consenting": held.filter(consent_to_contact=True).count(),
            "consent_records": ConsentRecord.objects.count(),
        },
        "privacy_log": [{"label": PrivacyLog.Kind(row["kind"]).label, "count": row["total"]}
                        for row in PrivacyLog.objects.values("kind").order_by("kind")
                        .annotate(total=Sum("count"))],
        "is_owner": is_owner,
        "visits": ConsultantAccess.objects.filter(organisation=organisation)
        .select_related("consultant").order_by("-entered_at")[:10] if is_owner else [],
        "closing": is_closing(organisation),
        "archive_ready": is_owner and closure_archive_ready(organisation),
    }, status=400 if form is not None and form.errors else 200)
