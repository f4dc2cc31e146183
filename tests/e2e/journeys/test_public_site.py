"""A visitor on the public site, on a desktop (1,366 px) and a phone (390 px), in English and
in French: reads the landing page (a picture of the product, prices), the pricing page and
the accessibility statement, then asks for a demo — first with mistakes, which the form
names field by field, then properly — and reads the thanks page. Staff get the request."""

import os

import pytest

from billing.models import OfferRequest
from tests.e2e.journey import check_page

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("JOURNEY_SHOTS")
NBSP = "\u00a0"

T = {
    "en": {
        "h1": "Mobilise your people around short, concrete actions",
        "alt": "A Fullmobs programme dashboard", "pricing": "Pricing",
        "price": "€290 a month", "all_prices": "All prices and paid options",
        "metered": "€0.20 per extra active participant a month", "vat": "exclude VAT",
        "footer": "Accessibility: partially compliant", "statement": "Accessibility statement",
        "status": "partially compliant", "demo": "Request a demo",
        "form_h1": "Request a demo or an offer", "name": "Your name",
        "organisation": "Organisation", "email": "Work e-mail", "message": "Message (optional)",
        "send": "Send my request", "name_error": "Enter your name.",
        "email_error": "Enter a valid e-mail address, such as name@example.org.",
        "thanks": "Thank you, your request is on its way", "offer": "An offer (a quote)",
    },
    "fr": {
        "h1": "Mobilisez vos équipes et vos habitants autour d’actions courtes et concrètes",
        "alt": "Le tableau de bord d’un programme Fullmobs", "pricing": "Tarifs",
        "price": f"290{NBSP}€ par mois", "all_prices": "Tous les tarifs et les options payantes",
        "metered": f"0,20{NBSP}€ par participant actif supplémentaire et par mois",
        "vat": "hors taxes", "footer": f"Accessibilité{NBSP}: partiellement conforme",
        "statement": "Déclaration d’accessibilité", "status": "partiellement conforme",
        "demo": "Demander une démonstration",
        "form_h1": "Demander une démonstration ou une offre", "name": "Votre nom",
        "organisation": "Structure", "email": "E-mail professionnel",
        "message": "Message (facultatif)", "send": "Envoyer ma demande",
        "name_error": "Saisissez votre nom.",
        "email_error": "Saisissez une adresse e-mail valide, par exemple nom@exemple.fr.",
        "thanks": "Merci, votre demande est bien partie", "offer": "Une offre (un devis)",
    },
}


def read(page, lang: str, device: str, name: str) -> None:
    check_page(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/public-{device}-{lang}-{name}.png", full_page=True)


def heading_levels(page) -> list[int]:
    return page.evaluate(
        "() => [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')]"
        ".map((h) => Number(h.tagName[1]))")


@pytest.mark.parametrize("device", ["desktop", "phone"])
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_visitor_reads_the_site_and_requests_a_demo(live_url, open_person, django_db_blocker,
                                                    lang, device):
    t = T[lang]
    page = open_person(lang=lang, device=device)
    organisation = f"Visitor {lang} {device}"

    page.goto(f"{live_url}/")
    read(page, lang, device, "1-landing")
    assert page.get_by_role("heading", level=1).inner_text().strip() == t["h1"]
    levels = heading_levels(page)
    assert levels[0] == 1 and all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False))
    picture = page.locator(".product-shot img")
    assert picture.get_attribute("alt").startswith(t["alt"])
    picture.scroll_into_view_if_needed()
    assert page.evaluate("(img) => img.complete && img.naturalWidth >= 1000",
                         picture.element_handle())
    width = page.viewport_size["width"]
    box = picture.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    prices = page.locator("section", has=page.get_by_role("heading", name=t["pricing"],
                                                          exact=True))
    assert t["price"] in prices.inner_text()

    prices.get_by_role("link", name=t["all_prices"]).click()
    page.wait_for_url(f"{live_url}/pricing/")
    read(page, lang, device, "2-pricing")
    text = page.locator("main").inner_text()
    assert t["metered"] in text and t["vat"] in text

    page.get_by_role("link", name=t["footer"]).click()
    page.wait_for_url(f"{live_url}/accessibility/")
    read(page, lang, device, "3-accessibility")
    assert page.get_by_role("heading", level=1).inner_text().strip() == t["statement"]
    assert t["status"] in page.locator("main").inner_text()
    assert "axe-core" in page.locator("main").inner_text()

    page.goto(f"{live_url}/")
    page.locator("main").get_by_role("button", name=t["demo"]).first.click()
    page.wait_for_url(f"{live_url}/demo/")
    read(page, lang, device, "4-demo-form")
    assert page.get_by_role("heading", level=1).inner_text().strip() == t["form_h1"]
    # Mistakes first: each is written next to its field.
    page.get_by_label(t["email"]).fill("not an address")
    page.get_by_role("button", name=t["send"]).click()
    page.wait_for_load_state()
    read(page, lang, device, "5-demo-errors")
    assert page.locator("#id_name_errors").inner_text().strip() == t["name_error"]
    assert page.locator("#id_email_errors").inner_text().strip() == t["email_error"]
    assert page.get_by_label(t["email"]).get_attribute("aria-invalid") == "true"

    page.get_by_label(t["offer"]).check()
    page.get_by_label(t["name"]).fill("Camille Visitor")
    page.get_by_label(t["organisation"], exact=True).fill(organisation)
    page.get_by_label(t["email"]).fill(f"camille.{lang}.{device}@visitor.example")
    page.get_by_label(t["message"]).fill("About 300 people, in spring.")
    page.get_by_role("button", name=t["send"]).click()
    page.wait_for_url(f"{live_url}/demo/thanks/?kind=offer")
    read(page, lang, device, "6-thanks")
    assert page.get_by_role("heading", level=1).inner_text().strip() == t["thanks"]

    with django_db_blocker.unblock():
        record = OfferRequest.objects.get(organisation_name=organisation)
        assert (record.kind, record.email, record.language, record.message) == (
            "offer", f"camille.{lang}.{device}@visitor.example", lang,
            "About 300 people, in spring.")
        record.delete()
