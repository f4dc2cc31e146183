"""Impact reports: requesting one, rendering it in a worker, the consultants' commentary,
and the safety net that re-queues reports whose worker went away.

A report's life: ``queued`` (a task is on its way) → ``rendering`` (a worker took it) →
``ready`` (the PDF is stored under the organisation's own storage prefix) or ``failed``
(with a reason shown to the user). A worker crash leaves it ``rendering``; the broker
re-delivers the message (the task acknowledges late), and ``reports_requeue_stuck`` queues
it again if that does not happen within ``STUCK_AFTER`` — at most ``MAX_ATTEMPTS`` times.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import date, datetime, timedelta
from typing import TypedDict

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.i18n import other
from core.tenancy import enqueue_on_commit
from engagement.bilingual import main_language, organisation_language
from engagement.models import Campaign, Programme
from tenants.models import User

from .models import Commentary, Report
from .selectors import FINAL, may_write_commentary

logger = logging.getLogger(__name__)

LANGUAGES = ("fr", "en")
STUCK_AFTER = timedelta(minutes=10)
# Hand-overs to the broker (the request, then each re-queue) before a report is given up.
MAX_ATTEMPTS = 3
# Test hook: seconds a worker waits once a report is marked rendering, so that a test can
# kill it in that state. Unset (0) everywhere else.
_TEST_RENDER_DELAY = float(os.environ.get("FULLMOBS_TEST_REPORT_DELAY") or 0)


class _Subject(TypedDict):
    campaign: Campaign | None
    programme: Programme | None
    period_start: date | None
    period_end: date | None


def _title(*, scope: str, campaign: Campaign | None, programme: Programme | None,
           period_start: date | None, period_end: date | None, language: str) -> str:
    with translation.override(language):
        if scope == Report.Scope.CAMPAIGN:
            assert campaign is not None
            return _("Impact report: %(name)s") % {
                "name": campaign.localized("title", language).text}
        if scope == Report.Scope.PROGRAMME:
            assert programme is not None
            return _("Impact report: %(name)s") % {
                "name": programme.localized("name", language).text}
        assert period_start is not None and period_end is not None
        return _("Impact report from %(start)s to %(end)s") % {
            "start": date_format(period_start, "DATE_FORMAT"),
            "end": date_format(period_end, "DATE_FORMAT")}


def report_request(*, scope: str, campaign: Campaign | None = None,
                   programme: Programme | None = None, period_start: date | None = None,
                   period_end: date | None = None, language: str, user: User | None
                   ) -> Report:
    """A queued report on one subject; its rendering task leaves once the row is
    committed, stamped with this organisation's schema."""
    errors: dict[str, list[str]] = {}
    if scope not in Report.Scope.values:
        errors["scope"] = [_("Choose a campaign, a programme or a period.")]
    elif scope == Report.Scope.CAMPAIGN and campaign is None:
        errors["campaign"] = [_("Choose a campaign.")]
    elif scope == Report.Scope.PROGRAMME and programme is None:
        errors["programme"] = [_("Choose a programme.")]
    elif scope == Report.Scope.PERIOD:
        if period_start is None or period_end is None:
            errors["period_start"] = [_("Give the first and the last day of the period.")]
        elif period_end < period_start:
            errors["period_end"] = [_("The period must end after it starts.")]
    if language not in LANGUAGES:
        errors["language"] = [_("Choose French or English.")]
    if errors:
        raise DomainError(errors)
    # Only the subject of the scope is kept: a programme report names no campaign.
    subject: _Subject = {"campaign": campaign if scope == Report.Scope.CAMPAIGN else None,
               "programme": programme if scope == Report.Scope.PROGRAMME else None,
               "period_start": period_start if scope == Report.Scope.PERIOD else None,
               "period_end": period_end if scope == Report.Scope.PERIOD else None}
    with transaction.atomic():
        report = Report.objects.create(
            scope=scope, language=language, requested_by=user, attempts=1,
            title=_title(scope=scope, language=language, **subject)[:200], **subject)
        _queue_on_commit(report.pk)
    return report


def _queue_on_commit(report_id: int) -> None:
    # By its registered name: the tasks module imports this one.
    enqueue_on_commit("reports.tasks.render_report", report_id)


def report_render(*, report_id: int) -> Report | None:
    """Render one report to PDF and store it; for the worker.

    Idempotent: a report already ready or failed is left alone (a re-delivered or
    re-queued message does nothing), and a report found ``rendering`` is rendered again
    (its worker died). The PDF is made outside any transaction, so a long rendering holds
    no lock; of two overlapping renderings the first to finish wins."""
    from . import pdf  # WeasyPrint loads only where reports are rendered

    with transaction.atomic():
        report = (Report.objects.select_for_update(of=("self",))
                  .select_related("campaign", "programme").filter(pk=report_id).first())
        if report is None or report.status in FINAL:
            return report
        report.status = Report.Status.RENDERING
        report.started_at = timezone.now()
        report.error = ""
        report.save(update_fields=["status", "started_at", "error"])
    if _TEST_RENDER_DELAY:
        time.sleep(_TEST_RENDER_DELAY)
    try:
        document, pages = pdf.render_pdf(report)
    except Exception as exc:
        logger.exception("report %s could not be rendered", report_id)
        return _finish(report_id, status=Report.Status.FAILED, error=_(
            "The report could not be rendered (%(error)s). Request it again; if it fails "
            "again, tell us.") % {"error": type(exc).__name__})
    return _finish(report_id, status=Report.Status.READY, pdf=document, pages=pages)


def _finish(report_id: int, *, status: str, error: str = "", pdf: bytes | None = None,
            pages: int | None = None) -> Report | None:
    with transaction.atomic():
        report = Report.objects.select_for_update().filter(pk=report_id).first()
        if report is None or report.status in FINAL:
            return report
        report.status, report.error, report.finished_at = status, error, timezone.now()
        fields = ["status", "error", "finished_at"]
        if pdf is not None:
            # The default storage prefixes the schema: MEDIA_ROOT/<schema>/reports/...
            # A worker killed between writing the file and this commit left one under the
            # same name: it is replaced, not kept beside a "report-1_x7Ab.pdf".
            name = f"report-{report.pk}.pdf"
            report.file.storage.delete(report.file.field.generate_filename(report, name))
            report.file.save(name, ContentFile(pdf), save=False)
            report.pages = pages
            fields += ["file", "pages"]
        report.save(update_fields=fields)
    return report


def reports_requeue_stuck(*, now: datetime) -> dict[str, int]:
    """Queue again the reports no worker finished: ``rendering`` since ``STUCK_AFTER``
    (the worker died and the broker has not re-delivered yet), or ``queued`` that long
    (the message was lost). After ``MAX_ATTEMPTS`` hand-overs a report fails with a reason,
    so a report that kills its worker every time does not take workers down forever.

    ``started_at`` is when the latest attempt began, queued or rendering; a report never
    re-queued counts from its request."""
    cutoff = now - STUCK_AFTER
    stuck = (Report.objects.select_for_update(skip_locked=True)
             .annotate(since=Coalesce("started_at", "requested_at"))
             .filter(Q(status=Report.Status.QUEUED) | Q(status=Report.Status.RENDERING),
                     since__lt=cutoff))
    counts = {"requeued": 0, "failed": 0}
    with transaction.atomic():
        for report in stuck:
            if report.attempts >= MAX_ATTEMPTS:
                with translation.override(report.language):
                    report.error = _("The report was not ready after %(attempts)s attempts. "
                                     "Request it again later.") % {
                                         "attempts": report.attempts}
                report.status, report.finished_at = Report.Status.FAILED, now
                report.save(update_fields=["status", "error", "finished_at"])
                counts["failed"] += 1
                continue
            report.status, report.started_at = Report.Status.QUEUED, now
            report.attempts += 1
            report.save(update_fields=["status", "started_at", "attempts"])
            _queue_on_commit(report.pk)
            counts["requeued"] += 1
    return counts


def commentary_save(*, scope: str, subject_key: str, section: str, text: str,
                    user: User, translation: str | None = None) -> Commentary | None:
    """Write one section of the commentary on a subject; empty text removes it. The next
    PDF on that subject shows it (if the organisation has the commented-report option).

    ``text`` is in the section's language (the organisation's when it is first written);
    ``translation``, when given, is the same section in the other language ("" removes
    it). A section written only in the other language takes that language."""
    errors: dict[str, list[str]] = {}
    if not may_write_commentary(user):
        errors["user"] = [_("Only the accompanying consultant or the owner may write the "
                            "commentary.")]
    if scope not in Report.Scope.values or not subject_key.startswith(f"{scope}:"):
        errors["scope"] = [_("Unknown report subject.")]
    if section not in Commentary.Section.values:
        errors["section"] = [_("Unknown section.")]
    if errors:
        raise DomainError(errors)
    text = text.strip()
    with transaction.atomic():
        existing = Commentary.objects.select_for_update().filter(
            subject_key=subject_key, section=section).first()
        main = main_language(existing.content_language if existing
                             else organisation_language())
        translations = dict(existing.translations) if existing else {}
        if translation is not None:
            translations = {other(main): {"text": translation.strip()}} \
                if translation.strip() else {}
        other_text = (translations.get(other(main)) or {}).get("text", "")
        if not text and other_text:
            # Written in the other language only: that is the section's language now.
            main, text, translations = other(main), other_text, {}
        if not text:
            Commentary.objects.filter(subject_key=subject_key, section=section).delete()
            return None
        commentary, _created = Commentary.objects.update_or_create(
            subject_key=subject_key, section=section,
            defaults={"scope": scope, "text": text, "author": user,
                      "updated_at": timezone.now(), "content_language": main,
                      "translations": translations})
    return commentary
