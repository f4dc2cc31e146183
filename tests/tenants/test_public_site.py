"""The public site as a visitor reads it: pricing from the catalogue in their language, a
picture of the product, a way to ask for a demo or an offer, and the accessibility
statement."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.core import mail

from billing.models import OfferRequest
from tenants.models import User

from ..conftest import public_client, tenant_client

NBSP = "\xa0"


def read(url: str, lang: str = "en", client=None) -> str:
    response = (client or public_client()).get(url, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def heading_levels(page: str) -> list[int]:
    return [int(level) for level in re.findall(r"<h([1-6])\b", page)]


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_landing_headings_go_down_one_level_at_a_time(lang):
    levels = heading_levels(read("/", lang))
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels
    assert 2 in levels


@pytest.mark.django_db
def test_landing_shows_pricing_from_the_catalogue_in_each_language():
    english = read("/", "en")
    assert "Pricing" in english and "Essential" in english and "Professional" in english
    assert "€290 a month" in english and "or €2,900 a year" in english
    assert "Prices exclude VAT" in english
    assert 'href="/pricing/"' in english and 'href="/demo/"' in english
    french = read("/", "fr")
    assert "Tarifs" in french and "Essentiel" in french and "Professionnel" in french
    assert f"290{NBSP}€ par mois" in french and f"ou 2{NBSP}900{NBSP}€ par an" in french
    assert "€290" not in french


@pytest.mark.django_db
@pytest.mark.parametrize("lang,alt", [
    ("en", "A Fullmobs programme dashboard"),
    ("fr", "Le tableau de bord d’un programme Fullmobs"),
])
def test_landing_shows_a_picture_of_the_product_with_a_text_alternative(lang, alt):
    page = read("/", lang)
    image = re.search(r'<img src="/static/(img/dashboard-[a-z]+\.png)"[^>]*alt="([^"]+)"',
                      page)
    assert image, page
    assert image.group(2).startswith(alt)
    path = finders.find(image.group(1))
    assert path, image.group(1)
    with open(path, "rb") as picture:
        assert picture.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.django_db
def test_pricing_page_lists_every_plan_and_option_with_vat_in_both_languages():
    english = read("/pricing/", "en")
    for text in ("Essential", "Professional", "Territory / Enterprise", "Lever analytics",
                 "Branded space", "Consultant-commented impact report", "Extra participants",
                 "Accompaniment hours pack", "€0.20 per extra active participant a month",
                 "€1,900 a month", "€90 a month", "exclude VAT", "excl. VAT"):
        assert text in english, text
    assert heading_levels(english)[:2] == [1, 2]
    french = read("/pricing/", "fr")
    for text in ("Essentiel", "Professionnel", "Territoire / Entreprise", "Analyse des leviers",
                 f"0,20{NBSP}€ par participant actif supplémentaire", f"1{NBSP}900{NBSP}€",
                 "HT", "TVA"):
        assert text in french, text
    assert "€" + "0.20" not in french


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_demo_form_asks_what_it_needs(lang):
    page = read("/demo/", lang)
    for name in ("kind", "name", "organisation_name", "email", "message"):
        assert f'name="{name}"' in page, name
    assert re.search(r'value="demo"[^>]*checked', page)
    assert re.search(r'value="offer"[^>]*checked', read("/demo/?kind=offer", lang))


@pytest.mark.django_db
def test_a_demo_request_is_stored_and_staff_told_after_commit(
        eager, django_capture_on_commit_callbacks):
    User.objects.create_user(email="sales@fullmobs.test", password="x-long-password-1",
                             is_staff=True)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = public_client().post("/demo/", {
            "kind": "demo", "name": "Ana Lopez", "organisation_name": "Ville de Test",
            "email": "Ana@Ville-Test.example", "message": "Un programme de verdissement."},
            HTTP_ACCEPT_LANGUAGE="fr")
        assert response.status_code == 302 and response["Location"] == "/demo/thanks/?kind=demo"
        assert mail.outbox == []
    record = OfferRequest.objects.get()
    assert (record.kind, record.name, record.organisation_name, record.email,
            record.language, record.organisation) == (
        "demo", "Ana Lopez", "Ville de Test", "ana@ville-test.example", "fr", None)
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [["sales@fullmobs.test"]]
    assert "Ville de Test" in mail.outbox[0].subject
    assert "Un programme de verdissement." in mail.outbox[0].body
    thanks = read("/demo/thanks/?kind=demo", "fr")
    assert "Merci" in thanks and "deux jours ouvrés" in thanks
    assert "démonstration" in thanks and "devis" not in thanks
    offer = read("/demo/thanks/?kind=offer", "fr")  # says what comes for what was asked
    assert "devis" in offer and "démonstration" not in offer.split("<main")[1]


@pytest.mark.django_db
def test_demo_request_errors_name_their_field_and_store_nothing():
    response = public_client().post("/demo/", {"kind": "demo", "name": " ",
                                               "organisation_name": "",
                                               "email": "nobody"})
    assert response.status_code == 400
    page = response.content.decode()
    for field, message in (("name", "Enter your name."),
                           ("organisation_name", "Enter the name of your organisation."),
                           ("email", "Enter a valid e-mail address, such as name@example.org.")):
        errors = re.search(rf'<div class="errorlist" id="id_{field}_errors"[^>]*>(.*?)</div>',
                           page, re.S)
        assert errors and message in errors.group(1), field
        assert f'aria-describedby="id_{field}_errors"' in page, field
    assert 'aria-invalid="true"' in page
    french = public_client().post("/demo/", {"kind": "demo"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert "Saisissez votre nom." in french.content.decode()
    assert not OfferRequest.objects.exists()


@pytest.mark.django_db
def test_demo_requests_are_throttled_per_address(settings):
    settings.DEMO_REQUEST_RATE_LIMIT = "2/hour"
    client = public_client()
    data = {"kind": "offer", "name": "A", "organisation_name": "B", "email": "a@b.example"}
    assert [client.post("/demo/", data).status_code for _ in range(3)] == [302, 302, 429]
    assert OfferRequest.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("lang,texts", [
    ("en", ["Accessibility statement", "partially compliant", "RGAA 4.1.2", "axe-core",
            "Not tested yet", "Défenseur des droits", "mailto:"]),
    ("fr", ["Déclaration d’accessibilité", "partiellement conforme", "RGAA 4.1.2", "axe-core",
            "Pas encore testé", "Défenseur des droits", "mailto:"]),
])
def test_accessibility_statement_is_honest_and_linked_from_every_footer(lang, texts, org_a,
                                                                       owner_a):
    page = read("/accessibility/", lang)
    for text in texts:
        assert text in page, text
    levels = heading_levels(page)
    assert levels[0] == 1 and max(levels) == 2
    footer_link = re.compile(r'<footer.*href="http://[^"]+/accessibility/"', re.S)
    assert footer_link.search(read("/", lang))
    assert footer_link.search(read("/", lang, client=tenant_client(org_a, owner_a)))
