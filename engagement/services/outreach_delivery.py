"""Delivering a bulk invitation under the organisation's hourly cap.

A send records every invitation at once (``outreach.invitations_bulk_send``); the cap
(``settings.BULK_INVITATIONS_PER_HOUR``) throttles the e-mails, it never refuses a send.
The worker (``engagement.tasks.send_invitation_batch``) takes, in one transaction:

- the batch's row lock (two runs of the same batch serialise; the second finds nothing due),
- up to what is left of the hour's allowance, on the hour's ``BulkSendHour`` row (locked,
  then a conditional UPDATE: concurrent batches never pass the cap together),
- that many of the batch's next invitations (in pk order, after ``sent_through``), whose
  e-mails it composes into the outbox (each once, by its dedupe key).

What is left waits for the next clock hour: the task comes back then (``eta``), and the
schedule (``invitation_batches_due_queue``) queues it again for any batch whose time has
come, so a lost message or a restarted worker loses nothing.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import ngettext

from core.formatting import count
from core.tenancy import enqueue_on_commit

from ..models import EmailKind, InvitationBatch
from .message_texts import CampaignFacts, participant_email_queue, placeholder_values
from .outbox import dedupe_key
from .outreach import hour_start, invitation_link

TASK = "engagement.tasks.send_invitation_batch"


@dataclass(frozen=True)
class DeliveryPlan:
    """How a batch of ``invited`` is expected to go out: ``this_hour`` now, the rest over
    the ``later_hours`` that follow (one allowance each)."""

    invited: int
    this_hour: int
    later_hours: int


def delivery_plan(*, invited: int, allowance: int) -> DeliveryPlan:
    """What ``allowance`` (what was left of the hour when the send was made: see
    ``outreach.allowance_left``) lets out now, and how many hours the rest will take."""
    this_hour = max(0, min(invited, allowance))
    cap = max(1, settings.BULK_INVITATIONS_PER_HOUR)
    return DeliveryPlan(invited=invited, this_hour=this_hour,
                        later_hours=math.ceil((invited - this_hour) / cap))


def delivery_plan_text(plan: DeliveryPlan) -> str:
    """The plan as the organiser reads it, in the active language: "1,800 invitations
    recorded; 500 sent this hour, the rest over the next 3 hours." """
    recorded = ngettext("%(count)s invitation recorded;", "%(count)s invitations recorded;",
                        plan.invited) % {"count": count(plan.invited)}
    if plan.later_hours == 0:
        return recorded + " " + ngettext("it is sent this hour.", "all are sent this hour.",
                                         plan.invited)
    return recorded + " " + ngettext(
        "%(now)s sent this hour, the rest over the next hour.",
        "%(now)s sent this hour, the rest over the next %(hours)s hours.",
        plan.later_hours) % {"now": count(plan.this_hour), "hours": count(plan.later_hours)}


def _allowance_take_up_to(count: int, now: datetime) -> int:
    """Take at most ``count`` from this hour's allowance; returns how many were taken
    (0 when the hour is used up). The hour's row stays locked until the commit."""
    hour, cap = hour_start(now), settings.BULK_INVITATIONS_PER_HOUR
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO engagement_bulksendhour (hour, invitations) "
                       "VALUES (%s, 0) ON CONFLICT (hour) DO NOTHING", [hour])
        cursor.execute("SELECT invitations FROM engagement_bulksendhour WHERE hour = %s "
                       "FOR UPDATE", [hour])
        row = cursor.fetchone()
        take = max(0, min(count, cap - int(row[0]))) if row else 0
        if take == 0:
            return 0
        # Conditional as well: whatever the caller computed, the row never passes the cap.
        cursor.execute("UPDATE engagement_bulksendhour SET invitations = invitations + %s "
                       "WHERE hour = %s AND invitations + %s <= %s RETURNING invitations",
                       [take, hour, take, cap])
        return take if cursor.fetchone() is not None else 0


def _emails_queue(batch: InvitationBatch, invitation_ids: list[int]) -> int:
    """Compose and queue the e-mails of these invitations; each once, however often this
    runs. A relaunch tells the people of the failed campaign (about their own pledge); any
    other batch is an invitation (only to people who agree to hear about future actions,
    which the outbox checks again)."""
    kind = (EmailKind.CAMPAIGN_RELAUNCHED if batch.audience == InvitationBatch.Audience.CAMPAIGN
            else EmailKind.INVITATION)
    facts = CampaignFacts(batch.campaign)
    queued = 0
    invitations = (batch.invitations.select_related("participant", "organiser", "campaign")
                   .filter(pk__in=invitation_ids, participant__isnull=False).order_by("pk"))
    for invitation in invitations:
        participant = invitation.participant
        assert participant is not None
        values = placeholder_values(facts, participant=participant, invitation=invitation,
                                    link=functools.partial(invitation_link, invitation))
        if participant_email_queue(kind=kind, participant=participant, facts=facts,
                                   values=values, wording=batch.wording or None,
                                   dedupe_key=dedupe_key(EmailKind.INVITATION,
                                                         invitation=invitation.pk)):
            queued += 1
    return queued


def invitation_batch_emails_queue(*, batch_id: int, now: datetime | None = None) -> int:
    """The worker's part of a bulk invitation: as many of the batch's e-mails as the
    hour's allowance lets out, composed and queued in one transaction; the rest are due
    at the next clock hour (the task is queued again for then). Returns how many e-mails
    were queued."""
    now = now or timezone.now()
    with transaction.atomic():
        batch = (InvitationBatch.objects.select_for_update(of=("self",))
                 .select_related("campaign__programme").filter(pk=batch_id).first())
        if batch is None or batch.next_at is None or batch.next_at > now:
            return 0  # unknown, all sent, or not yet due (an early or repeated message)
        pending = batch.invitations.filter(pk__gt=batch.sent_through).order_by("pk")
        wanted = list(pending.values_list("pk", flat=True)[:settings.BULK_INVITATIONS_PER_HOUR])
        chunk = wanted[:_allowance_take_up_to(len(wanted), now)]
        queued = _emails_queue(batch, chunk)
        if chunk:
            batch.sent = min(batch.invited, batch.sent + len(chunk))
            batch.sent_through = chunk[-1]
        rest = pending.filter(pk__gt=batch.sent_through).exists()
        batch.next_at = hour_start(now) + timedelta(hours=1) if rest else None
        batch.save(update_fields=["sent", "sent_through", "next_at"])
        if batch.next_at is not None:
            enqueue_on_commit(TASK, batch.pk, eta=batch.next_at)
    return queued


def invitation_batches_due_queue(*, now: datetime | None = None) -> int:
    """The schedule's safety net: queue the delivery of every batch whose e-mails are due
    (a message lost with a broker or a worker restart). Returns how many were queued."""
    due = list(InvitationBatch.objects.filter(next_at__lte=now or timezone.now())
               .values_list("pk", flat=True))
    for batch_id in due:
        enqueue_on_commit(TASK, batch_id)
    return len(due)
