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

from anymail.signals import AnymailTrackingEvent, EventType, RejectReason, tracking
from django.dispatch import receiver
from django_tenants.utils import tenant_context

from tenants.models import Organisation

from .services.deliverability import Outcome, TrackingEvent, email_event_record

log = logging.getLogger(__name__)
MESSAGE_ID_RE = re.compile(r"outbox\.(?P<schema>[a-z0-9_]+)\.(?P<pk>\d+)@")
# What a refusal or bounce means, from anymail's normalised ``reject_reason``. Only the
# recipient's own mailbox or hand marks the address at once: it does not exist (bounced,
# invalid) or its owner called the e-mail spam. Blocked, other and timed-out refusals are
# mostly the sender's side (content, headers, the account's reputation, a policy): they
# count as soft bounces, so a good address is not suppressed for good by one of them.
HARD_REASONS = {RejectReason.BOUNCED: Outcome.HARD_BOUNCE,
                RejectReason.INVALID: Outcome.HARD_BOUNCE,
                RejectReason.SPAM: Outcome.COMPLAINT,
                RejectReason.UNSUBSCRIBED: Outcome.UNSUBSCRIBED}


def _outcome(event: AnymailTrackingEvent, esp_name: str) -> Outcome | None:
    """What the event means for the address; None when it changes nothing."""
    kind, reason = event.event_type, event.reject_reason
    if kind == EventType.DELIVERED:
        return Outcome.DELIVERED
    if kind == EventType.COMPLAINED:
        return Outcome.COMPLAINT
    if kind == EventType.UNSUBSCRIBED:
        return Outcome.UNSUBSCRIBED
    if kind == EventType.DEFERRED:
        return Outcome.SOFT_BOUNCE if _soft_bounce(event, esp_name) else None
    if kind not in (EventType.BOUNCED, EventType.REJECTED):
        return None  # opens, clicks, queued...
    if kind == EventType.BOUNCED and _soft_bounce(event, esp_name):
        return Outcome.SOFT_BOUNCE
    if reason is None and kind == EventType.BOUNCED:
        return Outcome.HARD_BOUNCE
    outcome = HARD_REASONS.get(reason or "", Outcome.SOFT_BOUNCE)
    if kind == EventType.REJECTED and outcome == Outcome.HARD_BOUNCE:
        return Outcome.REJECTED  # refused before sending, for an earlier bounce or a bad form
    return outcome


def _soft_bounce(event: AnymailTrackingEvent, esp_name: str) -> bool:
    """A temporary failure that the provider reports as a bounce or a deferral.

    Brevo ``soft_bounce`` and Postmark ``SoftBounce`` arrive as bounces; Mailjet's bounce
    with ``hard_bounce: false`` too (greylisting, which it retries, arrives as a deferral
    and is not counted); Postmark ``Transient``/``DnsError`` and Mailgun failures of
    ``temporary`` severity arrive as deferrals. Brevo's own ``deferred`` (it is retrying)
    is not counted."""
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    if esp_name == "Brevo":
        return raw.get("event") == "soft_bounce"
    if esp_name == "Mailjet":
        return (raw.get("event") == "bounce" and raw.get("hard_bounce") is False
                and raw.get("error") != "greylisted")
    if esp_name == "Postmark":
        return raw.get("Type") in {"SoftBounce", "Transient", "DnsError"}
    if esp_name == "Mailgun":
        data = raw.get("event-data") or {}
        return data.get("event") == "failed" and data.get("severity") == "temporary"
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
    outcome = _outcome(event, esp_name)
    if outcome is None or not event.recipient:
        return  # opens, clicks, retries... change nothing about the address
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
