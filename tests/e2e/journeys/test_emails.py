"""E-mails as people read them, and the addresses that bounce as organisers see them.

A participant joins a campaign; the confirmation e-mail the outbox sends is opened in
Chromium (its HTML part, a whole document with its language) on a phone (390 px) and on a
desktop (1,366 px), in French and in English, with the organisation's logo and colour and
in Fullmobs' frame: it fits the screen, passes axe, has no English left in French, and its
button opens the participant's own page. Then an organiser, on a desktop, filters the
participants whose address bounced, reads why and since when, and clears one mark."""

import io
import os
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django_tenants.utils import tenant_context
from PIL import Image

from billing.models import Subscription
from engagement import links
from engagement.models import EmailDeliverability, OutboundEmail, Participant
from engagement.services import campaign_join
from tenants.models import Organisation
from tenants.services import organisation_provision
from tests.conftest import PASSWORD, drop_organisation
from tests.e2e.journey import check_page, tenant_url
from tests.factories import make_campaign

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("JOURNEY_SHOTS")

T = {
    "en": {"button": "See my pledges", "hello": "Hello,", "subject": "You’re in: ",
           "unsubscribe": "Stop receiving our e-mails", "since": "since",
           "email": "E-mail address", "password": "Password", "log_in": "Log in",
           "delivery": "E-mail delivery", "only": "Undeliverable",
           "filter": "Filter", "undeliverable": "Undeliverable",
           "bounce": "The address does not exist (bounce)",
           "spam": "The person marked an e-mail as spam", "clear": "Clear the mark",
           "cleared": "E-mails will be sent to {email} again."},
    "fr": {"button": "Voir mes engagements", "hello": "Bonjour,", "subject": "C’est noté",
           "unsubscribe": "Ne plus recevoir nos e-mails", "since": "depuis le",
           "email": "Adresse e-mail", "password": "Mot de passe", "log_in": "Se connecter",
           "delivery": "Distribution des e-mails", "only": "En erreur",
           "filter": "Filtrer", "undeliverable": "En erreur",
           "bounce": "L’adresse n’existe pas (rejet définitif)",
           "spam": "La personne a signalé un e-mail comme indésirable",
           "clear": "Lever le marquage",
           "cleared": "Les e-mails seront de nouveau envoyés à {email}."},
}


def png(colour: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (160, 48), colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def space(django_db_blocker, request):
    """An organisation in the reader's language with an open campaign; branded (logo and
    colour, every option) or not (no option)."""
    lang, branded = request.node.callspec.params["lang"], request.node.callspec.params["branded"]
    slug = f"mail-{lang}-{uuid.uuid4().hex[:6]}"
    with django_db_blocker.unblock():
        organisation = organisation_provision(
            name="Ville de Brest" if lang == "fr" else "Brest Harbour Ltd", slug=slug,
            owner_email=f"lead@{slug}.example", owner_password=PASSWORD,
            owner_name="Léa Organiser", locale=lang,
            kind="local_authority" if lang == "fr" else "company")
        from billing.catalogue import options
        Subscription.objects.update_or_create(
            organisation=organisation, defaults={
                "plan": "territory", "stripe_status": "active",
                "options": sorted(options()) if branded else []})
        with tenant_context(organisation):
            if branded:
                from django.core.files.base import ContentFile
                organisation.brand_colour = "#7a1fa2"
                organisation.logo.save("logo.png", ContentFile(png("#7a1fa2")), save=False)
                organisation.save(update_fields=["brand_colour", "logo"])
            campaign = make_campaign(capacity=20, target=8)
    yield organisation, campaign
    with django_db_blocker.unblock():
        drop_organisation(Organisation.objects.get(pk=organisation.pk))


@pytest.mark.parametrize("branded", [True, False])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_confirmation_email_reads_well_on_a_phone_and_a_desktop(
        open_person, space, lang, branded, django_db_blocker, eager):
    organisation, campaign = space
    t = T[lang]
    address = f"ana@{organisation.slug}.example"
    with django_db_blocker.unblock(), tenant_context(organisation):
        mail.outbox.clear()
        campaign_join(campaign=campaign, email=address, language=lang,
                      slot_ids=[campaign.slots.get().pk])
        row = OutboundEmail.objects.get(to_email=address, kind="pledge_confirmed")
        manage = links.manage_url(Participant.objects.get(email=address))
    assert row.status == "sent"
    [message] = [m for m in mail.outbox if m.to == [address]]
    [html] = [a.content for a in message.alternatives if a.mimetype == "text/html"]
    assert html.startswith("<!DOCTYPE html>") and f'<html lang="{lang}"' in html

    for device, width in (("phone", 390), ("desktop", 1366)):
        page = open_person(lang=lang, device=device)
        # The logo is fetched from the organisation's site, as a mail client would.
        page.route("**/brand/logo/**", lambda route: route.fulfill(
            status=200, content_type="image/png", body=png("#7a1fa2")))
        page.set_content(html, wait_until="load")
        check_page(page)
        assert page.title().startswith(t["subject"])
        button = page.get_by_role("link", name=t["button"])
        # Tokens are signed with the time: the same address, naming the same person.
        href = button.get_attribute("href")
        assert href.split("/me/")[0] == manage.split("/me/")[0]
        with django_db_blocker.unblock(), tenant_context(organisation):
            named = links.participant_from_token(href.split("/me/")[1].split("/")[0])
            assert named is not None and named.email == address
            assert links.address_proven(named, parse_qs(urlsplit(href).query)["a"][0])
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width and box["height"] >= 40
        assert page.get_by_role("link", name=t["unsubscribe"]).count() == 1
        logo = page.get_by_role("img", name=organisation.name)
        if branded:
            assert logo.count() == 1 and page.evaluate(
                "() => document.querySelector('img').naturalWidth") == 160
        else:
            assert logo.count() == 0
            assert page.get_by_text("Fullmobs", exact=False).count() >= 1
        if SHOTS:
            kind = "branded" if branded else "fullmobs"
            page.screenshot(path=f"{SHOTS}/email-confirmation-{kind}-{width}-{lang}.png",
                            full_page=True)


@pytest.fixture
def bounced(django_db_blocker, request):
    lang = request.node.callspec.params["lang"]
    slug = f"bounce-{lang}-{uuid.uuid4().hex[:6]}"
    with django_db_blocker.unblock():
        organisation = organisation_provision(
            name="Ville de Brest" if lang == "fr" else "Brest Harbour Ltd", slug=slug,
            owner_email=f"lead@{slug}.example", owner_password=PASSWORD,
            owner_name="Léa Organiser", locale=lang)
        with tenant_context(organisation):
            for local, first in (("ana", "Ana"), ("bob", "Bob"), ("chloe", "Chloé")):
                Participant.objects.create(email=f"{local}@{slug}.example", first_name=first,
                                           last_name="Martin", consent_to_contact=True)
            from django.utils import timezone
            EmailDeliverability.objects.create(
                email=f"bob@{slug}.example", undeliverable_since=timezone.now(),
                reason=EmailDeliverability.Reason.HARD_BOUNCE, detail="550 User unknown")
            EmailDeliverability.objects.create(
                email=f"chloe@{slug}.example", undeliverable_since=timezone.now(),
                reason=EmailDeliverability.Reason.COMPLAINT)
    yield organisation
    with django_db_blocker.unblock():
        drop_organisation(Organisation.objects.get(pk=organisation.pk))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_an_organiser_sees_the_addresses_that_bounce_and_clears_one(
        live_url, open_person, bounced, lang):
    t = T[lang]
    organisation = bounced
    base = tenant_url(live_url, organisation.slug)
    page = open_person(lang=lang, device="desktop")
    page.goto(f"{base}/participants/")
    page.get_by_label(t["email"]).fill(f"lead@{organisation.slug}.example")
    page.get_by_label(t["password"]).fill(PASSWORD)
    page.get_by_role("button", name=t["log_in"]).click()
    page.wait_for_url(f"{base}/participants/")
    check_page(page)
    page.get_by_label(t["delivery"]).select_option(label=t["only"])
    page.get_by_role("button", name=t["filter"]).click()
    page.wait_for_url("**delivery=undeliverable**")
    check_page(page)
    rows = page.locator("tbody tr")
    assert rows.count() == 2
    bob = rows.filter(has_text=f"bob@{organisation.slug}.example")
    assert t["undeliverable"] in bob.inner_text() and t["bounce"] in bob.inner_text()
    assert t["since"] in bob.inner_text()
    assert t["spam"] in rows.filter(has_text="chloe@").inner_text()
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/participants-undeliverable-1366-{lang}.png",
                        full_page=True)
    bob.get_by_role("button", name=t["clear"]).click()
    page.wait_for_load_state("load")
    check_page(page)
    page.get_by_text(t["cleared"].format(email=f"bob@{organisation.slug}.example")).wait_for()
    assert page.locator("tbody tr").count() == 1
    # The same list on a phone, as an organiser on site reads it.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    check_page(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/participants-undeliverable-390-{lang}.png",
                        full_page=True)
