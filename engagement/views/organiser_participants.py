"""The organisers' participant pages: the list (members) and the CSV import (managers).

The import runs in two steps on the worker (``services.bulk_jobs``): a check (dry run)
shows what would happen, then "Import" writes. The file is stored with its job between
the two, so what is imported is exactly what was checked, and the page shows each step's
progress, whatever the list's size.
"""

from __future__ import annotations

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

from ..forms import ImportJobConfirmForm, ParticipantFilterForm, ParticipantImportForm
from ..models import BulkJob, EmailDeliverability, Participant
from ..selectors import participants_with_deliverability
from ..services.bulk_jobs import import_job_confirm, import_job_create
from ..services.deliverability import email_deliverability_clear
from ..services.participants import COLUMNS, MAX_FILE_BYTES, MAX_ROWS, upload_decode

PAGE_SIZE = 50
# The latest imports listed under the form.
RECENT_JOBS = 5
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


def _render_import(request, *, form, status: int = 200):
    return render(request, "engagement/participants_import.html", {
        "form": form, "columns": COLUMNS, "max_rows": MAX_ROWS,
        "max_mb": MAX_FILE_BYTES // 2**20,
        "jobs": BulkJob.objects.filter(kind=BulkJob.Kind.IMPORT)[:RECENT_JOBS],
    }, status=status)


@require_http_methods(["GET", "POST"])
def participant_import(request):
    """The file is stored and handed to the worker, which checks it: its page follows."""
    require_role(request, Role.MANAGER)
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
        job = import_job_create(text=text, created_by=request.user,
                                consent_collected=form.cleaned_data["consent_collected"])
    except DomainError as exc:
        for problems in exc.errors.values():
            for problem in problems:
                form.add_error(None, problem)
        return _render_import(request, form=form, status=400)
    return redirect("participant_import_job", pk=job.pk)


@require_http_methods(["GET", "POST"])
def participant_import_job(request, pk: int):
    """An import's progress (refreshed by static/js/bulk_progress.js, or by the page
    itself without JavaScript), its check's report and the confirmation, then its result."""
    require_role(request, Role.MANAGER)
    job = get_object_or_404(BulkJob, pk=pk, kind=BulkJob.Kind.IMPORT)
    confirm = ImportJobConfirmForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and confirm.is_valid():
        try:
            import_job_confirm(job=job, only_valid=confirm.cleaned_data["only_valid"])
        except DomainError as exc:
            for problems in exc.errors.values():
                for problem in problems:
                    confirm.add_error(None, problem)
            status = 400
        else:
            return redirect("participant_import_job", pk=job.pk)
    report = job.report or {}
    errors = report.get("errors", [])
    return render(request, "engagement/participant_import_job.html", {
        "job": job, "report": report, "confirm": confirm,
        "errors_shown": errors[:ERRORS_SHOWN], "errors_total": len(errors),
        "api_url": reverse("participant-import-detail", args=[job.pk]),
    }, status=status)
