"""Stripe webhooks: a signed event is stored once, then applied by a worker."""

from __future__ import annotations

import json
import time
from typing import Any, cast

import stripe
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import BillingAccount, StripeEvent
from .customers import billing_details_pull
from .subscriptions import subscription_sync

# Checkout saves the name, address and VAT number the buyer confirms on the customer: the
# billing account follows them (docs/decisions.md, "Checkout and the billing details").
DETAILS_EVENTS = ("checkout.session.completed", "customer.updated")

# Stripe's own tolerance: a signed delivery is accepted five minutes either side of its
# timestamp. The library checks only the past; a timestamp in the future is refused here
# too, so a captured signature cannot be prepared to be replayed later.
WEBHOOK_TOLERANCE_SECONDS = 300
_EVENT_ID_MAX = cast(int, StripeEvent._meta.get_field("event_id").max_length)
_EVENT_TYPE_MAX = cast(int, StripeEvent._meta.get_field("type").max_length)


def _signed_timestamp(signature: str) -> int:
    for item in signature.split(","):
        key, _sep, value = item.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit():
            return int(value)
    raise stripe.SignatureVerificationError("no timestamp in the signature", signature)


def event_record(*, payload: bytes, signature: str,
                 now: float | None = None) -> tuple[StripeEvent, bool]:
    """Verify a webhook's signature and its time window, then store the event once.
    Returns (event, is_new); raises ValueError (a malformed event: not an object with a
    string ``id`` and ``type``) or stripe.SignatureVerificationError (a bad signature, or a
    timestamp more than five minutes away from now) when it must be refused."""
    stripe.WebhookSignature.verify_header(payload, signature, settings.STRIPE_WEBHOOK_SECRET,
                                          tolerance=WEBHOOK_TOLERANCE_SECONDS)
    now = time.time() if now is None else now
    if abs(now - _signed_timestamp(signature)) > WEBHOOK_TOLERANCE_SECONDS:
        raise stripe.SignatureVerificationError("timestamp outside the tolerance zone",
                                                signature)
    data = json.loads(payload)  # signed, so Stripe's; still checked before it is stored
    if not isinstance(data, dict):
        raise ValueError("a webhook event is a JSON object")
    event_id, event_type = data.get("id"), data.get("type")
    for value, longest in ((event_id, _EVENT_ID_MAX), (event_type, _EVENT_TYPE_MAX)):
        if not isinstance(value, str) or not 0 < len(value) <= longest:
            raise ValueError("a webhook event has a string id and type")
    assert isinstance(event_id, str) and isinstance(event_type, str)  # checked just above
    record, created = StripeEvent.objects.get_or_create(
        event_id=event_id, defaults={"type": event_type, "payload": data})
    return record, created


def _customer_of(payload: dict[str, Any]) -> str | None:
    obj = payload.get("data", {}).get("object", {})
    if obj.get("object") == "customer":
        customer_id: str | None = obj.get("id")
    else:
        customer_id = obj.get("customer")
    return customer_id


def event_process(*, event_id: str) -> str:
    """Apply one stored event: find the organisation, then read its state from Stripe."""
    with transaction.atomic():
        record = StripeEvent.objects.select_for_update().get(event_id=event_id)
        if record.processed_at is not None:
            return "already processed"
        record.attempts += 1
        record.save(update_fields=["attempts"])
    customer = _customer_of(record.payload)
    account = BillingAccount.objects.filter(stripe_customer_id=customer).select_related(
        "organisation").first() if customer else None
    outcome = "ignored: unknown customer"
    if account is not None:
        if record.payload.get("type") in DETAILS_EVENTS:
            billing_details_pull(account=account)
        subscription_sync(organisation=account.organisation)
        outcome = "synced"
    StripeEvent.objects.filter(pk=record.pk).update(processed_at=timezone.now(), last_error="")
    return outcome
