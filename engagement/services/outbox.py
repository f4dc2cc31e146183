"""The outbox: every e-mail to a participant or an invitee is a row, sent by a worker.

Writing the message as an ``OutboundEmail`` row before anything is sent means a failing mail
server or a lost task loses nothing: the worker retries with backoff, and the engagement
schedule re-queues rows whose task went missing. ``dedupe_key`` names the logical message
(this reminder for this pledge, this result for this participant), and its unique index
makes each one exist once however often, or however concurrently, it is queued.

Unsubscribed participants get no e-mail, nor do addresses the provider reported bounced
(``deliverability``: status "bounced"). Their message still gets its row, with status
"skipped": the organisation can see who was not reached, and the dedupe key is taken, so a
participant who subscribes again is not sent stale reminders.

E-mails that are not about something the person asked for (``MARKETING_KINDS``: an
invitation to another campaign, the impact recap, the 90-day follow-up survey) go only to
people whose current consent to hear about future actions is given; for the others the
row is kept with status "no_consent", for the same reasons. E-mails about the person's own
pledges (``OWN_PLEDGE_KINDS``) and data (``TRANSACTIONAL_KINDS``) need no consent. Every
kind is in exactly one of the three sets (tests/engagement/test_consent.py checks it).

What the e-mails say is ``message_texts``; when they are due, ``message_schedule``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import CharField, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from core.tenancy import enqueue_on_commit

from ..models import Campaign, EmailDeliverability, EmailKind, OutboundEmail, Participant
from .consent import consent_current
from .outbox_message import outbound_message

# Delivery: the first try and eight retries, waiting 1, 2, 4 … minutes, at most an hour
# (about three hours in all), before a message is given up as failed. (The first delay is
# the OUTBOX_RETRY_BASE_SECONDS setting, a minute unless a test shortens it.)
MAX_ATTEMPTS = 9
RETRY_BASE = timedelta(seconds=settings.OUTBOX_RETRY_BASE_SECONDS)
RETRY_CAP = timedelta(hours=1)
# A queued message this late on its retry schedule has lost its task: queue it again.
STALLED_AFTER = timedelta(minutes=15)
# Notices about the person's own data (the retention warning) are not messages about the
# organisation's actions: they reach people who unsubscribed from those too.
TRANSACTIONAL_KINDS = frozenset({"retention_warning"})

# Sent only with the person's consent to hear about future actions (see the docstring).
MARKETING_KINDS: frozenset[str] = frozenset({
    EmailKind.INVITATION,        # to a known participant: a campaign they did not join
    EmailKind.IMPACT_RECAP,      # newsletter-like figures, after the fact
    EmailKind.FOLLOW_UP_SURVEY,  # 90 days later: research, not their pledge
    EmailKind.FOLLOW_UP_SURVEY_REMINDER,  # its one reminder, under the same rule
})
# About a pledge the person made (or is making): sent whatever their consent.
OWN_PLEDGE_KINDS: frozenset[str] = frozenset({
    EmailKind.PLEDGE_CONFIRMED, EmailKind.PLEDGE_WAITLISTED, EmailKind.PLEDGE_AWAITING,
    EmailKind.PLEDGE_PROMOTED, EmailKind.REMINDER_D7, EmailKind.REMINDER_D1,
    EmailKind.CAMPAIGN_SUCCEEDED, EmailKind.CAMPAIGN_FAILED,
    EmailKind.THANK_YOU,  # after an action they attended, with its survey
    EmailKind.SURVEY_REMINDER,  # that survey's one reminder
    EmailKind.ACCESS_LINK,  # the sign-up link they asked for
    EmailKind.INTERNAL_CAMPAIGNS_LINK,  # the internal campaigns' link they asked for
    EmailKind.CAMPAIGN_POSTPONED,  # the action they pledged to moves
    EmailKind.CAMPAIGN_RELAUNCHED,  # the action they pledged to, failed, comes back
    EmailKind.REMINDER_DIGEST, EmailKind.PLEDGE_CANCELLED, EmailKind.SLOT_MOVED,
    EmailKind.SEAT_OFFERED, EmailKind.OFFER_EXPIRED,
    # To an organisation's owners and managers (no participant): about their campaigns.
    EmailKind.ORGANISER_ALERT,
})


def email_needs_consent(kind: str, participant: Participant | None) -> bool:
    """Whether this e-mail may not go to this participant for want of their consent."""
    return (participant is not None and kind in MARKETING_KINDS
            and not consent_current(participant))


def address_undeliverable(email: str) -> bool:
    """Whether the provider reported this address bounced or complained (and no organiser
    has cleared the mark since)."""
    return EmailDeliverability.objects.filter(
        email=email.strip().lower(), undeliverable_since__isnull=False).exists()


def email_queue(*, kind: str, dedupe_key: str, to_email: str, subject: str, body: str,
                participant: Participant | None = None,
                campaign: Campaign | None = None, calendar: str = "", language: str = "",
                action_url: str = "") -> OutboundEmail | None:
    """Put one logical message in the outbox; None if it is there already. ``calendar``
    is an iCalendar text (``services.calendar_invites``) sent with it as an invitation.

    The send task leaves on commit, so a rolled-back caller sends nothing. A participant
    who unsubscribed gets a "skipped" row and no task (see the module docstring), and so
    does an address that bounced ("bounced"). ``language`` is the reader's (the HTML
    part's frame), ``action_url`` the link the message is about (its button)."""
    status = (OutboundEmail.Status.SKIPPED
              if participant is not None and not participant.can_be_emailed
              and kind not in TRANSACTIONAL_KINDS
              else OutboundEmail.Status.QUEUED)
    if status == OutboundEmail.Status.QUEUED and email_needs_consent(kind, participant):
        status = OutboundEmail.Status.NO_CONSENT
    if status == OutboundEmail.Status.QUEUED and address_undeliverable(to_email):
        status = OutboundEmail.Status.BOUNCED
    try:
        with transaction.atomic():
            email = OutboundEmail.objects.create(
                participant=participant, campaign=campaign, kind=kind, dedupe_key=dedupe_key,
                to_email=to_email, subject=subject, body=body, status=status,
                calendar=calendar, language=language, action_url=action_url)
    except IntegrityError:
        if OutboundEmail.objects.filter(dedupe_key=dedupe_key).exists():
            return None  # queued already, by this caller earlier or by a concurrent one
        raise
    if status == OutboundEmail.Status.QUEUED:
        _send_on_commit(email.pk, attempt=0)
    return email


def _send_on_commit(email_id: int, *, attempt: int) -> None:
    # By the task's registered name: the tasks module imports this one.
    enqueue_on_commit("engagement.tasks.send_outbound_email", email_id, attempt)


def retry_delay(failed_attempts: int) -> timedelta:
    """How long to wait after the ``failed_attempts``-th failure: doubling, capped."""
    delay: timedelta = RETRY_BASE * 2 ** (failed_attempts - 1)
    return min(delay, RETRY_CAP)


def email_deliver(*, email_id: int, attempt: int) -> int | None:
    """Send one queued e-mail, for the task; returns the number of failed attempts when it
    should be tried again, None when there is nothing more to do.

    ``attempt`` is how many attempts the caller expects the row to have had. The row is
    locked while it is sent, so two deliveries of the same row never both send; and a
    delivery whose ``attempt`` no longer matches (a retry overtaken by a re-queued copy)
    stops, so duplicated task messages never become duplicated retry chains."""
    with transaction.atomic():
        email = (OutboundEmail.objects.select_for_update(of=("self",))
                 .select_related("participant").filter(pk=email_id).first())
        if email is None or email.status != OutboundEmail.Status.QUEUED \
                or email.attempts != attempt:
            return None
        if email.participant is not None and not email.participant.can_be_emailed \
                and email.kind not in TRANSACTIONAL_KINDS:
            email.status = OutboundEmail.Status.SKIPPED  # unsubscribed after it was queued
            email.save(update_fields=["status"])
            return None
        if email_needs_consent(email.kind, email.participant):
            email.status = OutboundEmail.Status.NO_CONSENT  # withdrawn after it was queued
            email.save(update_fields=["status"])
            return None
        if address_undeliverable(email.to_email):
            email.status = OutboundEmail.Status.BOUNCED  # bounced after it was queued
            email.save(update_fields=["status"])
            return None
        email.attempts += 1
        try:
            outbound_message(email).send()
        except Exception as exc:  # whatever the backend raises, the row must survive it
            email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if email.attempts >= MAX_ATTEMPTS:
                email.status = OutboundEmail.Status.FAILED
            email.save(update_fields=["attempts", "last_error", "status"])
            return email.attempts if email.status == OutboundEmail.Status.QUEUED else None
        email.status = OutboundEmail.Status.SENT
        email.sent_at = timezone.now()
        email.save(update_fields=["attempts", "status", "sent_at"])
    return None


def stalled_emails_requeue(*, now: datetime) -> int:
    """Queue again the e-mails whose task went missing (a broker or worker lost it).

    The outbox keeps no time of the last attempt, so "late" is measured against the retry
    schedule: a row with ``n`` failed attempts is due at the earliest ``created_at`` plus
    the first ``n`` retry delays; more than ``STALLED_AFTER`` past that, its task is taken
    for lost. A retry that was merely slow is harmless: ``email_deliver`` runs one of the
    two copies and drops the other."""
    stalled = Q()
    due_after = timedelta(0)
    for attempts in range(MAX_ATTEMPTS):
        if attempts:
            due_after += retry_delay(attempts)
        stalled |= Q(attempts=attempts, created_at__lt=now - due_after - STALLED_AFTER)
    rows = list(OutboundEmail.objects.filter(stalled, status=OutboundEmail.Status.QUEUED)
                .values_list("pk", "attempts"))
    for email_id, attempts in rows:
        _send_on_commit(email_id, attempt=attempts)
    return len(rows)


def dedupe_key(prefix: str, **ids: int) -> str:
    """``dedupe_key("reminder_d7", pledge=12)`` → ``"reminder_d7:pledge:12"``."""
    return prefix + "".join(f":{name}:{value}" for name, value in ids.items())


def already_queued(prefix: str, **refs: str) -> Exists:
    """SQL twin of ``dedupe_key`` over the outer query's fields, to leave out, in the
    query itself, the recipients a schedule has already served."""
    parts: list[Value | Cast] = [Value(prefix)]
    for name, field in refs.items():
        parts += [Value(f":{name}:"), Cast(OuterRef(field), output_field=CharField())]
    return Exists(OutboundEmail.objects.filter(
        dedupe_key=Concat(*parts, output_field=CharField())))
