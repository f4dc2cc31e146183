"""The value of time and sharing, walked as people do.

A CSR manager at 1,366 px, in French, opens "Valeur du temps" from the menu, reads the
hours given and their value in euros (the dashboard says the same), and downloads the CSRD
figures as a CSV. An employee on a phone (390 px, English) finds the campaign widget framed
in an intranet page, with its join button opening the campaign in a new tab; the campaign
page itself refuses to be framed. The manager prints an invitation poster (one A4 sheet,
a QR code the browser shows), and a person who comes through its address is counted as the
QR poster channel on the levers page. Every page read is checked."""

from __future__ import annotations

import csv
import io
import os
import re
import threading
import uuid
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from billing.catalogue import options
from billing.models import Subscription
from engagement.models import Campaign, Channel, Participant, Pledge, Slot
from engagement.services.value import skill_create, slot_set_skill, time_valuation_update
from tenants.models import Organisation
from tenants.services import organisation_provision
from tests.conftest import PASSWORD, drop_organisation
from tests.e2e.journey import check_page, tenant_url
from tests.e2e.journeys.test_accessibility import _OVERFLOWING, _SMALL_TARGETS
from tests.factories import CampaignFactory, ProgrammeFactory, make_campaign

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("JOURNEY_SHOTS")


# True when every period label's text ends above (or left of) its date input.
_LABELS_CLEAR = """() => [...document.querySelectorAll('.period-form label')].every(l => {
  const range = document.createRange(); range.selectNodeContents(l.firstChild);
  const text = range.getBoundingClientRect();
  const input = l.querySelector('input').getBoundingClientRect();
  return text.bottom <= input.top + 1 || text.right <= input.left + 1; })"""
# True when the settings summary's text stays clear of its chevron (1 rem at the right).
_SUMMARY_CLEAR = """() => { const s = document.querySelector('.value-settings > summary');
  const range = document.createRange(); range.selectNodeContents(s);
  const chevron = parseFloat(getComputedStyle(s, '::after').width) || 16;
  return range.getBoundingClientRect().right <= s.getBoundingClientRect().right - chevron; }"""


def read(page, name: str) -> None:
    check_page(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/value-{name}.png", full_page=True)


@pytest.fixture
def space(django_db_blocker):
    """A French company: hour value 15 €, 120 employees; yesterday's internal "Journée
    solidaire", its slot given as skills-based volunteering (Comptabilité, 45 €/h): six
    people of the Lyon site gave 2 h each (540 €). And an open public campaign."""
    slug = f"valeur-{uuid.uuid4().hex[:6]}"
    with django_db_blocker.unblock():
        organisation = organisation_provision(
            name="Lumière Alimentaire", slug=slug, owner_email=f"rse@{slug}.example",
            owner_password=PASSWORD, owner_name="Claire Dubois", locale="fr",
            kind="company")
        # Its employees' addresses are at its verified domain (the CSRD figures count them).
        organisation.allowed_email_domains = [f"{slug}.example"]
        organisation.save(update_fields=["allowed_email_domains"])
        # Paying for every option, the lever analysis among them.
        Subscription.objects.create(organisation=organisation, plan="territory",
                                    options=sorted(options()), stripe_status="active")
        with tenant_context(organisation):
            time_valuation_update(hour_value=Decimal("15"), basis="salary_cost",
                                  workforce_size=120)
            skill = skill_create(name="Comptabilité", hourly_rate=Decimal("45"))
            start = timezone.now() - timedelta(days=1)
            programme = ProgrammeFactory(name="Engagement 2026")
            done = CampaignFactory(programme=programme, title="Journée solidaire",
                                   starts_at=start, status=Campaign.Status.COMPLETED,
                                   mobilisation_deadline=start - timedelta(days=2),
                                   visibility=Campaign.Visibility.INTERNAL)
            slot = Slot.objects.create(campaign=done, starts_at=done.starts_at,
                                       ends_at=done.ends_at, capacity=20)
            slot_set_skill(slot=slot, skill=skill)
            for index in range(6):
                person = Participant.objects.create(email=f"p{index}@{slug}.example",
                                                    first_name=f"P{index}", site="Lyon")
                Pledge.objects.create(slot=slot, participant=person, status="confirmed",
                                      attendance="attended", hours_given=Decimal(2))
            campaign = make_campaign(capacity=40, target=12, programme=programme)
    yield organisation, campaign
    with django_db_blocker.unblock():
        drop_organisation(Organisation.objects.get(pk=organisation.pk))


def log_in(page, base: str, email: str, lang: str) -> None:
    page.goto(f"{base}/")
    page.get_by_label("Adresse e-mail" if lang == "fr" else "E-mail address").fill(email)
    page.get_by_label("Mot de passe" if lang == "fr" else "Password").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter" if lang == "fr" else "Log in").click()
    page.wait_for_url(f"{base}/")


def test_csr_manager_reads_the_value_of_time_and_downloads_the_csrd_figures(
        live_url, open_person, space):
    organisation, _campaign = space
    base = tenant_url(live_url, organisation.slug)
    page = open_person(lang="fr", device="desktop")
    log_in(page, base, f"rse@{organisation.slug}.example", "fr")

    page.get_by_text("Plus", exact=True).click()
    page.get_by_role("link", name="Valeur du temps").click()
    page.wait_for_url(f"{base}/value/")
    read(page, "1366-fr-1-value")
    text = re.sub(r"[ \t\n]+", " ", page.locator("main").inner_text())
    assert "15,00\u00a0€" in text and "Coût salarial horaire moyen" in text
    assert "Comptabilité" in text and "45,00\u00a0€" in text
    assert "6 salariés ont participé" in text
    assert "5\u00a0% de l’effectif (120 salariés)" in text
    assert "540,00\u00a0€ valeur des heures des salariés, effectifs propres" in text
    assert "540,00\u00a0€ valeur de toutes les heures données" in text
    assert "du 1er janvier" in text
    # Each period label sits above its date input, never over it.
    assert page.evaluate(_LABELS_CLEAR), "a period label overlaps its date input"

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Télécharger les chiffres CSRD (CSV)").click()
    download = download_info.value
    assert re.fullmatch(r"csrd-s1-\d{8}-\d{8}\.csv", download.suggested_filename)
    rows = list(csv.DictReader(io.StringIO(
        Path(download.path()).read_text(encoding="utf-8-sig")), delimiter=";"))
    assert [(row["Groupe"], row["Salariés ayant participé"], row["Heures données"],
             row["Valeur des heures données (€)"]) for row in rows] == [
        ("", "6", "12,0", "540,0"), ("Lyon", "6", "12,0", "540,0")]

    # The dashboard values the same hours the same way.
    page.get_by_role("link", name="Tableau de bord").click()
    read(page, "1366-fr-2-dashboard")
    assert "540,00\u00a0€" in page.locator("main").inner_text()


def test_employee_on_a_phone_sees_the_widget_in_the_intranet(live_url, open_person, space):
    organisation, campaign = space
    base = tenant_url(live_url, organisation.slug)
    widget_url = f"{base}/c/{campaign.code}/widget/?lang=en"
    page = open_person(lang="en", device="phone")
    page.goto(widget_url)
    read(page, "390-en-1-widget")
    assert page.get_by_text("0 people committed out of 12 needed").is_visible()

    # An intranet page (another origin, served from this machine) frames it; the campaign
    # page itself refuses to be framed.
    body = ("<!doctype html><html lang='en'><head><meta name='viewport' "
            "content='width=device-width, initial-scale=1'><title>News</title></head>"
            f"<body><h1>Our news</h1><iframe id='w' src='{widget_url}' title='Campaign' "
            "width='100%' height='240' style='border:0'></iframe>"
            f"<iframe id='p' src='{base}/c/{campaign.code}/' title='Page'></iframe>"
            "</body></html>").encode()

    class Intranet(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the standard library's name
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Intranet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page.goto(f"http://127.0.0.1:{server.server_port}/news")
        page.wait_for_load_state("load")
    finally:
        server.shutdown()
    widget = page.frame_locator("#w")
    join = widget.get_by_role("link", name=re.compile("I'm in"))
    join.wait_for()
    assert join.get_attribute("target") == "_blank"
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/value-390-en-2-intranet.png", full_page=True)
    framed_page = page.frame_locator("#p")
    # X-Frame-Options: DENY: the browser shows its own error page instead.
    assert "Beach clean-up" not in framed_page.locator("body").inner_text()
    assert any(frame.url.startswith("chrome-error:") for frame in page.frames)
    with page.context.expect_page() as new_tab:
        join.click()
    opened = new_tab.value
    opened.wait_for_load_state()
    assert opened.url.startswith(f"{base}/c/{campaign.code}/")
    read(opened, "390-en-3-campaign-page")


def test_manager_prints_an_invitation_poster_counted_as_the_poster_channel(
        live_url, open_person, space, django_db_blocker):
    organisation, campaign = space
    base = tenant_url(live_url, organisation.slug)
    page = open_person(lang="fr", device="desktop")
    log_in(page, base, f"rse@{organisation.slug}.example", "fr")
    page.goto(f"{base}/campaigns/{campaign.pk}/")
    read(page, "1366-fr-3-campaign-share")
    page.get_by_label("Affiche d’invitation avec QR code\u00a0: le levier qu’elle utilise"
                      ).select_option(label="Impact local et concret")
    page.get_by_role("button", name="Imprimer une affiche d’invitation").click()
    page.wait_for_url(re.compile(rf"{re.escape(base)}/campaigns/{campaign.pk}/"
                                 r"invitation-poster/\d+/$"))
    read(page, "1366-fr-4-poster")
    poster = page.locator("article.poster")
    assert "Scannez pour vous inscrire" in poster.inner_text()
    qr = poster.locator("img.poster-qr")
    qr.wait_for()
    assert page.evaluate("(img) => img.complete && img.naturalWidth", qr.element_handle()) > 0
    address = poster.locator(".poster-address").inner_text()
    assert "?i=" in address
    # The QR code on its own is an image the browser shows, not XML text.
    qr_page = page.context.new_page()
    qr_page.goto(base + qr.get_attribute("src"))
    assert qr_page.evaluate("() => document.contentType") == "image/svg+xml"
    assert qr_page.evaluate("() => document.documentElement.localName") == "svg"
    qr_page.close()
    page.emulate_media(media="print")
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    assert re.search(rb"/MediaBox\s*\[\s*0 0 59[45][.\d]* 84[12][.\d]*\s*\]", pdf)

    # Someone scans it with their phone and signs up.
    phone = open_person(lang="fr", device="phone")
    phone.goto(address)
    phone.get_by_label("Adresse e-mail").fill("scan@poster.example")
    phone.get_by_label("Prénom", exact=True).fill("Sam")
    phone.locator("input[name=slots]").first.check()
    phone.get_by_role("button", name="Donner mon temps").click()
    phone.wait_for_load_state()
    with django_db_blocker.unblock(), tenant_context(organisation):
        pledge = Pledge.objects.get(participant__email="scan@poster.example")
        assert pledge.invitation.channel == Channel.QR_POSTER

    page.emulate_media(media="screen")
    page.goto(f"{base}/levers/")
    read(page, "1366-fr-5-levers")
    assert page.get_by_role("cell", name="Affiche avec QR code").count() >= 1


def test_the_value_page_fits_a_phone_in_english_and_gives_the_statement(
        live_url, open_person, space):
    organisation, campaign = space
    base = tenant_url(live_url, organisation.slug)
    page = open_person(lang="en", device="phone")
    log_in(page, base, f"rse@{organisation.slug}.example", "en")
    page.goto(f"{base}/value/")
    read(page, "390-en-4-value")
    # Nothing sticks out of the phone's screen; every target is large enough (WCAG 2.5.8).
    for width in (390, 360):
        page.set_viewport_size({"width": width, "height": 800})
        assert not page.evaluate(_OVERFLOWING), page.evaluate(_OVERFLOWING)
        assert not page.evaluate(_SMALL_TARGETS), page.evaluate(_SMALL_TARGETS)
    page.set_viewport_size({"width": 390, "height": 844})
    text = re.sub(r"[ \t\n]+", " ", page.locator("main").inner_text())
    assert "€15.00" in text and "6 employees took part" in text
    assert "€540.00 value of the employees' hours, own workforce" in text
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Statement of skills-based volunteering (PDF)"
                         ).click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    assert Path(download.path()).read_bytes().startswith(b"%PDF")
    # The campaign page, on the phone, with its share tools.
    page.goto(f"{base}/campaigns/{campaign.pk}/")
    read(page, "390-en-5-campaign")
    assert not page.evaluate(_OVERFLOWING), page.evaluate(_OVERFLOWING)
    assert page.get_by_label("Widget for an intranet page: copy this code into the page"
                             ).input_value().startswith("<iframe src=")


def test_the_value_page_on_a_french_phone_keeps_its_summary_clear(live_url, open_person, space):
    organisation, _campaign = space
    base = tenant_url(live_url, organisation.slug)
    page = open_person(lang="fr", device="phone")
    log_in(page, base, f"rse@{organisation.slug}.example", "fr")
    page.goto(f"{base}/value/")
    read(page, "390-fr-value")
    assert page.evaluate(_SUMMARY_CLEAR), "the summary runs into its chevron"
    assert page.evaluate(_LABELS_CLEAR), "a period label overlaps its date input"
    assert "Changer la valeur d’une heure ou l’effectif" in page.locator("main").inner_text() \
        or "Changer la valeur d'une heure ou l'effectif" in page.locator("main").inner_text()
