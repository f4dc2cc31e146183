"""The billing page as an owner reads it: prices in their language, plans named for what
they are, and — when paying online is not available — a way to ask for an offer that
reaches Fullmobs staff, never a page with nothing to buy."""

import re

import pytest
from django.core import mail
from django.utils import translation

from billing.catalogue import plans
from billing.models import OfferRequest, Subscription
from billing.money import format_money
from tenants.models import User

from ..conftest import tenant_client

NBSP = "\xa0"


@pytest.fixture
def no_payment(settings):
    settings.STRIPE_SECRET_KEY = ""


def downgrade(organisation, *, plan="essential", options=()):
    Subscription.objects.filter(organisation=organisation).update(plan=plan,
                                                                  options=list(options))
    organisation.refresh_from_db()


def page_of(client, url="/billing/", lang="en") -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200
    return response.content.decode()


def test_money_is_written_the_way_each_language_writes_it():
    with translation.override("en"):
        assert format_money(20, always_cents=True) == "€0.20"
        assert format_money(290000) == "€2,900"
        assert format_money(12345, currency="usd", always_cents=True) == "123.45 USD"
    with translation.override("fr"):
        assert format_money(20, always_cents=True) == f"0,20{NBSP}€"
        assert format_money(290000) == f"2{NBSP}900{NBSP}€"


@pytest.mark.django_db
def test_billing_page_prices_follow_the_language(org_a, owner_a, no_payment):
    client = tenant_client(org_a, owner_a)
    english = page_of(client, lang="en")
    assert "€0.20 per extra active participant a month" in english
    assert "€290 a month, or €2,900 a year" in english
    assert "0,20 €" not in english and "0,20" not in english
    french = page_of(client, lang="fr")
    assert f"0,20{NBSP}€ par participant actif supplémentaire" in french
    assert f"290{NBSP}€ par mois, ou 2{NBSP}900{NBSP}€ par an" in french
    assert "€0.20" not in french


@pytest.mark.django_db
def test_the_middle_plan_no_longer_reads_like_a_programme(org_a, owner_a, no_payment):
    client = tenant_client(org_a, owner_a)
    assert plans()["professional"].name == {"fr": "Professionnel", "en": "Professional"}
    english = page_of(client, lang="en")
    assert "<strong>Professional</strong>" in english
    assert "<strong>Programme</strong>" not in english
    french = page_of(client, lang="fr")
    assert "<strong>Professionnel</strong>" in french
    assert "<strong>Programme</strong>" not in french


@pytest.mark.django_db
def test_without_online_payment_the_page_says_what_to_do_in_client_words(
        org_a, owner_a, no_payment):
    client = tenant_client(org_a, owner_a)
    for lang in ("en", "fr"):
        page = page_of(client, lang=lang)
        assert "installation" not in page.lower()
    english = page_of(client, lang="en")
    assert "Paying online is not available yet" in english
    assert 'action="/billing/offer/"' in english and "Send my request" in english
    invoices = page_of(client, "/billing/invoices/")
    assert "installation" not in invoices and "Ask for an offer" in invoices


@pytest.mark.django_db
def test_add_it_to_your_subscription_leads_to_the_offer_form_with_the_option_ticked(
        org_a, owner_a, no_payment):
    downgrade(org_a, options=[])
    client = tenant_client(org_a, owner_a)
    locked = client.get("/levers/").content.decode()
    link = re.search(r'<a href="([^"]+)">Add it to your subscription</a>', locked)
    assert link, locked
    assert link.group(1) == "/billing/?option=lever_analytics#offer"
    page = page_of(client, "/billing/?option=lever_analytics")
    offer_form = page.split('id="offer"', 1)[1]
    assert re.search(r'<input type="checkbox" name="offer-options" value="lever_analytics"'
                     r'[^>]*checked', offer_form), offer_form
    assert 'value="branded_space"' in offer_form
    # Each option the space lacks has its own way to ask for it.
    assert 'href="/billing/?option=branded_space#offer"' in page


@pytest.mark.django_db
def test_with_online_payment_the_link_goes_to_the_payment_form(org_a, owner_a, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_anything"
    downgrade(org_a, options=[])
    locked = tenant_client(org_a, owner_a).get("/levers/").content.decode()
    assert 'href="/billing/?option=lever_analytics#subscribe"' in locked
    page = page_of(tenant_client(org_a, owner_a), "/billing/?option=lever_analytics")
    assert 'id="subscribe"' in page and "Continue to payment" in page


@pytest.mark.django_db
def test_an_offer_request_is_stored_and_staff_are_told_after_commit(
        org_a, owner_a, no_payment, eager, django_capture_on_commit_callbacks):
    User.objects.create_user(email="sales@fullmobs.test", password="x-long-password-1",
                             is_staff=True)
    client = tenant_client(org_a, owner_a)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post("/billing/offer/", {
            "offer-plan": "professional", "offer-options": ["lever_analytics", "commented_report"],
            "offer-email": "cfo@testco.test", "offer-message": "We would pay by transfer."},
            HTTP_ACCEPT_LANGUAGE="fr")
        assert response.status_code == 302
        assert mail.outbox == []  # nothing leaves before the request is committed
    record = OfferRequest.objects.get(organisation=org_a)
    assert (record.kind, record.plan, record.options, record.email, record.language) == (
        "offer", "professional", ["commented_report", "lever_analytics"], "cfo@testco.test", "fr")
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["sales@fullmobs.test"]
    assert "Test Company" in sent.subject
    assert "Professional" in sent.body and "Lever analytics" in sent.body
    assert "cfo@testco.test" in sent.body and "We would pay by transfer." in sent.body
    record.refresh_from_db()
    assert record.staff_notified_at is not None
    followed = client.get("/billing/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "votre demande a été transmise à Fullmobs" in followed


@pytest.mark.django_db
def test_offer_request_errors_name_the_field_and_store_nothing(org_a, owner_a, no_payment):
    response = tenant_client(org_a, owner_a).post("/billing/offer/", {
        "offer-plan": "professional", "offer-email": "not-an-address"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_offer-email_errors"' in page
    assert 'aria-describedby="id_offer-email_errors"' in page
    assert "Enter a valid e-mail address, such as name@example.org." in page
    assert not OfferRequest.objects.exists()


@pytest.mark.django_db
def test_only_owners_ask_for_offers(org_a, manager_a, org_b, owner_b, no_payment):
    assert tenant_client(org_a, manager_a).post("/billing/offer/", {
        "offer-plan": "professional", "offer-email": "m@testco.test"}).status_code == 404
    # Another organisation's owner is a stranger here.
    assert tenant_client(org_a, owner_b).post("/billing/offer/", {
        "offer-plan": "professional", "offer-email": "m@testco.test"}).status_code == 404
    assert not OfferRequest.objects.exists()
