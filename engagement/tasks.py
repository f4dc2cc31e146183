"""Engagement's background work: sending the outbox, and the schedule every organisation
runs every few minutes (deadlines, completions, reminders, after-action messages)."""

from celery import shared_task
from django.utils import timezone

from core.tenancy import for_each_ready_organisation

from .services import campaigns_close_due, campaigns_complete_past, messaging


@shared_task(bind=True, max_retries=messaging.MAX_ATTEMPTS - 1)
def send_outbound_email(self, email_id: int, attempt: int = 0) -> None:
    """Send one outbox row, in the schema it was queued from; on failure the row stays
    queued and this task comes back later (1, 2, 4 … minutes, at most an hour apart).

    ``attempt`` is the number of attempts already made: see ``deliver_email``."""
    failed_attempts = messaging.deliver_email(email_id=email_id, attempt=attempt)
    if failed_attempts is not None:
        raise self.retry(args=[email_id, failed_attempts],
                         countdown=messaging.retry_delay(failed_attempts).total_seconds())


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
    them), then queue the messages that are due, and re-queue the e-mails whose task was
    lost.

    Every step is idempotent, so two overlapping runs do no harm, and a failed run needs
    no retry of its own: the next one, minutes later, does its work."""
    now = timezone.now()
    return {
        "closed": len(campaigns_close_due(now=now)),
        "results": messaging.queue_missing_results(now=now),
        "completed": len(campaigns_complete_past(now=now)),
        "reminders": messaging.queue_reminders(now=now),
        "after_action": messaging.queue_after_action(now=now),
        "follow_up_surveys": messaging.queue_follow_up_surveys(now=now),
        "requeued": messaging.requeue_stalled_emails(now=now),
    }


# What a request may ask to be told after its commit; the worker composes the e-mail, so
# that a sign-up answers as soon as its rows are written.
NOTIFICATIONS = {"notify_pledge", "notify_promoted"}


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def notify_about_pledge(notification: str, pledge_id: int) -> None:
    if notification not in NOTIFICATIONS:
        raise ValueError(f"unknown notification {notification!r}")
    getattr(messaging, notification)(pledge_id)
