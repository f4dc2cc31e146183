"""E-mails as they leave: HTML with the plain text, the button, branding, calendar
invitations, one-click unsubscribe, and nothing sent to an address that bounced."""

import io
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils import timezone
from django_tenants.utils import tenant_context
from PIL import Image

from billing.models import Subscription
from engagement import links
from engagement.models import Campaign, EmailDeliverability, OutboundEmail, Participant
from engagement.services import campaign_join, outbox

from ..conftest import host_of
from ..factories import CampaignFactory, ParticipantFactory, ProgrammeFactory, SlotFactory

TITLE = "Clean-up <script>alert('x')</script> & friends"


def join(campaign: Campaign, email: str, language: str, capture) -> OutboundEmail:
    with capture(execute=True):
        campaign_join(campaign=campaign, email=email, language=language,
                      slot_ids=[campaign.slots.get().pk])
    return OutboundEmail.objects.get(to_email=email, kind="pledge_confirmed")


def open_campaign(title: str = TITLE) -> Campaign:
    campaign = CampaignFactory(programme=ProgrammeFactory(), title=title,
                               place="Plage <b>du</b> Prado",
                               starts_at=timezone.now() + timedelta(days=10),
                               mobilisation_deadline=timezone.now() + timedelta(days=7),
                               visibility=Campaign.Visibility.PUBLIC)
    SlotFactory(campaign=campaign, capacity=10)
    return campaign


def sent_to(address: str):
    [message] = [m for m in mail.outbox if m.to == [address]]
    return message


def html_of(message) -> str:
    [(html, mimetype)] = [(a.content, a.mimetype) for a in message.alternatives
                          if a.mimetype == "text/html"]
    return html


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "label", "words"), [
    ("fr", "Voir mes engagements", "annulation si besoin\u00a0:"),
    ("en", "See my pledges", "cancelling if you need to:"),
])
def test_confirmation_is_html_with_its_text_a_button_and_nothing_unescaped(
        org_a, eager, django_capture_on_commit_callbacks, language, label, words):
    with tenant_context(org_a):
        campaign = open_campaign()
        row = join(campaign, f"ana-{language}@example.test", language,
                   django_capture_on_commit_callbacks)
        message = sent_to(row.to_email)
        participant = Participant.objects.get(email=row.to_email)
        manage = links.manage_url(participant)
        unsubscribe_url = links.unsubscribe_url(participant)
    # The same signed link (the token's timestamp may have ticked over a second since).
    assert row.status == "sent" and row.language == language
    assert row.action_url.rsplit(":", 2)[0] == manage.rsplit(":", 2)[0]
    # Text first, HTML after it: clients show the last part they can read.
    mime = message.message()
    if row.calendar:  # the confirmation carries its calendar invitation (see below)
        assert mime.get_content_type() == "multipart/mixed"
        mime = mime.get_payload()[0]
    assert mime.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in mime.get_payload()][:2] == ["text/plain",
                                                                      "text/html"]
    assert message.body == row.body
    html = html_of(message)
    assert html.startswith("<!DOCTYPE html>") and f'<html lang="{language}"' in html
    # The organiser's title and place are text, never markup.
    assert "<script>" not in html and "<b>du</b>" not in html
    assert "Clean-up &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; friends" in html
    assert "Plage &lt;b&gt;du&lt;/b&gt; Prado" in html
    # The link the message is about is a button after its sentence, named in the language.
    button = re.search(r'<a class="fm-button" href="([^"]+)"[^>]*>([^<]+)</a>', html)
    href, text = button.groups()
    assert (href.rsplit(":", 2)[0], text) == (manage.rsplit(":", 2)[0], label)
    assert words in html
    # The footer's links read as words, not addresses.
    unsubscribe = re.search(r'<a href="([^"]+/unsubscribe/)"[^>]*>([^<]+)</a>', html)
    assert unsubscribe[1] == unsubscribe_url
    assert not unsubscribe[2].startswith("http")


@pytest.mark.django_db
def test_one_click_unsubscribe_headers_on_messages_one_may_stop(org_a, eager):
    with tenant_context(org_a):
        person = ParticipantFactory(email="hugo@example.test", language="en")
        reminder = outbox.email_queue(kind="reminder_d1", dedupe_key="t:d1",
                                      to_email=person.email, subject="S", body="B",
                                      participant=person)
        access = outbox.email_queue(kind="access_link", dedupe_key="t:access",
                                    to_email=person.email, subject="A", body="B",
                                    participant=person)
        for row in (reminder, access):
            outbox.email_deliver(email_id=row.pk, attempt=0)
        url = links.unsubscribe_url(person)
    by_subject = {m.subject: m for m in mail.outbox}
    headers = by_subject["S"].message()
    assert headers["List-Unsubscribe"] == f"<{url}>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["Message-ID"] == f"<outbox.{org_a.schema_name}.{reminder.pk}@fullmobs.example>"
    # The sign-up link the person just asked for is not a message one unsubscribes from.
    assert by_subject["A"].message()["List-Unsubscribe"] is None
    # What the provider hears back in its webhooks.
    assert by_subject["S"].metadata == {"schema": org_a.schema_name, "outbox": str(reminder.pk)}
    assert by_subject["S"].tags == ["reminder_d1"]


@pytest.mark.django_db
def test_one_click_post_unsubscribes_without_csrf_and_get_only_asks(org_a):
    with tenant_context(org_a):
        person = ParticipantFactory(email="ines@example.test", language="fr")
        url = links.unsubscribe_url(person)
    client = Client(HTTP_HOST=host_of(org_a), enforce_csrf_checks=True)
    path = url.split(host_of(org_a), 1)[1].lstrip("0123456789:")
    page = client.get(path)
    assert page.status_code == 200
    person.refresh_from_db()
    assert person.unsubscribed_at is None  # a link checker's GET changes nothing
    # RFC 8058: the mail client POSTs this body, with no cookie and no token.
    answer = client.post(path, "List-Unsubscribe=One-Click",
                         content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 200
    person.refresh_from_db()
    assert person.unsubscribed_at is not None
    # A forged token is refused.
    forged = Client(HTTP_HOST=host_of(org_a), enforce_csrf_checks=True)
    assert forged.post(path.replace("/me/", "/me/x"), "List-Unsubscribe=One-Click",
                       content_type="application/x-www-form-urlencoded").status_code == 404


def png_logo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), "#7a1fa2").save(buffer, format="PNG")
    return SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png")


@pytest.mark.django_db
def test_branding_with_the_option_and_fullmobs_frame_without(org_a, eager):
    with tenant_context(org_a):
        org_a.brand_colour = "#7a1fa2"
        org_a.logo.save("logo.png", png_logo(), save=False)
        org_a.save(update_fields=["brand_colour", "logo"])
        person = ParticipantFactory(email="lou@example.test", language="en")
        first = outbox.email_queue(kind="reminder_d1", dedupe_key="t:b1", to_email=person.email,
                                   subject="Branded", body="Hello", participant=person)
        outbox.email_deliver(email_id=first.pk, attempt=0)
        Subscription.objects.filter(organisation=org_a).update(options=[])
        org_a.refresh_from_db()
        plain = outbox.email_queue(kind="reminder_d1", dedupe_key="t:b2", to_email=person.email,
                                   subject="Plain", body="Hello", participant=person)
        outbox.email_deliver(email_id=plain.pk, attempt=0)
    branded, fullmobs = html_of(sent_to_subject("Branded")), html_of(sent_to_subject("Plain"))
    logo = re.search(r'<img src="([^"]+)" alt="Test Company"', branded).group(1)
    assert logo.startswith(f"http://{host_of(org_a)}") and "/brand/logo/?v=" in logo
    assert "#7a1fa2" in branded and "Sent with Fullmobs" not in branded
    assert "<img" not in fullmobs and "#7a1fa2" not in fullmobs
    assert "#1d6f42" in fullmobs and "Sent with Fullmobs" in fullmobs


def sent_to_subject(subject: str):
    [message] = [m for m in mail.outbox if m.subject == subject]
    return message


@pytest.mark.django_db
def test_the_logo_is_public_only_with_the_branded_space_option(org_a):
    with tenant_context(org_a):
        org_a.logo.save("logo.png", png_logo(), save=False)
        org_a.save(update_fields=["logo"])
    anonymous = Client(HTTP_HOST=host_of(org_a))
    answer = anonymous.get("/brand/logo/?v=1")
    assert answer.status_code == 200 and answer["Content-Type"] == "image/png"
    assert b"".join(answer.streaming_content).startswith(b"\x89PNG")
    Subscription.objects.filter(organisation=org_a).update(options=[])
    assert anonymous.get("/brand/logo/").status_code == 404


@pytest.mark.django_db
def test_a_pale_brand_colour_keeps_the_button_readable():
    from tenants.email_html import contrast, readable_colours

    background, text, link = readable_colours("#ffe36e")
    assert background == "#ffe36e" and text == "#000000"
    assert contrast(background, text) >= 4.5 and link != "#ffe36e"


CALENDAR = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Fullmobs//fullmobs//\r\n"
            "METHOD:{method}\r\nBEGIN:VEVENT\r\nUID:pledge-1@fullmobs\r\n"
            "DTSTAMP:20270601T090000Z\r\nDTSTART:20270612T073000Z\r\n"
            "SUMMARY:Beach\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_calendar_invitation_is_an_alternative_and_an_attachment(org_a, method):
    with tenant_context(org_a):
        person = ParticipantFactory(email="noe@example.test", language="fr")
        row = outbox.email_queue(kind="pledge_confirmed", dedupe_key=f"t:cal:{method}",
                                 to_email=person.email, subject="Cal", body="Bonjour",
                                 participant=person, calendar=CALENDAR.format(method=method))
        outbox.email_deliver(email_id=row.pk, attempt=0)
    mime = sent_to_subject("Cal").message()
    assert mime.get_content_type() == "multipart/mixed"
    alternative, attachment = mime.get_payload()
    assert [p.get_content_type() for p in alternative.get_payload()] == [
        "text/plain", "text/html", "text/calendar"]
    invitation = alternative.get_payload()[2]
    assert invitation.get_param("method") == method
    assert invitation.get_content_charset() == "utf-8"
    assert invitation["Content-Disposition"] is None  # read inline, as an invitation
    assert f"METHOD:{method}" in invitation.get_payload(decode=True).decode()
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == method
    assert attachment.get_filename() == "invite.ics"


@pytest.mark.django_db
@override_settings(EMAIL_CALENDAR_ALTERNATIVE=False)
def test_through_a_provider_api_the_calendar_is_the_attachment_alone(org_a):
    with tenant_context(org_a):
        row = outbox.email_queue(kind="pledge_confirmed", dedupe_key="t:cal:api",
                                 to_email="zoe@example.test", subject="Cal", body="Hi",
                                 calendar=CALENDAR.format(method="REQUEST"))
        outbox.email_deliver(email_id=row.pk, attempt=0)
    [message] = mail.outbox
    assert [a.mimetype for a in message.alternatives] == ["text/html"]
    assert [part.get_filename() for part in message.attachments] == ["invite.ics"]


@pytest.mark.django_db
def test_nothing_is_sent_to_an_address_that_bounced(org_a, eager):
    with tenant_context(org_a):
        person = ParticipantFactory(email="gone@example.test", language="fr")
        EmailDeliverability.objects.create(
            email="gone@example.test", undeliverable_since=timezone.now(),
            reason=EmailDeliverability.Reason.HARD_BOUNCE)
        # Queued after the bounce: kept as a row, never sent.
        row = outbox.email_queue(kind="reminder_d1", dedupe_key="t:gone",
                                 to_email="Gone@Example.test", subject="S", body="B",
                                 participant=person)
        assert row.status == OutboundEmail.Status.BOUNCED
        assert row.get_status_display() == "Not sent (address bounced)"
        # Queued before the bounce, sent after it: skipped at delivery.
        other = ParticipantFactory(email="late@example.test", language="fr")
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(outbox, "_send_on_commit", lambda *a, **k: None)
            late = outbox.email_queue(kind="reminder_d1", dedupe_key="t:late",
                                      to_email=other.email, subject="S", body="B",
                                      participant=other)
        EmailDeliverability.objects.create(
            email="late@example.test", undeliverable_since=timezone.now(),
            reason=EmailDeliverability.Reason.COMPLAINT)
        assert outbox.email_deliver(email_id=late.pk, attempt=0) is None
        late.refresh_from_db()
        assert late.status == OutboundEmail.Status.BOUNCED
    assert mail.outbox == []


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "label"), [("fr", "Choisissez un nouveau mot de passe"),
                                             ("en", "Choose a new password")])
def test_account_emails_are_html_in_fullmobs_frame(org_a, owner_a, lang, label):
    """A password reset, as one account e-mail: the HTML part, Fullmobs' name, the link
    as its button, in the language of the page it was asked from."""
    client = Client(HTTP_HOST=host_of(org_a))
    assert client.post("/accounts/password-reset/", {"email": owner_a.email},
                       HTTP_ACCEPT_LANGUAGE=lang).status_code == 302
    [message] = mail.outbox
    html = html_of(message)
    link = re.search(r"(https?://\S+/accounts/reset/\S+/)", message.body).group(1)
    assert f'<html lang="{lang}"' in html and ">Fullmobs</p>" in html
    assert re.search(r'<a class="fm-button" href="([^"]+)"[^>]*>([^<]+)</a>',
                     html).groups() == (link, label)


def test_the_html_part_is_the_text_escaped_with_its_links_and_button():
    from tenants.email_html import Brand, email_html

    body = ("Hello <Ana> & co,\n\nYour page: https://x.example/me/tok/\n"
            "Not you? Cancel with the link above.\n\n"
            "Read more at https://x.example/c/abc?i=1. Thanks\n"
            "javascript:alert(1)\n\n-- \nStop: https://x.example/me/tok/unsubscribe/\n")
    html = email_html(subject="S <i>", body=body, language="en", brand=Brand(name="A & B"),
                      action_url="https://x.example/me/tok/", action_label="Open <it>")
    assert "&lt;Ana&gt; &amp; co" in html and "<title>S &lt;i&gt;</title>" in html
    assert ">A &amp; B</p>" in html and ">Open &lt;it&gt;</a>" in html
    # The button comes right under its sentence, before the line that points "above".
    assert html.index("Your page:") < html.index('class="fm-button"') \
        < html.index("Cancel with the link above")
    assert 'href="https://x.example/c/abc?i=1"' in html  # the full stop stays text
    assert "javascript:" in html and 'href="javascript' not in html
    assert '<a href="https://x.example/me/tok/unsubscribe/"' in html and ">Stop</a>" in html
    # A text that does not give the link still gets its button, at the end.
    alone = email_html(subject="S", body="Hi", language="fr", brand=Brand(name="A"),
                       action_url="https://x.example/go/", action_label="Go")
    assert 'class="fm-button" href="https://x.example/go/"' in alone


def test_the_inbox_preview_is_escaped_once():
    import re

    from tenants.email_html import Brand, email_html

    body = "Hello Ana,\n\nThe action 'Beach <clean-up>' starts tomorrow & lasts 2 hours.\n"
    html = email_html(subject="S", body=body, language="en", brand=Brand(name="A"))
    [preview] = re.findall(r'aria-hidden="true">([^<]*)</div>', html)
    assert "&amp;#x27;" not in preview and "&amp;lt;" not in preview
    assert preview == ("The action &#x27;Beach &lt;clean-up&gt;&#x27; starts tomorrow "
                       "&amp; lasts 2 hours.")
