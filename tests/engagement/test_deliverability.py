"""Bounces and complaints: the provider's webhook (its real payload, posted to the public
host with its basic auth) marks the address in the right organisation, once; the outbox
then skips it; organisers see the mark on the participants page and in the API and clear it."""

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.utils import timezone
from django_tenants.utils import tenant_context

from engagement.models import EmailDeliverability, EmailEvent, OutboundEmail
from engagement.services import outbox

from ..conftest import make_member, tenant_client
from ..factories import ParticipantFactory

SECRET = "anymail-user:webhook-password"
AUTH = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(SECRET.encode()).decode()}
webhook_secret = override_settings(ANYMAIL={"WEBHOOK_SECRET": SECRET},
                                   EMAIL_SOFT_BOUNCE_LIMIT=3)


def brevo_event(event: str, email: str, *, schema: str = "testco", row: int | None = None,
                ts: int = 1_790_000_000, message_id: str = "<x@smtp-relay.brevo.com>") -> dict:
    """A Brevo transactional webhook, as its documentation shows it (anymail's tests too)."""
    payload = {
        "event": event, "email": email, "id": 123456, "date": "2026-09-21 10:06:57",
        "ts": ts, "message-id": message_id, "ts_event": ts, "subject": "Rappel",
        "tag": "reminder_d1", "sending_ip": "185.41.28.109", "ts_epoch": ts * 1000,
        "reason": f"550 5.1.1 <{email}>: Recipient address rejected: User unknown",
    }
    if schema:
        payload["X-Mailin-custom"] = json.dumps({"schema": schema,
                                                 "outbox": str(row) if row else ""})
    return payload


def mailjet_event(event: str, email: str, *, hard: bool = True, time: int = 1_790_000_000,
                  schema: str = "testco") -> dict:
    """A Mailjet event callback (its documentation's bounce example)."""
    payload = {
        "event": event, "time": time, "MessageID": 19421777835146490,
        "Message_GUID": "1ab23cd4-e567-8901-2345-6789f0gh1i2j", "email": email,
        "mj_campaign_id": 0, "mj_contact_id": 0, "customcampaign": "", "CustomID": "",
        "Payload": json.dumps({"schema": schema, "outbox": ""}),
    }
    if event == "bounce":
        payload |= {"blocked": False, "hard_bounce": hard, "error_related_to": "recipient",
                    "error": "user unknown" if hard else "quota exceeded",
                    "comment": "Host or domain name not found."}
    if event == "spam":
        payload["source"] = "JMRPP"
    return payload


def post(provider: str, payload, **headers):
    client = Client(HTTP_HOST=settings.BASE_DOMAIN)
    return client.post(f"/anymail/{provider}/tracking/", json.dumps(payload),
                       content_type="application/json", **headers)


def record(email: str) -> EmailDeliverability | None:
    return EmailDeliverability.objects.filter(email=email).first()


@pytest.mark.django_db
@webhook_secret
def test_a_hard_bounce_marks_the_address_once_and_the_outbox_skips_it(org_a, org_b, eager):
    with tenant_context(org_a):
        person = ParticipantFactory(email="ghost@example.test", language="fr")
        sent = outbox.email_queue(kind="reminder_d1", dedupe_key="t:1", to_email=person.email,
                                  subject="S", body="B", participant=person)
    payload = brevo_event("hard_bounce", "Ghost@Example.test", row=sent.pk)
    assert post("brevo", payload, **AUTH).status_code == 200
    # Providers deliver again when unsure: the same event changes nothing more.
    assert post("brevo", payload, **AUTH).status_code == 200
    with tenant_context(org_a):
        mark = record("ghost@example.test")
        assert mark.reason == EmailDeliverability.Reason.HARD_BOUNCE
        assert mark.undeliverable_since == datetime.fromtimestamp(1_790_000_000, tz=UTC)
        assert "User unknown" in mark.detail
        [event] = EmailEvent.objects.all()
        assert event.provider == "brevo" and event.outbound_email_id == sent.pk
        again = outbox.email_queue(kind="reminder_d1", dedupe_key="t:2",
                                   to_email=person.email, subject="S", body="B",
                                   participant=person)
        assert again.status == OutboundEmail.Status.BOUNCED
    with tenant_context(org_b):  # the other organisation's schema knows nothing of it
        assert record("ghost@example.test") is None and not EmailEvent.objects.exists()


@pytest.mark.django_db
@webhook_secret
def test_the_webhook_refuses_posts_without_the_secret(org_a):
    payload = brevo_event("hard_bounce", "a@example.test")
    assert post("brevo", payload).status_code in (400, 401, 403)
    wrong = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"anymail-user:no").decode()}
    assert post("brevo", payload, **wrong).status_code in (400, 401, 403)
    with tenant_context(org_a):
        assert record("a@example.test") is None


@pytest.mark.django_db
@webhook_secret
def test_the_organisation_is_found_from_the_message_id_without_metadata(org_a):
    payload = brevo_event("spam", "bea@example.test", schema="",
                          message_id="<outbox.testco.987654@fullmobs.example>")
    assert post("brevo", payload, **AUTH).status_code == 200
    with tenant_context(org_a):
        assert record("bea@example.test").reason == EmailDeliverability.Reason.COMPLAINT
        assert EmailEvent.objects.get().outbound_email_id is None  # no such row: kept apart


@pytest.mark.django_db
@webhook_secret
def test_events_for_no_known_organisation_are_ignored(org_a):
    assert post("brevo", brevo_event("hard_bounce", "x@example.test", schema="nosuch"),
                **AUTH).status_code == 200
    assert post("brevo", brevo_event("hard_bounce", "x@example.test", schema=""),
                **AUTH).status_code == 200
    with tenant_context(org_a):
        assert not EmailDeliverability.objects.exists()


@pytest.mark.django_db
@webhook_secret
def test_soft_bounces_count_and_mark_only_at_the_limit(org_a):
    address = "full@example.test"
    for minute in range(2):
        post("mailjet", mailjet_event("bounce", address, hard=False, time=1_790_000_000 + minute),
             **AUTH)
    with tenant_context(org_a):
        mark = record(address)
        assert mark.soft_bounces == 2 and mark.undeliverable_since is None
    # A delivery in between starts the count again.
    post("mailjet", mailjet_event("sent", address), **AUTH)
    with tenant_context(org_a):
        assert record(address).soft_bounces == 0
    # Mailjet groups events in one array when asked to.
    post("mailjet", [mailjet_event("bounce", address, hard=False, time=1_790_000_100 + n)
                     for n in range(3)], **AUTH)
    with tenant_context(org_a):
        mark = record(address)
        assert mark.soft_bounces == 3
        assert mark.reason == EmailDeliverability.Reason.SOFT_BOUNCES


@pytest.mark.django_db
@webhook_secret
def test_a_complaint_through_mailjet_marks_the_address(org_a):
    assert post("mailjet", mailjet_event("spam", "moi@example.test"), **AUTH).status_code == 200
    with tenant_context(org_a):
        assert record("moi@example.test").reason == EmailDeliverability.Reason.COMPLAINT


def mark(email: str, reason=EmailDeliverability.Reason.HARD_BOUNCE) -> None:
    EmailDeliverability.objects.create(email=email, reason=reason,
                                       undeliverable_since=timezone.now() - timedelta(days=2))


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "words"), [
    ("en", ["Undeliverable", "The address does not exist (bounce)", "Clear the mark"]),
    ("fr", ["En erreur", "L’adresse n’existe pas (rejet définitif)", "Lever le marquage"]),
])
def test_organisers_see_undeliverable_addresses_and_managers_clear_them(
        org_a, manager_a, viewer_a, lang, words):
    with tenant_context(org_a):
        bad = ParticipantFactory(email="bad@example.test", consent_to_contact=True)
        ParticipantFactory(email="fine@example.test", consent_to_contact=True)
        mark("bad@example.test")
    manager = tenant_client(org_a, manager_a)
    page = manager.get("/participants/?delivery=undeliverable",
                       HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    assert "bad@example.test" in page and "fine@example.test" not in page
    for word in words:
        assert word in page
    everyone = manager.get("/participants/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    assert "fine@example.test" in everyone
    # Viewers see the mark, and cannot clear it.
    viewer = tenant_client(org_a, viewer_a)
    assert words[0] in viewer.get("/participants/?delivery=undeliverable",
                                  HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    assert words[2] not in viewer.get("/participants/?delivery=undeliverable",
                                      HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    assert viewer.post(f"/participants/{bad.pk}/email-deliverable/").status_code == 404
    answer = manager.post(f"/participants/{bad.pk}/email-deliverable/")
    assert answer.status_code == 302
    with tenant_context(org_a):
        cleared = record("bad@example.test")
        assert cleared.undeliverable_since is None and cleared.cleared_at is not None
        assert outbox.email_queue(kind="reminder_d1", dedupe_key="t:c", to_email=bad.email,
                                  subject="S", body="B", participant=bad).status == "queued"


@pytest.mark.django_db
def test_another_organisations_manager_cannot_clear(org_a, org_b):
    with tenant_context(org_a):
        bad = ParticipantFactory(email="bad@example.test")
        mark("bad@example.test")
    stranger = make_member(org_b, "manager", "mgr@otherco.test")
    client = tenant_client(org_a, stranger)
    assert client.post(f"/participants/{bad.pk}/email-deliverable/").status_code == 404
    with tenant_context(org_a):
        assert record("bad@example.test").undeliverable_since is not None


@pytest.mark.django_db
def test_the_api_exposes_filters_and_clears_the_mark(org_a, manager_a, viewer_a):
    with tenant_context(org_a):
        bad = ParticipantFactory(email="bad@example.test")
        ParticipantFactory(email="fine@example.test")
        mark("bad@example.test", EmailDeliverability.Reason.COMPLAINT)
    client = tenant_client(org_a, manager_a)
    rows = client.get("/api/v1/participants/?email_undeliverable=true").json()["results"]
    assert [(r["id"], r["email_undeliverable"], r["email_undeliverable_reason"])
            for r in rows] == [(bad.pk, True, "complaint")]
    assert rows[0]["email_undeliverable_since"]
    fine = client.get("/api/v1/participants/?email_undeliverable=false").json()["results"]
    assert [r["email_undeliverable"] for r in fine] == [False]
    # Anything but true or false is refused, naming the parameter, not read as "no filter".
    for wrong in ("1.9e307", "yes", ""):
        refused = client.get(f"/api/v1/participants/?email_undeliverable={wrong}")
        assert refused.status_code == 400, wrong
        assert "email_undeliverable" in refused.json()["errors"]
    viewer = tenant_client(org_a, viewer_a)
    assert viewer.post(f"/api/v1/participants/{bad.pk}/clear-undeliverable/").status_code \
        in (403, 404)
    cleared = client.post(f"/api/v1/participants/{bad.pk}/clear-undeliverable/").json()
    assert cleared["email_undeliverable"] is False
    again = client.post(f"/api/v1/participants/{bad.pk}/clear-undeliverable/")
    assert again.status_code == 400 and "email" in again.json()["errors"]


@pytest.mark.django_db
def test_erasing_a_person_forgets_what_the_provider_said_of_their_address(org_a):
    from engagement.models import PrivacyLog
    from engagement.services.privacy import participant_erase

    with tenant_context(org_a):
        person = ParticipantFactory(email="forget@example.test")
        mark("forget@example.test")
        participant_erase(participant=person, actor=PrivacyLog.Actor.ORGANISER)
        assert not EmailDeliverability.objects.exists()


def postmark_bounce(kind: str, email: str, *, record_type: str = "Bounce", n: int = 1) -> dict:
    """A Postmark bounce webhook (its documentation's example), of bounce ``Type`` kind."""
    return {"RecordType": record_type, "MessageStream": "outbound", "ID": 4323372036854775800 + n,
            "Type": kind, "TypeCode": 1, "Name": kind, "Tag": "reminder_d1",
            "MessageID": f"883953f4-6105-42a2-a16a-77a8eac7{n:04d}",
            "Metadata": {"schema": "testco", "outbox": ""}, "ServerID": 23,
            "Description": "The server was unable to deliver your message.",
            "Details": "Test bounce details", "Email": email, "From": "noreply@fullmobs.example",
            "BouncedAt": "2026-09-21T10:06:57Z", "DumpAvailable": True, "Inactive": True,
            "CanActivate": True, "Subject": "Rappel", "Content": "", "Origin": "Recipient"}


def mailgun_failed(email: str, *, severity: str, reason: str, n: int = 1) -> dict:
    """A Mailgun ``failed`` event webhook (its documentation's example shape)."""
    return {"signature": {"timestamp": "1790000000", "token": f"token-{severity}-{n}",
                          "signature": "unused"},
            "event-data": {"event": "failed", "severity": severity, "reason": reason,
                           "id": f"G9Bn5sl1TC6{n}", "timestamp": 1790000000.0 + n,
                           "recipient": email, "log-level": "error",
                           "user-variables": {"schema": "testco", "outbox": ""},
                           "delivery-status": {"code": 452 if severity == "temporary" else 550,
                                               "message": "4.2.2 mailbox full",
                                               "description": "", "attempt-no": 1},
                           "message": {"headers": {"message-id": f"mg{n}@fullmobs.example",
                                                   "to": email}}}}


def send_mailgun(payload: dict) -> None:
    """Mailgun is routed only with its signing key: its payload goes through anymail's own
    parser, and the signal, as its view would send it."""
    from anymail.signals import tracking
    from anymail.webhooks.mailgun import MailgunTrackingWebhookView

    with override_settings(ANYMAIL={"WEBHOOK_SECRET": SECRET,
                                    "MAILGUN_WEBHOOK_SIGNING_KEY": "key"}):
        event = MailgunTrackingWebhookView().esp_to_anymail_event(payload)
    tracking.send(sender=MailgunTrackingWebhookView, event=event, esp_name="Mailgun")


@pytest.mark.django_db
@webhook_secret
def test_a_provider_block_on_the_senders_side_counts_as_a_soft_bounce(org_a):
    address = "good@example.test"
    blocked = mailjet_event("blocked", address) | {
        "error_related_to": "content", "error": "content blocked"}
    policy = mailjet_event("bounce", address, time=1_790_000_001) | {
        "error_related_to": "domain", "error": "policy issue"}
    for payload in (blocked, policy):
        assert post("mailjet", payload, **AUTH).status_code == 200
    assert post("brevo", brevo_event("blocked", address), **AUTH).status_code == 200
    with tenant_context(org_a):
        mark = record(address)
        assert mark.soft_bounces == 3 and mark.reason == EmailDeliverability.Reason.SOFT_BOUNCES
    post("postmark", postmark_bounce("DMARCPolicy", "other@example.test"), **AUTH)
    with tenant_context(org_a):
        other = record("other@example.test")
        assert other.soft_bounces == 1 and other.undeliverable_since is None


@pytest.mark.django_db
@webhook_secret
@pytest.mark.parametrize(("provider", "payload", "reason"), [
    ("brevo", brevo_event("invalid_email", "bad@example.test"),
     EmailDeliverability.Reason.HARD_BOUNCE),
    ("mailjet", mailjet_event("blocked", "bad@example.test") | {
        "error_related_to": "recipient", "error": "user unknown"},
     EmailDeliverability.Reason.REJECTED),
    ("mailjet", mailjet_event("blocked", "bad@example.test") | {
        "error_related_to": "recipient", "error": "spam reporter"},
     EmailDeliverability.Reason.COMPLAINT),
    ("postmark", postmark_bounce("HardBounce", "bad@example.test"),
     EmailDeliverability.Reason.HARD_BOUNCE),
    ("postmark", postmark_bounce("BadEmailAddress", "bad@example.test"),
     EmailDeliverability.Reason.REJECTED),
])
def test_the_recipients_own_refusals_mark_at_once(org_a, provider, payload, reason):
    assert post(provider, payload, **AUTH).status_code == 200
    with tenant_context(org_a):
        assert record("bad@example.test").reason == reason


@pytest.mark.django_db
@webhook_secret
def test_temporary_failures_of_each_provider_are_soft_bounces(org_a):
    address = "busy@example.test"
    post("postmark", postmark_bounce("SoftBounce", address, n=1), **AUTH)
    post("postmark", postmark_bounce("Transient", address, n=2), **AUTH)
    send_mailgun(mailgun_failed(address, severity="temporary", reason="generic"))
    with tenant_context(org_a):
        mark = record(address)
        assert mark.soft_bounces == 3 and mark.reason == EmailDeliverability.Reason.SOFT_BOUNCES
    # Greylisting (Mailjet retries) and Brevo's own retries are not failures.
    post("mailjet", mailjet_event("bounce", "grey@example.test", hard=False) | {
        "error": "greylisted"}, **AUTH)
    post("brevo", brevo_event("deferred", "grey@example.test"), **AUTH)
    send_mailgun(mailgun_failed("gone@example.test", severity="permanent", reason="bounce",
                                n=2))
    with tenant_context(org_a):
        assert record("grey@example.test") is None
        assert record("gone@example.test").reason == EmailDeliverability.Reason.HARD_BOUNCE


@pytest.mark.django_db
@webhook_secret
def test_an_unsubscribe_at_the_provider_unsubscribes_the_participant(org_a):
    with tenant_context(org_a):
        person = ParticipantFactory(email="Leave@Example.test", consent_to_contact=True)
    assert post("mailjet", mailjet_event("unsub", "leave@example.test"), **AUTH
                ).status_code == 200
    with tenant_context(org_a):
        person.refresh_from_db()
        assert person.unsubscribed_at is not None and person.consent_to_contact is False
        assert record("leave@example.test") is None  # the address itself still works
