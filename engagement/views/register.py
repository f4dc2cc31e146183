"""The organisation's register of personal data (docs/privacy.md, "Register"): what the space
holds, why, for how long, who sees it, who processes it for the organisation, the counts,
and who entered from Fullmobs. Every member may read it (it names no participant); the
consultants' and staff's visits are listed to owners, as on "Who entered your space"."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Sum
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from core.i18n import in_language
from core.roles import Role
from tenants.access import Access, require_role, sees_every_identity
from tenants.models import ConsultantAccess, ConsultantAssignment, Membership, Organisation
from tenants.services import closure_archive_ready, is_closing

from ..models import ConsentRecord, Participant, PrivacyLog

LEGAL_BASES = {
    "consent": gettext_lazy("Consent"),
    "legitimate_interest": gettext_lazy("Legitimate interest"),
    "public_task": gettext_lazy("Public task"),
    "contract": gettext_lazy("Contract"),
}


def _purposes(organisation: Organisation) -> list[dict]:
    """Each purpose and the legal basis shown for it: a local authority acts in its public
    task, a company or an association in its legitimate interest; hearing about future
    actions is always the person's consent; members' accounts follow the contract."""
    mission = "public_task" if organisation.kind == Organisation.Kind.LOCAL_AUTHORITY \
        else "legitimate_interest"
    rows = [
        (_("Organising the collective actions: sign-ups, time slots, teams, check-in"),
         mission),
        (_("Telling people about their pledges: confirmations, reminders, surveys"), mission),
        (_("Measuring the impact: attendance, hours, survey answers, reports"), mission),
        (_("Telling people who agreed about future actions"), "consent"),
        (_("Running the space: members' accounts, consultants' access"), "contract"),
    ]
    return [{"purpose": purpose, "basis": LEGAL_BASES[basis]} for purpose, basis in rows]


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


@require_http_methods(["GET"])
def privacy_register(request):
    access = require_role(request, Role.VIEWER)
    organisation = Organisation.objects.get(pk=request.tenant.pk)  # the retention as saved
    held = Participant.objects.filter(erased_at__isnull=True)
    is_owner = access.role == Role.OWNER and not access.via_consultant
    return render(request, "engagement/register.html", {
        "register": organisation,
        "purposes": _purposes(organisation),
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
    })
