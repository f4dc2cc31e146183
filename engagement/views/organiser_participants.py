"""The organisers' participant pages: the list (members) and the CSV import (managers).

The import runs in two steps: a check (dry run) shows what would happen, then "Import"
writes. The checked text waits in the session between the two, named by its digest, so
what is imported is exactly what was checked (and a file need not be uploaded twice).
"""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from core.roles import Role
from tenants.access import identity_search_scope, require_role

from ..forms import ImportConfirmForm, ParticipantFilterForm, ParticipantImportForm
from ..models import EmailDeliverability, Participant
from ..selectors import participants_with_deliverability
from ..services.deliverability import email_deliverability_clear
from ..services.participants import (
    COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    ImportReport,
    participants_import,
    upload_decode,
)

PAGE_SIZE = 50
SESSION_KEY = "participant_import"
# A report of thousands of refused rows is read from the top; the rest only weighs.
ERRORS_SHOWN = 200


def participant_list(request):
    """Every member may see the participants; the import is for managers."""
    sites = list(Participant.objects.exclude(site="").order_by("site")
                 .values_list("site", flat=True).distinct())
    form = ParticipantFilterForm(request.GET or None, sites=sites)
    participants = participants_with_deliverability(Participant.objects.select_related("team"))
    if form.is_valid():
        if form.cleaned_data["q"].split():
            # Only people whose identity the reader sees can be found by name or address.
            participants = identity_search_scope(request.access, participants,
                                                 "consent_to_contact")
        # Every word must appear in the e-mail address or a name ("ana dupont").
        for word in form.cleaned_data["q"].split():
            participants = participants.filter(Q(email__icontains=word)
                                               | Q(first_name__icontains=word)
                                               | Q(last_name__icontains=word))
        if form.cleaned_data["team"]:
            participants = participants.filter(team=form.cleaned_data["team"])
        if form.cleaned_data["site"]:
            participants = participants.filter(site=form.cleaned_data["site"])
        if form.cleaned_data["delivery"] == "undeliverable":
            participants = participants.filter(undeliverable_since__isnull=False)
    page = Paginator(participants, PAGE_SIZE).get_page(request.GET.get("page"))
    reasons = dict(EmailDeliverability.Reason.choices)
    for participant in page:
        participant.undeliverable_label = reasons.get(participant.undeliverable_reason, "")
    return render(request, "engagement/participants.html", {
        "form": form, "page": page,
        "undeliverable_only": form.is_valid() and form.cleaned_data["delivery"]})


@require_POST
def participant_email_clear(request, pk):
    """A manager lifts the undeliverable mark on a participant's address."""
    require_role(request, Role.MANAGER)
    participant = get_object_or_404(Participant, pk=pk, erased_at__isnull=True)
    try:
        email_deliverability_clear(participant=participant)
    except DomainError as error:
        messages.error(request, error.text)
    else:
        messages.success(request, _("E-mails will be sent to %(email)s again.") % {
            "email": participant.email})
    return redirect(f"{reverse('participant_list')}?delivery=undeliverable")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _render_import(request, *, form, report: ImportReport | None = None,
                   confirm: ImportConfirmForm | None = None, status: int = 200):
    return render(request, "engagement/participants_import.html", {
        "form": form, "report": report, "confirm": confirm, "columns": COLUMNS,
        "max_rows": MAX_ROWS, "max_mb": MAX_FILE_BYTES // 2**20,
        "errors_shown": report.errors[:ERRORS_SHOWN] if report else [],
    }, status=status)


@require_http_methods(["GET", "POST"])
def participant_import(request):
    require_role(request, Role.MANAGER)
    if request.method == "POST" and request.POST.get("dry_run") == "0":
        return _import_checked(request)
    if request.method == "GET":
        return _render_import(request, form=ParticipantImportForm())
    form = ParticipantImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_import(request, form=form, status=400)
    upload = form.cleaned_data["file"]
    try:
        # One byte past the limit is enough to refuse a file that is too large.
        text = (upload_decode(data=upload.read(MAX_FILE_BYTES + 1)) if upload
                else form.cleaned_data["text"])
        report = participants_import(
            text=text, dry_run=True, consent_collected=form.cleaned_data["consent_collected"])
    except DomainError as exc:
        for problems in exc.errors.values():
            for problem in problems:
                form.add_error(None, problem)
        return _render_import(request, form=form, status=400)
    request.session[SESSION_KEY] = {"digest": _digest(text), "text": text,
                                    "consent_collected": form.cleaned_data["consent_collected"]}
    confirm = ImportConfirmForm(initial={"digest": _digest(text)})
    return _render_import(request, form=ParticipantImportForm(), report=report,
                          confirm=confirm if report.valid_rows else None)


def _import_checked(request):
    """The second step: import the text checked in the first one."""
    confirm = ImportConfirmForm(request.POST)
    pending = request.session.get(SESSION_KEY)
    if not confirm.is_valid() or not pending or \
            pending["digest"] != confirm.cleaned_data["digest"]:
        messages.error(request, _("This check is no longer current: choose the file again."))
        return redirect("participant_import")
    report = participants_import(text=pending["text"], dry_run=False,
                                 only_valid=confirm.cleaned_data["only_valid"],
                                 consent_collected=pending.get("consent_collected", False))
    if not report.imported:
        messages.error(request, _("Nothing was imported: correct the rows listed below, or "
                                  "choose to import only the valid rows."))
        return _render_import(request, form=ParticipantImportForm(), report=report,
                              confirm=confirm, status=400)
    del request.session[SESSION_KEY]
    messages.success(request, _("Import done: %(created)s new participant(s), %(updated)s "
                                "updated.") % {"created": report.created,
                                               "updated": report.updated})
    return redirect("participant_list")
