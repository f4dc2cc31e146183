"""The e-mail provider's tracking webhooks, read for bounces and complaints.

django-anymail's views (``/anymail/<provider>/tracking/`` on the public host, behind the
basic auth of ``ANYMAIL["WEBHOOK_SECRET"]``) turn each provider's payload into its
normalised ``AnymailTrackingEvent`` and send the ``tracking`` signal; this receiver finds
the organisation the e-mail was sent for, from the metadata the outbox gave the provider
(``schema``, ``outbox``) or else from our Message-ID ``<outbox.<schema>.<pk>@…>``, and
records the event there (``services.deliverability``). E-mails sent for no organisation
(account e-mails) are not tracked.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re

from anymail.signals import AnymailTrackingEvent, EventType, tracking
from django.dispatch import receiver
from django_tenants.utils import tenant_context

from tenants.models import Organisation

from .services.deliverability import Outcome, TrackingEvent, email_event_record

log = logging.getLogger(__name__)
MESSAGE_ID_RE = re.compile(r"outbox\.(?P<schema>[a-z0-9_]+)\.(?P<pk>\d+)@")
OUTCOMES = {
    EventType.BOUNCED: Outcome.HARD_BOUNCE,
    EventType.COMPLAINED: Outcome.COMPLAINT,
    EventType.REJECTED: Outcome.REJECTED,
    EventType.DELIVERED: Outcome.DELIVERED,
}


def _soft_bounce(event: AnymailTrackingEvent, esp_name: str) -> bool:
    """Providers that report temporary failures as bounces say so in their own field."""
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    if esp_name == "Brevo":
        return raw.get("event") == "soft_bounce"
    if esp_name == "Mailjet":
        return raw.get("event") == "bounce" and raw.get("hard_bounce") is False
    if esp_name == "Postmark":
        return raw.get("Type") in {"SoftBounce", "Transient", "DnsError"}
    return False


def _event_key(event: AnymailTrackingEvent, esp_name: str) -> str:
    if event.event_id:
        return str(event.event_id)[:128]
    # Brevo and Mailjet give no event id: the event itself, byte for byte the same when
    # the provider delivers it again, names it.
    raw = json.dumps(event.esp_event, sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(f"{esp_name}\n{raw}".encode()).hexdigest()


def _organisation_and_row(event: AnymailTrackingEvent) -> tuple[Organisation | None, int | None]:
    metadata = event.metadata or {}
    schema, row = metadata.get("schema"), metadata.get("outbox")
    if not schema:
        match = MESSAGE_ID_RE.search(event.message_id or "")
        if match:
            schema, row = match["schema"], match["pk"]
    if not schema:
        return None, None
    organisation = (Organisation.objects.clients().filter(schema_name=schema)
                    .exclude(status=Organisation.Status.CLOSED).first())
    row_id = int(str(row)) if str(row or "").isdigit() else None
    return organisation, row_id


@receiver(tracking, dispatch_uid="engagement.email_tracking")
def email_tracking_received(sender, event: AnymailTrackingEvent, esp_name: str,
                            **kwargs) -> None:
    outcome = OUTCOMES.get(event.event_type)
    if outcome is None or not event.recipient:
        return  # opens, clicks, deferrals... change nothing about the address
    if outcome == Outcome.HARD_BOUNCE and _soft_bounce(event, esp_name):
        outcome = Outcome.SOFT_BOUNCE
    organisation, row_id = _organisation_and_row(event)
    if organisation is None:
        log.info("E-mail event %s for no known organisation: ignored", event.event_type)
        return
    with tenant_context(organisation):
        email_event_record(event=TrackingEvent(
            provider=esp_name.lower(), event_key=_event_key(event, esp_name),
            outcome=outcome, recipient=event.recipient, occurred_at=event.timestamp,
            detail=str(event.mta_response or event.description or event.reject_reason or ""),
            outbound_email_id=row_id))
