"""Work on many rows at once that runs off the request, on the worker: a participant list's
import (checked, then written once the organiser confirms) and, with the same progress,
any other bulk job. The page and the API read ``processed`` of ``total`` while it runs."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BulkJob(models.Model):
    """One bulk job of an organiser. Its states, in order: queued → checking → checked
    (a dry run's report, waiting for the organiser's confirmation) → running → done; or
    failed at any step (``report["message"]`` says why), refused (the check found nothing
    to write, or the organiser's choice left nothing)."""

    class Kind(models.TextChoices):
        IMPORT = "import", _("Participant import")
        INVITATIONS = "invitations", _("Invitations in one go")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for the worker")
        CHECKING = "checking", _("Checking the file")
        CHECKED = "checked", _("Checked: waiting for your confirmation")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    # Personal data: the uploaded list until the job is over (then emptied), and the
    # report's error messages, which quote the refused values.
    PERSONAL_FIELDS = ("source_text",)

    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # Rows to go through in the current step, and how many are through: the progress bar.
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    # What the job was asked (e.g. consent_collected, only_valid).
    options = models.JSONField(default=dict, blank=True)
    # The check's, then the import's, report (``ImportReport`` as JSON).
    report = models.JSONField(default=dict, blank=True)
    source_text = models.TextField(blank=True)
    created_by = models.ForeignKey("tenants.User", null=True, blank=True,
                                   on_delete=models.DO_NOTHING, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    # The last sign of life: written with every step of progress (and each change of
    # state), so that a job is called stalled from its last progress, not from its start.
    updated_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=models.Q(processed__lte=models.F("total")),
                                              name="bulk_job_processed_within_total")]
        indexes = [models.Index(fields=["updated_at"], name="bulk_job_in_progress_updated",
                                condition=models.Q(status__in=["queued", "checking",
                                                               "running"]))]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def in_progress(self) -> bool:
        """The worker has it (or will): the page keeps showing its progress."""
        return self.status in (self.Status.QUEUED, self.Status.CHECKING, self.Status.RUNNING)

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.processed * 100 // self.total)
