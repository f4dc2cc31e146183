"""Invitations in one go as a job on the worker: the request checks the choices, records
the batch and answers at once; the worker records the invitations chunk by chunk with
the job's progress, then hands the batch to the delivery under the hourly cap
(``outreach_delivery``), exactly as a send made in the request did.

Resumable: each chunk commits with the job's progress and the last person it reached
(``options["after"]``), in one transaction. A worker that dies mid-job leaves a job in
``running`` whose ``updated_at`` stops moving; the schedule's sweep
(``bulk_jobs.bulk_jobs_sweep``) queues it again, and the next run goes on after the last
committed chunk. Each person is invited once per campaign whatever runs twice: the
partial unique index ``one_invitation_per_person_and_campaign`` skips them
(``outreach.invitations_record``).

Who is invited follows the same rules as before (``outreach.bulk_recipients``: not
unsubscribed, with an address, consenting, not invited or pledged), read again for each
chunk, so that someone who unsubscribes while the job runs is left out.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Greatest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.i18n import language as product_language
from core.tenancy import enqueue_on_commit
from tenants.models import User

from ..models import BulkJob, Campaign, InvitationBatch, Team
from .outreach import (
    BulkAudience,
    allowance_left,
    bulk_recipients,
    bulk_send_check,
    invitations_record,
)
from .outreach_delivery import TASK as DELIVERY_TASK
from .outreach_delivery import DeliveryPlan, delivery_plan, delivery_plan_text

logger = logging.getLogger(__name__)

Status = BulkJob.Status
RUN_TASK = "engagement.tasks.run_invitation_job"


def invitation_job_create(*, campaign: Campaign, audience: BulkAudience, lever_code: str,
                          channel: str, organiser: User) -> BulkJob:
    """Check the choices (as a send in the request did: a closed campaign, an unknown
    lever or channel, a group with nobody to invite are refused, naming the field), record
    the batch, and queue the job that records its invitations."""
    bulk_send_check(campaign=campaign, lever_code=lever_code, channel=channel)
    # Whether anyone can be invited (the first such person is enough); the worker counts
    # them, which for a large group is most of the request's time otherwise.
    if not bulk_recipients(campaign=campaign, audience=audience).exists():
        raise DomainError({"audience": [_("Nobody in this group can be invited: they are "
                                          "invited already, pledged, or cannot be "
                                          "e-mailed.")]})
    now = timezone.now()
    with transaction.atomic():
        batch = InvitationBatch.objects.create(
            campaign=campaign, organiser=organiser, audience=audience.kind,
            audience_label=audience.label, channel=channel, lever_code=lever_code,
            created_at=now)
        job = BulkJob.objects.create(
            kind=BulkJob.Kind.INVITATIONS, created_by=organiser, created_at=now,
            updated_at=now,
            options={"campaign": campaign.pk, "batch": batch.pk, "audience": audience.kind,
                     "team": audience.team.pk if audience.team is not None else None,
                     "site": audience.site, "after": 0,
                     # What was left of the hour when the organiser sent: the plan told.
                     "allowance": allowance_left(now=now), "language": product_language()})
        enqueue_on_commit(RUN_TASK, job.pk)
    return job


def _audience(options: dict[str, Any]) -> BulkAudience:
    team = Team.objects.filter(pk=options["team"]).first() if options.get("team") else None
    return BulkAudience(kind=options["audience"], team=team, site=options.get("site", ""))


def invitation_job_run(*, job_id: int) -> BulkJob | None:
    """The worker's part: claim the queued job, record its invitations from where the last
    run stopped, then start their delivery. None when another delivery of the task has the
    job (or it is over)."""
    now = timezone.now()
    claimed = BulkJob.objects.filter(pk=job_id, kind=BulkJob.Kind.INVITATIONS,
                                     status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=now, updated_at=now)
    if not claimed:
        return None
    job = BulkJob.objects.get(pk=job_id)
    with translation.override(job.options.get("language")):
        try:
            return _run(job)
        except _Superseded:
            # The sweep judged this run stuck and another worker claimed the job: its
            # last chunk was rolled back, the other run goes on from the last commit.
            logger.warning("invitation job %s: run superseded by a newer one", job.pk)
            return None
        except Exception:
            # Left running: the sweep queues it again once it has made no progress for a
            # while, and the next run goes on after the last committed chunk.
            logger.exception("invitation job %s stopped", job.pk)
            raise


class _Superseded(Exception):
    """Another run has claimed the job since this one did."""


def _this_run(job: BulkJob) -> QuerySet[BulkJob]:
    """The job while this run still holds it: its claim's ``started_at`` is the run's
    token (a later claim, after the sweep, sets another)."""
    return BulkJob.objects.filter(pk=job.pk, status=Status.RUNNING, started_at=job.started_at)


def _run(job: BulkJob) -> BulkJob:
    options = job.options
    batch = InvitationBatch.objects.filter(pk=options["batch"]).first()
    if batch is None:  # the campaign was deleted meanwhile
        return _fail(job, _("The campaign no longer exists: nobody was invited."))
    recipients = bulk_recipients(campaign=batch.campaign, audience=_audience(options))
    after = int(options.get("after", 0))
    invited = _invited(batch)  # by the runs before this one, if any
    if not job.total:
        # Counted once, at the first run: the bar's length (raised if more people become
        # invitable meanwhile, set to the people gone through at the end).
        job.total = recipients.count()
        BulkJob.objects.filter(pk=job.pk).update(total=Greatest(F("total"), job.total),
                                                 updated_at=timezone.now())
    while True:
        with transaction.atomic():
            chunk = invitations_record(batch=batch, recipients=recipients, after=after)
            if chunk.last_person is None:
                break
            after, invited = chunk.last_person, invited + chunk.invited
            # The chunk and its progress commit together: what the job says it did is done.
            # Conditional on this run still holding the job: a chunk slower than the
            # sweep's patience may find it claimed again; then the chunk rolls back.
            if not _this_run(job).update(
                    processed=F("processed") + chunk.considered,
                    total=Greatest(F("total"), F("processed") + chunk.considered),
                    options={**options, "after": after},
                    report={"invited": invited},
                    updated_at=timezone.now()):
                raise _Superseded
    return _finish(job, batch)


def _invited(batch: InvitationBatch) -> int:
    return batch.invitations.count()


def _finish(job: BulkJob, batch: InvitationBatch) -> BulkJob:
    now = timezone.now()
    with transaction.atomic():
        if not _this_run(job).select_for_update().exists():
            raise _Superseded
        batch = InvitationBatch.objects.select_for_update().get(pk=batch.pk)
        invited = _invited(batch)
        if not invited:
            # Everyone was invited, pledged or unsubscribed between the send and the job.
            batch.delete()
            return _fail(job, _("Nobody in this group can be invited: they are invited "
                                "already, pledged, or cannot be e-mailed."))
        if batch.invited == 0:  # not handed over yet (a repeated finish does nothing)
            batch.invited, batch.next_at = invited, now
            batch.save(update_fields=["invited", "next_at"])
            enqueue_on_commit(DELIVERY_TASK, batch.pk)
        plan = delivery_plan(invited=invited,
                             allowance=int(job.options.get("allowance", allowance_left())))
        job.refresh_from_db()
        job.status, job.finished_at, job.updated_at = Status.DONE, now, now
        job.total = job.processed  # the bar full: everyone was gone through
        job.report = {"invited": invited, "sent_this_hour": plan.this_hour,
                      "later_hours": plan.later_hours}
        job.save(update_fields=["status", "finished_at", "updated_at", "total", "processed",
                                "report"])
    return job


def _fail(job: BulkJob, message: str) -> BulkJob:
    now = timezone.now()
    job.status, job.finished_at, job.updated_at = Status.FAILED, now, now
    job.report = {**job.report, "invited": 0, "message": message}
    job.save(update_fields=["status", "finished_at", "updated_at", "report"])
    return job


def invitation_job_message(job: BulkJob) -> str:
    """What the organiser reads once the job is done, in the active language: "1,800
    invitations recorded; 500 sent this hour, the rest over the next 3 hours." """
    report = job.report
    invited = int(report.get("invited", 0))
    if job.status != Status.DONE or not invited:
        return ""
    return delivery_plan_text(DeliveryPlan(invited=invited,
                                           this_hour=int(report.get("sent_this_hour", 0)),
                                           later_hours=int(report.get("later_hours", 0))))
