"""What the e-mail provider reported about addresses: bounces, complaints, refusals.

The provider's webhook (``engagement.webhooks``) hands each event to ``email_event_record``
in the organisation's schema. The event is stored first, under a unique key (the provider's
event id, or a digest of the event): a provider delivering the same event twice gets the
second one refused by the database and changes nothing. Then the address's record is
locked and moved:

- a hard bounce, a complaint (marked as spam) or the provider's refusal of an address
  that bounced before or is malformed marks the address undeliverable at once (the webhook
  reads other refusals, mostly the sender's side, as soft bounces);
- an unsubscribe the person made through the provider's link unsubscribes the
  participants with that address (as our own link does) and leaves the address alone;
- a soft bounce (mailbox full, server down) adds one to a count, and marks the address at
  ``settings.EMAIL_SOFT_BOUNCE_LIMIT`` in a row; a delivery starts the count again.

The outbox sends nothing to a marked address (``outbox.address_undeliverable``). An
organiser clears the mark (``email_deliverability_clear``) once the person has given a
corrected address or fixed their mailbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError

from ..models import EmailDeliverability, EmailEvent, OutboundEmail, Participant
from .participants import participant_unsubscribe


class Outcome(StrEnum):
    """What an event means for the address, as ``engagement.webhooks`` reads it."""

    HARD_BOUNCE = "hard_bounce"
    SOFT_BOUNCE = "soft_bounce"
    COMPLAINT = "complaint"
    REJECTED = "rejected"
    UNSUBSCRIBED = "unsubscribed"
    DELIVERED = "delivered"


MARKING = {
    Outcome.HARD_BOUNCE: EmailDeliverability.Reason.HARD_BOUNCE,
    Outcome.COMPLAINT: EmailDeliverability.Reason.COMPLAINT,
    Outcome.REJECTED: EmailDeliverability.Reason.REJECTED,
}


@dataclass(frozen=True)
class TrackingEvent:
    provider: str
    event_key: str
    outcome: Outcome
    recipient: str
    occurred_at: datetime | None = None
    detail: str = ""
    outbound_email_id: int | None = None


def email_event_record(*, event: TrackingEvent) -> bool:
    """Apply one provider event in the current schema; False when it was seen already."""
    email = event.recipient.strip().lower()
    if not email:
        return False
    at = event.occurred_at or timezone.now()
    with transaction.atomic():
        if event.outcome == Outcome.DELIVERED:
            # Frequent and harmless to repeat: not stored, and only an address with soft
            # bounces counted has anything to change.
            EmailDeliverability.objects.filter(email=email, soft_bounces__gt=0).update(
                soft_bounces=0, last_event_at=at)
            return True
        row_id = event.outbound_email_id
        if row_id is not None and not OutboundEmail.objects.filter(pk=row_id).exists():
            row_id = None
        try:
            with transaction.atomic():
                EmailEvent.objects.create(provider=event.provider, event_key=event.event_key,
                                          event_type=event.outcome, occurred_at=at,
                                          outbound_email_id=row_id)
        except IntegrityError:
            return False  # the same event again: its effect is there already
        if event.outcome == Outcome.UNSUBSCRIBED:
            for person in Participant.objects.filter(email__iexact=email):
                participant_unsubscribe(participant=person, language=person.language)
            return True
        EmailDeliverability.objects.bulk_create([EmailDeliverability(email=email)],
                                                ignore_conflicts=True)
        record = EmailDeliverability.objects.select_for_update().get(email=email)
        record.last_event_at = at
        if event.outcome == Outcome.SOFT_BOUNCE:
            record.soft_bounces += 1
        reason = MARKING.get(event.outcome)
        if reason is None and record.soft_bounces >= settings.EMAIL_SOFT_BOUNCE_LIMIT:
            reason = EmailDeliverability.Reason.SOFT_BOUNCES
        if reason is not None and record.undeliverable_since is None:
            record.undeliverable_since, record.reason = at, reason
            record.detail = event.detail[:500]
        record.save(update_fields=["last_event_at", "soft_bounces", "undeliverable_since",
                                   "reason", "detail"])
    return True


def email_deliverability_clear(*, participant: Participant) -> EmailDeliverability:
    """An organiser lifts the mark on a participant's address (they gave a corrected one,
    or fixed their mailbox): e-mails go to it again, and soft bounces count from zero."""
    with transaction.atomic():
        record = (EmailDeliverability.objects.select_for_update()
                  .filter(email=participant.email.strip().lower(),
                          undeliverable_since__isnull=False).first())
        if record is None:
            raise DomainError({"email": [_("This address is not marked undeliverable.")]})
        record.undeliverable_since, record.reason, record.detail = None, "", ""
        record.soft_bounces, record.cleared_at = 0, timezone.now()
        record.save(update_fields=["undeliverable_since", "reason", "detail",
                                   "soft_bounces", "cleared_at"])
    return record
