"""The owner of a space in its trial, on a desktop (1,366 px), in English and in French: opens
Billing from the menu and reads the plans and options with prices written the way their
language writes them; online payment is not configured, so the page says what to do
instead. From a paid option's locked page, "Add it to your subscription" leads to the
request for an offer with that option ticked; the request is sent and stored."""

import os
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import OfferRequest
from tenants.models import Organisation
from tenants.services import organisation_provision
from tests.conftest import PASSWORD, drop_organisation
from tests.e2e.journey import check_page, tenant_url

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("JOURNEY_SHOTS")
NBSP = "\u00a0"

T = {
    "en": {
        "email": "E-mail address", "password": "Password", "log_in": "Log in", "more": "More",
        "billing": "Billing", "levers": "Levers", "h1": "Plan and options",
        "unavailable": "Paying online is not available yet",
        "plan": "Professional", "plan_price": "€790 a month, or €7,900 a year",
        "metered": "€0.20 per extra active participant a month",
        "option": "Lever analytics", "add": "Add it to your subscription",
        "message": "Message (optional)", "send": "Send my request",
        "sent": "Thank you: your request has been sent to Fullmobs.",
    },
    "fr": {
        "email": "Adresse e-mail", "password": "Mot de passe", "log_in": "Se connecter",
        "more": "Plus", "billing": "Facturation", "levers": "Leviers", "h1": "Offre et options",
        "unavailable": "Le paiement en ligne n’est pas encore disponible",
        "plan": "Professionnel", "plan_price": f"790{NBSP}€ par mois, ou 7{NBSP}900{NBSP}€ par an",
        "metered": f"0,20{NBSP}€ par participant actif supplémentaire et par mois",
        "option": "Analyse des leviers", "add": "L’ajouter à votre abonnement",
        "message": "Message (facultatif)", "send": "Envoyer ma demande",
        "sent": f"Merci{NBSP}: votre demande a été transmise à Fullmobs.",
    },
}


@pytest.fixture
def trial_space(django_db_blocker, request):
    """A space in its trial (no paid option), in the owner's language."""
    lang = request.node.callspec.params["lang"]
    slug = f"owner-{lang}-{uuid.uuid4().hex[:6]}"
    with django_db_blocker.unblock():
        organisation = organisation_provision(
            name="Mairie de Quimper" if lang == "fr" else "Harbour Logistics", slug=slug,
            owner_email=f"owner@{slug}.example", owner_password=PASSWORD,
            owner_name="Olivia Owner", locale=lang, status=Organisation.Status.TRIAL)
        Organisation.objects.filter(pk=organisation.pk).update(
            trial_ends_at=timezone.now() + timedelta(days=25))
    yield organisation
    with django_db_blocker.unblock():
        OfferRequest.objects.filter(organisation_id=organisation.pk).delete()
        drop_organisation(Organisation.objects.get(pk=organisation.pk))


def read(page, lang: str, name: str) -> None:
    check_page(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/owner-billing-{lang}-{name}.png", full_page=True)


def open_from_menu(page, t, name: str) -> None:
    nav = page.get_by_role("navigation").first
    entry = nav.get_by_role("link", name=name, exact=True)
    if not entry.is_visible():
        nav.get_by_text(t["more"], exact=True).click()
    entry.click()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_owner_reads_prices_and_asks_for_an_offer(live_url, open_person, trial_space,
                                                  django_db_blocker, lang):
    t = T[lang]
    organisation = trial_space
    base = tenant_url(live_url, organisation.slug)
    page = open_person(lang=lang, device="desktop")

    page.goto(f"{base}/")
    page.get_by_label(t["email"]).fill(f"owner@{organisation.slug}.example")
    page.get_by_label(t["password"]).fill(PASSWORD)
    page.get_by_role("button", name=t["log_in"]).click()
    page.wait_for_url(f"{base}/")

    open_from_menu(page, t, t["billing"])
    page.wait_for_url(f"{base}/billing/")
    read(page, lang, "1-billing")
    main = page.locator("main")
    assert page.get_by_role("heading", level=1).inner_text().strip() == t["h1"]
    text = main.inner_text()
    assert t["unavailable"] in text
    plan = main.locator(".pricing-cards article", has=page.get_by_text(t["plan"], exact=True))
    assert plan.get_attribute("aria-current") == "true"  # the trial's plan
    assert t["plan_price"] in plan.inner_text()
    assert t["metered"] in text
    assert "installation" not in text.lower()
    # Wherever the owner met a paid option, the link to it leads somewhere to get it.
    open_from_menu(page, t, t["levers"])
    page.wait_for_url(f"{base}/levers/")
    read(page, lang, "2-locked-option")
    assert t["option"] in page.locator("main").inner_text()
    page.locator("main").get_by_role("link", name=t["add"]).click()
    page.wait_for_url(f"{base}/billing/?option=lever_analytics#offer")
    read(page, lang, "3-offer-form")
    offer = page.locator("section.offer-request")
    assert offer.get_by_label(t["option"]).is_checked()
    assert offer.get_by_role("button", name=t["send"]).is_visible()
    offer.get_by_label(t["message"]).fill("We pay by bank transfer.")
    offer.get_by_role("button", name=t["send"]).click()
    page.wait_for_url(f"{base}/billing/")
    read(page, lang, "4-offer-sent")
    assert t["sent"] in page.locator("main").inner_text()

    with django_db_blocker.unblock():
        record = OfferRequest.objects.get(organisation_id=organisation.pk)
    assert (record.kind, record.plan, record.options, record.email, record.language) == (
        "offer", "professional", ["lever_analytics"], f"owner@{organisation.slug}.example", lang)
    assert record.message == "We pay by bank transfer."
