"""Participant imports as jobs on the worker: the request stores the file and answers at
once; the worker checks it (the dry run: nothing written) and reports; the organiser
confirms; the worker writes it. The page and the API show ``processed`` of ``total``.

The writing is one transaction (``participants_import``): an import goes in whole or not
at all, never half. Its progress is written by a connection of its own, so that readers
see it move while the import's transaction is still open.

Each step claims the job by a conditional update of its state: a task delivered twice
(a worker restarted, a message repeated) finds the job taken and does nothing, so a list
is never checked or imported twice. The uploaded text is kept only until the job ends.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import connection, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from psycopg import DatabaseError

from core.errors import DomainError
from core.i18n import language as product_language
from core.tenancy import current_schema, enqueue_on_commit

from ..models import BulkJob
from .participants import ImportReport, participants_import

if TYPE_CHECKING:
    from tenants.models import User

logger = logging.getLogger(__name__)

Status = BulkJob.Status
# A queued job whose task has not claimed it after this long lost its message (a broker
# down at the commit): the schedule queues it again (claims make a repeat harmless).
STALLED_AFTER = timedelta(minutes=5)
# A job being checked or run whose progress has not moved for this long lost its worker
# (killed, restarted, out of memory): every step writes progress at least every few
# seconds, so this is no slow job. The sweep queues it again, up to ``ATTEMPTS`` times.
STUCK_AFTER = timedelta(minutes=10)
ATTEMPTS = 3
# The task of each kind's step: (not yet confirmed, confirmed).
TASKS = {BulkJob.Kind.IMPORT: ("engagement.tasks.check_participant_import",
                               "engagement.tasks.run_participant_import"),
         BulkJob.Kind.INVITATIONS: ("engagement.tasks.run_invitation_job",
                                    "engagement.tasks.run_invitation_job")}
# Finished jobs are kept this long (their reports quote a file's values), then deleted.
FINISHED_KEPT = timedelta(days=90)
# A checked list nobody confirmed is not kept longer than this (it holds personal data).
CHECKED_KEPT = timedelta(days=7)


def _report_json(report: ImportReport) -> dict[str, Any]:
    return {"dry_run": report.dry_run, "only_valid": report.only_valid,
            "imported": report.imported, "rows": report.rows,
            "valid_rows": report.valid_rows, "invalid_rows": report.invalid_rows,
            "created": report.created, "updated": report.updated,
            "errors": [{"line": e.line, "column": e.column, "message": e.message}
                       for e in report.errors]}


def import_job_create(*, text: str, consent_collected: bool,
                      created_by: User | None = None) -> BulkJob:
    """Store the list and queue its check. The text is decoded already
    (``upload_decode``); its size and rows are checked by the worker, in the language
    active now (the organiser's), which the report's messages are written in."""
    if not text.strip():
        raise DomainError({"csv": [_("The file is empty: it needs a header row, then one "
                                     "row per participant.")]})
    with transaction.atomic():
        job = BulkJob.objects.create(kind=BulkJob.Kind.IMPORT, source_text=text,
                                     created_by=created_by,
                                     options={"consent_collected": bool(consent_collected),
                                              "language": product_language()})
        enqueue_on_commit("engagement.tasks.check_participant_import", job.pk)
    return job


def import_job_confirm(*, job: BulkJob, only_valid: bool = False) -> BulkJob:
    """The organiser's go-ahead after the check: queue the writing. Refused when the check
    is not (or no longer) waiting, when nothing can be imported, or when rows were refused
    and the organiser did not choose to import only the valid ones."""
    if job.status != Status.CHECKED:
        raise DomainError({"job": [_("This import is not waiting for a confirmation.")]})
    report = job.report
    if not report.get("valid_rows"):
        raise DomainError({"job": [_("No row can be imported: correct the file and check "
                                     "it again.")]})
    if report.get("errors") and not only_valid:
        raise DomainError({"only_valid": [_(
            "Nothing was imported: correct the rows listed below, or choose to import "
            "only the valid rows.")]})
    with transaction.atomic():
        claimed = BulkJob.objects.filter(pk=job.pk, status=Status.CHECKED).update(
            status=Status.QUEUED, processed=0, total=report["valid_rows"],
            options={**job.options, "confirmed": True, "only_valid": bool(only_valid)})
        if not claimed:
            raise DomainError({"job": [_("This import is not waiting for a confirmation.")]})
        enqueue_on_commit("engagement.tasks.run_participant_import", job.pk)
    job.refresh_from_db()
    return job


def _claim(job_id: int, *, confirmed: bool, status: str) -> BulkJob | None:
    """Take a queued job for a step: None if another delivery of the task has it."""
    jobs = BulkJob.objects.filter(pk=job_id, status=Status.QUEUED)
    jobs = (jobs.filter(options__confirmed=True) if confirmed
            else jobs.exclude(options__has_key="confirmed"))
    now = timezone.now()
    if not jobs.update(status=status, started_at=now, updated_at=now):
        return None
    return BulkJob.objects.get(pk=job_id)


def _progress_writer(job_id: int) -> tuple[Callable[[int, int], None], Callable[[], None]]:
    """``write(done, total)`` on a connection of its own (autocommit), seen at once by
    the page while the import's transaction is open; and ``close()``. Progress is only a
    display: a write that cannot be made (the row locked by a caller's own transaction)
    is skipped after a short wait rather than holding the import up."""
    schema = current_schema()
    side = connection.get_new_connection(connection.get_connection_params())
    side.autocommit = True
    table = f"{connection.ops.quote_name(schema)}.{BulkJob._meta.db_table}"
    with side.cursor() as cursor:
        cursor.execute("SET lock_timeout = '1s'")

    def write(done: int, total: int) -> None:
        try:
            with side.cursor() as cursor:
                cursor.execute(f"UPDATE {table} SET processed = %s, "  # noqa: S608
                               "total = %s, updated_at = now() WHERE id = %s",
                               [min(done, total), total, job_id])
        except DatabaseError:
            logger.warning("progress of bulk job %s not written", job_id, exc_info=True)

    return write, side.close


def _fail(job: BulkJob, message: str, report: dict[str, Any] | None = None) -> None:
    job.status, job.source_text = Status.FAILED, ""
    job.finished_at = job.updated_at = timezone.now()
    job.report = {**(report or job.report), "message": message}
    job.save(update_fields=["status", "finished_at", "updated_at", "source_text", "report"])


def import_job_check(*, job_id: int) -> BulkJob | None:
    """The worker's dry run: the report of what the import would do; nothing written."""
    job = _claim(job_id, confirmed=False, status=Status.CHECKING)
    if job is None:
        return None
    with translation.override(job.options.get("language")):
        return _check(job)


def _check(job: BulkJob) -> BulkJob:
    write, close = _progress_writer(job.pk)
    try:
        report = participants_import(
            text=job.source_text, dry_run=True, progress=write,
            consent_collected=job.options.get("consent_collected", False))
    except DomainError as exc:
        _fail(job, exc.text)
        return job
    except Exception:
        logger.exception("check of participant import %s failed", job.pk)
        _fail(job, _("The check failed: choose the file again, or write to us if it fails "
                     "again."))
        raise
    finally:
        close()
    job.status, job.report = Status.CHECKED, _report_json(report)
    job.total = job.processed = report.rows
    job.updated_at = timezone.now()
    job.save(update_fields=["status", "report", "total", "processed", "updated_at"])
    return job


def import_job_run(*, job_id: int) -> BulkJob | None:
    """The worker's import of a confirmed job, in one transaction."""
    job = _claim(job_id, confirmed=True, status=Status.RUNNING)
    if job is None:
        return None
    with translation.override(job.options.get("language")):
        return _run(job)


def _run(job: BulkJob) -> BulkJob:
    write, close = _progress_writer(job.pk)
    try:
        report = participants_import(
            text=job.source_text, dry_run=False, progress=write,
            only_valid=job.options.get("only_valid", False),
            consent_collected=job.options.get("consent_collected", False))
    except DomainError as exc:
        _fail(job, exc.text)
        return job
    except Exception:
        logger.exception("participant import %s failed", job.pk)
        _fail(job, _("The import failed and nothing was written: try again, or write to "
                     "us if it fails again."))
        raise
    finally:
        close()
    job.refresh_from_db(fields=["total", "processed"])
    if not report.imported:
        # The file was checked, but rows that were valid are refused now (someone else
        # changed the organisation's people meanwhile): nothing written.
        _fail(job, _("Nothing was imported: %(n)s row(s) have errors.") % {
            "n": report.invalid_rows}, _report_json(report))
        return job
    job.status, job.source_text = Status.DONE, ""
    job.finished_at = job.updated_at = timezone.now()
    job.report = _report_json(report)
    job.processed = job.total = report.valid_rows
    job.save(update_fields=["status", "finished_at", "updated_at", "source_text", "report",
                            "processed", "total"])
    return job


def bulk_jobs_sweep(*, now: datetime) -> dict[str, int]:
    """The schedule's safety net over every kind of job, judged by the last sign of life
    (``updated_at``), not by the job's age:

    - queued for ``STALLED_AFTER`` with no worker taking it (its message lost): queued again;
    - checking or running with no progress for ``STUCK_AFTER`` (its worker gone): back to
      queued and queued again, to go on where it stopped (an import's transaction was
      rolled back with its worker; an invitation job goes on after its last committed
      chunk); after ``ATTEMPTS`` such restarts it is marked failed with the reason.

    Each change is a conditional UPDATE on the state and time read, so a worker that
    reports progress meanwhile keeps its job. Returns the counts of each."""
    requeued = failed = 0
    lost = list(BulkJob.objects.filter(status=Status.QUEUED, updated_at__lt=now - STALLED_AFTER)
                .values_list("pk", "kind", "options", "updated_at"))
    stuck = list(BulkJob.objects.filter(status__in=[Status.CHECKING, Status.RUNNING],
                                        updated_at__lt=now - STUCK_AFTER)
                 .values_list("pk", "kind", "options", "updated_at", "status"))
    for pk, kind, options, seen in lost:
        # Touched, so that the next sweep waits as long again before another message.
        if BulkJob.objects.filter(pk=pk, status=Status.QUEUED, updated_at=seen).update(
                updated_at=now):
            _requeue(pk, kind, options)
            requeued += 1
    for pk, kind, options, seen, status in stuck:
        attempts = int(options.get("attempts", 0)) + 1
        same = BulkJob.objects.filter(pk=pk, status=status, updated_at=seen)
        if attempts > ATTEMPTS:
            job = same.first()
            if job is not None:
                with translation.override(options.get("language")):
                    _fail(job, _("The work stopped several times without finishing: start "
                                 "again, or write to us if it stops again."))
                failed += 1
            continue
        if same.update(status=Status.QUEUED, updated_at=now,
                       options={**options, "attempts": attempts}):
            _requeue(pk, kind, options)
            requeued += 1
    return {"requeued": requeued, "failed": failed}


def _requeue(pk: int, kind: str, options: dict[str, Any]) -> None:
    check, run = TASKS[BulkJob.Kind(kind)]
    enqueue_on_commit(run if options.get("confirmed") else check, pk)


def import_jobs_requeue_stalled(*, now: datetime) -> int:
    """Queue again the steps whose task never came or whose worker stopped."""
    return bulk_jobs_sweep(now=now)["requeued"]


def import_jobs_expire(*, now: datetime) -> int:
    """Checked lists left unconfirmed for ``CHECKED_KEPT``: the list is deleted, the job
    marked failed (its report stays, for the organiser to see what it was)."""
    expired = list(BulkJob.objects.filter(kind=BulkJob.Kind.IMPORT, status=Status.CHECKED,
                                          updated_at__lt=now - CHECKED_KEPT))
    for job in expired:
        with translation.override(job.options.get("language")):
            _fail(job, _("This check was not confirmed within %(days)s days: the list is "
                         "deleted. Choose the file again to import it.") % {
                "days": CHECKED_KEPT.days})
    return len(expired)


def bulk_jobs_forget(*, now: datetime) -> int:
    """Retention: jobs finished (done or failed) more than ``FINISHED_KEPT`` ago are
    deleted with their reports (which quote the files' values and people's addresses);
    their results stay where they were written (participants, invitations). Returns how
    many were deleted."""
    deleted, _by_model = BulkJob.objects.filter(
        status__in=[Status.DONE, Status.FAILED], finished_at__lt=now - FINISHED_KEPT).delete()
    return deleted


def bulk_jobs_erase_person(*, email: str) -> int:
    """A person's erasure reaches the jobs: every line of a kept list that names their
    address is blanked (an import skips blank lines, and the others keep their line
    numbers), and the report's errors about those lines, or quoting the address, are
    removed. Returns how many jobs were changed. Called inside the erasure's transaction."""
    address = email.strip().lower()
    if not address:
        return 0
    changed = 0
    jobs = BulkJob.objects.select_for_update().filter(
        models.Q(source_text__icontains=address)
        | models.Q(report__icontains=address))  # the report's JSON text
    for job in jobs:
        lines = job.source_text.split("\n")
        blanked = {number for number, line in enumerate(lines, start=1)
                   if address in line.lower()}
        job.source_text = "\n".join("" if number in blanked else line
                                    for number, line in enumerate(lines, start=1))
        if "errors" in job.report:
            job.report = {**job.report, "errors": [
                error for error in job.report["errors"]
                if error.get("line") not in blanked
                and address not in str(error.get("message", "")).lower()]}
        job.save(update_fields=["source_text", "report"])
        changed += 1
    return changed
