"""Report files are kept for the organisation's ``report_retention_months`` after they were
made, then deleted from storage; the report's row stays (title, dates, who asked), with
``file_deleted_at``, and the reports page says when and why the file went.

The daily pass (beat entry in config/settings/celery.py) is idempotent: each report is
claimed by a conditional UPDATE (``file_deleted_at`` still empty), so two overlapping runs
delete and count each file once; the storage deletion runs after the commit."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.tenancy import call_on_commit, current_organisation, for_each_ready_organisation
from engagement.models import PrivacyLog
from engagement.services.retention import months_added, months_between

from .models import Report


def report_files_delete_expired(*, now: datetime | None = None) -> int:
    """Delete the files of reports made more than the retention period ago; returns how
    many (and logs the count, never a title)."""
    now = now or timezone.now()
    months = current_organisation().report_retention_months
    cutoff = months_added(now, -months)
    expired = (Report.objects.exclude(file="")
               .filter(file_deleted_at__isnull=True)
               .annotate(made_at=Coalesce("finished_at", "requested_at"))
               .filter(made_at__lt=cutoff).values_list("pk", "file"))
    deleted = 0
    with transaction.atomic():
        for report_id, name in expired:
            if Report.objects.filter(pk=report_id, file_deleted_at__isnull=True).update(
                    file_deleted_at=now, file=""):
                call_on_commit(_delete_stored, name)
                deleted += 1
        if deleted:
            PrivacyLog.objects.create(kind=PrivacyLog.Kind.REPORT_FILE_DELETED,
                                      actor=PrivacyLog.Actor.SCHEDULE, count=deleted, at=now)
    return deleted


def _delete_stored(name: str) -> None:
    default_storage.delete(name)  # the tenant's storage: call_on_commit set its schema


def kept_months(report: Report) -> int:
    """How long a deleted file was kept: whole months from its making to its deletion."""
    if report.file_deleted_at is None:
        return 0
    return months_between(report.finished_at or report.requested_at, report.file_deleted_at)


@shared_task
def delete_expired_report_files_for_all_organisations() -> int:
    """Beat entry point (public schema): one pass per ready organisation, in its context."""
    return for_each_ready_organisation(delete_expired_report_files)


@shared_task
def delete_expired_report_files() -> int:
    return report_files_delete_expired(now=timezone.now())
