"""Engagement's background work: sending the outbox, the e-mails composed after a request's
commit, and the schedule every organisation runs every few minutes (deadlines,
completions, reminders, after-action messages).

Services queue these tasks by their registered names (``core.tenancy.enqueue_on_commit``):
this module imports the services, never the other way round."""

from celery import shared_task
from django.utils import timezone

from core.tenancy import for_each_ready_organisation

from .services import (
    bulk_jobs,
    campaign_recovery,
    campaigns_close_due,
    campaigns_complete_past,
    invitation_jobs,
    message_schedule,
    organiser_alerts,
    outbox,
    outreach_delivery,
    pledge_notices,
    reminders,
    slot_changes,
    survey_reminders,
    waitlist,
    waitlist_notices,
)


@shared_task(bind=True, max_retries=outbox.MAX_ATTEMPTS - 1)
def send_outbound_email(self, email_id: int, attempt: int = 0) -> None:
    """Send one outbox row, in the schema it was queued from; on failure the row stays
    queued and this task comes back later (1, 2, 4 … minutes, at most an hour apart).

    ``attempt`` is the number of attempts already made: see ``email_deliver``."""
    failed_attempts = outbox.email_deliver(email_id=email_id, attempt=attempt)
    if failed_attempts is not None:
        raise self.retry(args=[email_id, failed_attempts],
                         countdown=outbox.retry_delay(failed_attempts).total_seconds())


@shared_task
def run_engagement_schedule_for_all_organisations() -> int:
    """Beat entry point (public schema): queue one schedule run per ready organisation,
    inside its context, so tenant-schemas-celery stamps its schema on the message."""
    return for_each_ready_organisation(run_engagement_schedule)


@shared_task
def run_engagement_schedule() -> dict[str, int]:
    """One organisation's timed work, in this order: decide the campaigns whose deadline
    has passed (and tell their participants, catching up on any result e-mail that failed
    to queue), complete those whose action is over (so the after-action messages see
    them), lapse the waiting-list offers past their time limit (the places go to the next
    people), then queue the messages and organiser alerts that are due, compose the
    sign-up notices whose task never reached the broker, re-queue the e-mails whose
    task was lost, and the bulk invitations whose next hour has come; queue again the
    bulk jobs (imports, invitations) whose task was lost or whose worker stopped (judged
    by their last progress), forget the lists checked but never confirmed, and delete the
    jobs finished long ago.

    Every step is idempotent, so two overlapping runs do no harm, and a failed run needs
    no retry of its own: the next one, minutes later, does its work."""
    now = timezone.now()
    return {
        "closed": len(campaigns_close_due(now=now)),
        "results": message_schedule.missing_results_queue(now=now),
        "completed": len(campaigns_complete_past(now=now)),
        "offers_lapsed": waitlist.offers_expire(now=now),
        "reminders": reminders.reminders_queue(now=now),
        "organiser_alerts": organiser_alerts.organiser_alerts_queue(now=now),
        "after_action": message_schedule.after_action_queue(now=now),
        "follow_up_surveys": message_schedule.follow_up_surveys_queue(now=now),
        "survey_reminders": survey_reminders.survey_reminders_queue(now=now),
        "notices": pledge_notices.missing_pledge_notices_queue(now=now),
        "requeued": outbox.stalled_emails_requeue(now=now),
        "invitation_batches": outreach_delivery.invitation_batches_due_queue(now=now),
        **{f"bulk_jobs_{name}": n for name, n in bulk_jobs.bulk_jobs_sweep(now=now).items()},
        "import_jobs_expired": bulk_jobs.import_jobs_expire(now=now),
        "bulk_jobs_forgotten": bulk_jobs.bulk_jobs_forget(now=now),
    }


# What a request may ask to be told after its commit (the names travel in task messages);
# the worker composes the e-mail, so that a sign-up answers as soon as its rows are written.
NOTIFICATIONS = {
    "notify_pledge": message_schedule.pledge_notify,
    "notify_promoted": message_schedule.pledge_promotion_notify,
    "notify_cancelled": message_schedule.pledge_cancelled_notify,
    "notify_offered": waitlist_notices.seat_offered_notify,
    "notify_offer_lapsed": waitlist_notices.offer_lapsed_notify,
    "notify_slot_moved": slot_changes.slot_moved_notify,
    "alert_late_cancellation": organiser_alerts.late_cancellation_alert,
}


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def notify_about_pledge(notification: str, pledge_id: int) -> None:
    if notification not in NOTIFICATIONS:
        raise ValueError(f"unknown notification {notification!r}")
    NOTIFICATIONS[notification](pledge_id=pledge_id)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def notify_campaign_result(campaign_id: int) -> None:
    """A decided campaign's result e-mails (the schedule catches up on any left out)."""
    message_schedule.campaign_result_notify(campaign_id=campaign_id)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def send_invitation_email(invitation_id: int) -> None:
    message_schedule.invitation_email_send(invitation_id=invitation_id)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def send_invitation_batch(batch_id: int) -> None:
    """The e-mails of a bulk invitation, composed here and queued in the outbox, as many
    as the hour's allowance lets out (each once: a retry or a repeated message queues
    only the rest); the task comes back at the next hour for the others."""
    outreach_delivery.invitation_batch_emails_queue(batch_id=batch_id)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def notify_campaign_postponed(event_id: int) -> None:
    """A postponed campaign's e-mails to the people with a live pledge."""
    campaign_recovery.campaign_postponed_notify(event_id=event_id)


# No automatic retry: each step claims its job first, so a second delivery does nothing;
# a failed step marks the job failed (nothing written) and the organiser starts again.
@shared_task
def check_participant_import(job_id: int) -> None:
    """The dry run of an uploaded participant list: its report, nothing written."""
    bulk_jobs.import_job_check(job_id=job_id)


@shared_task
def run_invitation_job(job_id: int) -> None:
    """Record a bulk invitation's invitations chunk by chunk, with the job's progress,
    then start their delivery. A run stopped midway is queued again by the schedule and
    goes on after its last committed chunk."""
    invitation_jobs.invitation_job_run(job_id=job_id)


@shared_task
def run_participant_import(job_id: int) -> None:
    """The confirmed import of a checked list, in one transaction, with its progress."""
    bulk_jobs.import_job_run(job_id=job_id)
