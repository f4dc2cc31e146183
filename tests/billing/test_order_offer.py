"""Ordering by invoice when paying online is off: every choice reaches the offer request,
the quote says what the buyer can actually do and who sells; the quote button waits for
the billing details."""

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from billing import services
from billing.models import OfferRequest
from billing.quote_pdf import quote_context

from ..conftest import tenant_client
from .test_companies import DETAILS, buyer, fake, no_payment  # noqa: F401  (fixtures)


@pytest.mark.django_db
def test_without_online_payment_every_choice_reaches_the_offer_request(
        no_payment, buyer, owner_a):  # noqa: F811
    owner = tenant_client(buyer, owner_a)
    owner.post("/billing/details/", DETAILS)
    page = owner.get("/billing/order/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # Not shown as if they did something: they belong to the offer request.
    assert 'name="purchase_order"' not in page and 'name="days_until_due"' not in page
    response = owner.post("/billing/order/", {
        "plan": "professional", "interval": "year", "options": ["commented_report"],
        "purchase_order": "BC-77", "days_until_due": 60, "order": "1"})
    offer_page = owner.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="offer-purchase_order" value="BC-77"' in offer_page
    assert '<option value="60" selected>' in offer_page
    assert '<option value="year" selected>' in offer_page
    sent = owner.post("/billing/offer/", {
        "offer-plan": "professional", "offer-options": ["commented_report"],
        "offer-interval": "year", "offer-purchase_order": "BC-77",
        "offer-days_until_due": "60", "offer-email": "achats@testco.example",
        "offer-message": "Merci"}, HTTP_ACCEPT_LANGUAGE="en")
    assert sent.status_code == 302
    offer = OfferRequest.objects.get()
    assert (offer.plan, offer.options) == ("professional", ["commented_report"])
    assert offer.message.startswith("Merci\n\n")
    assert "BC-77" in offer.message and "60 days" in offer.message
    assert "Yearly" in offer.message


@pytest.mark.django_db
def test_the_quote_names_the_seller_and_says_what_the_buyer_can_do(
        settings, buyer, owner_a):  # noqa: F811
    settings.SELLER_NAME, settings.SELLER_SIREN = "Fullmobs SAS", "912 345 678"
    settings.SELLER_ADDRESS, settings.SELLER_VAT_NUMBER = "3 rue X\n69001 Lyon", "FR12912345678"
    tenant_client(buyer, owner_a).post("/billing/details/", DETAILS)
    quote = services.quote_create(organisation=buyer, plan="professional", interval="month",
                                  option_codes=[], language="en")
    settings.STRIPE_SECRET_KEY = ""
    with translation.override("en"):
        offline = render_to_string("billing/quote_pdf.html", quote_context(quote))
    assert "Fullmobs SAS" in offline and "69001 Lyon" in offline
    assert "SIREN: 912 345 678" in offline and "FR12912345678" in offline
    assert "ask for an offer from your billing page" in offline
    assert "subscribe from your billing page" not in offline
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    with translation.override("en"):
        online = render_to_string("billing/quote_pdf.html", quote_context(quote))
    assert "subscribe from your billing page" in online


@pytest.mark.django_db
def test_the_quote_button_waits_for_the_billing_details(buyer, owner_a):  # noqa: F811
    owner = tenant_client(buyer, owner_a)
    page = owner.get("/billing/order/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="quote"' not in page
    assert "disabled" in page and "Fill in your billing details first" in page
    assert page.count("Fill in") == 1  # one message, not a banner and an error
    owner.post("/billing/details/", DETAILS)
    page = owner.get("/billing/order/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="quote"' in page and "Fill in your billing details first" not in page
