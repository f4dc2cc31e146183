"""Billing that fits companies and public bodies: billing details and VAT, Checkout and the
portal in the buyer's language, quotes, orders paid by bank transfer against an invoice,
offers when paying online is not possible, the accompaniment pack's hours."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing import services
from billing.catalogue import item_for_lookup_key
from billing.models import BillingAccount, ConsultantTime, OfferRequest, Quote, Subscription
from billing.quote_pdf import quote_context
from billing.vat import vat_number_shape_ok, vat_treatment
from tenants.models import ConsultantAssignment, Organisation, User

from ..conftest import PASSWORD, tenant_client
from .fake_stripe import FakeStripe

DETAILS = {"customer_kind": "public_body", "legal_name": "Ville de Testco",
           "address_line1": "1 place de l'Hôtel de Ville", "postal_code": "13001",
           "city": "Marseille", "country": "FR", "billing_email": "compta@testco.example",
           "vat_number": "", "siret": "21130055300016", "chorus_service_code": "DIR-SPORTS"}


@pytest.fixture
def fake(settings):
    with FakeStripe() as server:
        settings.STRIPE_SECRET_KEY = server.api_key
        settings.STRIPE_API_BASE = server.url
        settings.STRIPE_WEBHOOK_SECRET = "whsec_test_companies"
        settings.STRIPE_TIMEOUT_SECONDS = 2
        yield server


@pytest.fixture
def no_payment(settings):
    settings.STRIPE_SECRET_KEY = ""


@pytest.fixture
def buyer(org_a):
    """testco in trial, nothing bought yet, in French."""
    Subscription.objects.filter(organisation=org_a).delete()
    Organisation.objects.filter(pk=org_a.pk).update(
        status=Organisation.Status.TRIAL, trial_ends_at=timezone.now() + timedelta(days=20),
        locale="fr")
    org_a.refresh_from_db()
    return org_a


def test_vat_numbers_are_checked_in_shape_and_the_treatment_follows_the_customer():
    assert vat_number_shape_ok("FR40303265045")
    assert not vat_number_shape_ok("FR41303265045")  # wrong key
    assert vat_number_shape_ok("DE123456789") and vat_number_shape_ok("NL123456789B01")
    assert not vat_number_shape_ok("DE12345") and not vat_number_shape_ok("US123456789")
    assert vat_treatment(country="FR").rate == Decimal("20.00")  # public bodies included
    assert vat_treatment(country="DE", vat_number="DE123456789").note == "reverse_charge"
    assert vat_treatment(country="DE").rate == Decimal("20.00")
    assert vat_treatment(country="CH").note == "outside_eu"


@pytest.mark.django_db
def test_billing_details_refuse_a_bad_vat_number_next_to_its_field_in_french(
        fake, buyer, owner_a):
    owner = tenant_client(buyer, owner_a)
    page = owner.post("/billing/details/", {**DETAILS, "customer_kind": "company",
                                            "vat_number": "DE12"}, HTTP_ACCEPT_LANGUAGE="fr")
    html = page.content.decode()
    assert page.status_code == 400
    assert 'id="id_vat_number_errors"' in html and "Ce n’est pas un numéro de TVA" in html
    assert not BillingAccount.objects.filter(organisation=buyer, legal_name="Ville de "
                                             "Testco").exists()
    missing = owner.post("/billing/details/", {**DETAILS, "legal_name": ""})
    assert missing.status_code == 400 and 'id="id_legal_name_errors"' in missing.content.decode()


@pytest.mark.django_db
def test_a_public_body_s_details_and_purchase_order_reach_its_invoices(fake, buyer, owner_a):
    services.catalogue_sync()
    owner = tenant_client(buyer, owner_a)
    assert owner.post("/billing/details/", DETAILS).status_code == 302
    account = BillingAccount.objects.get(organisation=buyer)
    assert (account.customer_kind, account.siret) == ("public_body", "21130055300016")
    home = owner.get("/billing/").content.decode()
    assert "/billing/order/" in home and "Continue to payment" not in home
    ordered = owner.post("/billing/order/", {
        "plan": "professional", "interval": "year", "options": ["accompaniment_pack"],
        "purchase_order": "BC-2027-0042", "days_until_due": 30, "order": "1"})
    assert ordered.status_code == 302
    created = fake.requests_to("POST", "/v1/subscriptions")[-1].params
    assert created["collection_method"] == "send_invoice"
    assert created["days_until_due"] == "30" and created["automatic_tax"]["enabled"] == "true"
    sub = Subscription.objects.get(organisation=buyer)
    assert (sub.plan, sub.options, sub.collection_method, sub.days_until_due,
            sub.purchase_order) == ("professional", ["accompaniment_pack"], "send_invoice",
                                    30, "BC-2027-0042")
    buyer.refresh_from_db()
    account.refresh_from_db()
    assert buyer.status == Organisation.Status.ACTIVE
    customer = fake.get(account.stripe_customer_id)
    assert customer["preferred_locales"] == ["fr"] and customer["address"]["city"] == "Marseille"
    # The organisation speaks French: French products, and the fields on each invoice.
    assert {item["price"]["lookup_key"] for item in fake.get(sub.stripe_subscription_id)
            ["items"]["data"]} == {"fullmobs_plan_professional_year_fr",
                                   "fullmobs_option_accompaniment_pack_year_fr"}
    invoice = fake.objects("invoice")[-1]
    assert {"name": "Bon de commande", "value": "BC-2027-0042"} in invoice["custom_fields"]
    assert {"name": "SIRET", "value": "21130055300016"} in invoice["custom_fields"]
    assert invoice["collection_method"] == "send_invoice" and invoice["due_date"]
    page = owner.get("/billing/").content.decode()
    assert "Purchase order: BC-2027-0042" in page
    again = owner.post("/billing/order/", {
        "plan": "essential", "interval": "year", "days_until_due": 30, "order": "1"},
        follow=True)
    assert "You already have a subscription" in again.content.decode()
    assert len(fake.objects("subscription")) == 1


@pytest.mark.django_db
def test_a_quote_is_numbered_dated_valid_30_days_with_its_vat(fake, buyer, owner_a):
    owner = tenant_client(buyer, owner_a)
    no_details = owner.post("/billing/order/", {"plan": "essential", "interval": "year",
                                                "days_until_due": 30, "quote": "1"})
    assert no_details.status_code == 400 and "Fill in the billing details first" in \
        no_details.content.decode()
    owner.post("/billing/details/", {**DETAILS, "customer_kind": "company",
                                     "country": "DE", "city": "Berlin",
                                     "vat_number": "DE123456789", "siret": ""})
    response = owner.post("/billing/order/", {
        "plan": "essential", "interval": "year", "days_until_due": 30, "quote": "1",
        "options": ["branded_space", "extra_participants"]}, HTTP_ACCEPT_LANGUAGE="en")
    quote = Quote.objects.get(organisation=buyer)
    assert response["Location"] == f"/billing/quotes/{quote.pk}/pdf/"
    assert quote.number == f"FM-{timezone.localdate():%Y}-{quote.pk:05d}"
    assert quote.valid_until == timezone.localdate() + timedelta(days=30)
    assert (quote.subtotal, quote.vat, quote.total, quote.vat_note) == (
        290000 + 40000, 0, 330000, "reverse_charge")
    pdf = owner.get(f"/billing/quotes/{quote.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert quote.number in pdf["Content-Disposition"]
    context = quote_context(quote)
    assert [line["name"] for line in context["lines"]] == [
        "Essential", "Branded space", "Extra participants"]
    # Another organisation's owner, and a manager, never reach it.
    from ..conftest import make_member
    manager = make_member(buyer, "manager")
    assert tenant_client(buyer, manager).get(f"/billing/quotes/{quote.pk}/pdf/"
                                             ).status_code == 404


@pytest.mark.django_db
def test_a_french_public_body_s_quote_carries_20_percent_vat_in_french(buyer, owner_a):
    tenant_client(buyer, owner_a).post("/billing/details/", DETAILS)
    quote = services.quote_create(organisation=buyer, plan="professional", interval="month",
                                  option_codes=[], language="fr")
    assert (quote.subtotal, quote.vat, quote.total) == (79000, 15800, 94800)
    from django.template.loader import render_to_string
    from django.utils import translation
    with translation.override("fr"):
        html = render_to_string("billing/quote_pdf.html", quote_context(quote))
    assert "Professionnel" in html and "TVA 20" in html and "France" in html
    assert "948,00" in html.replace("\u202f", " ").replace("\xa0", " ") or "948" in html


@pytest.mark.django_db
def test_checkout_speaks_the_buyer_s_language_with_stripe_tax(fake, buyer, owner_a):
    services.catalogue_sync()
    owner = tenant_client(buyer, owner_a)
    owner.post("/billing/checkout/", {"plan": "essential", "interval": "month"},
               HTTP_ACCEPT_LANGUAGE="fr")
    params = fake.requests_to("POST", "/v1/checkout/sessions")[-1].params
    assert params["locale"] == "fr" and params["automatic_tax"]["enabled"] == "true"
    assert params["tax_id_collection"]["enabled"] == "true"
    session = fake.objects("checkout.session")[-1]
    prices = {p["id"]: p for p in fake.objects("price")}
    assert prices[params["line_items"][0]["price"]]["lookup_key"] == \
        "fullmobs_plan_essential_month_fr"
    assert fake.get("fullmobs_plan_essential_fr")["name"] == "Essentiel"
    assert session["locale"] == "fr"


@pytest.mark.django_db
def test_when_stripe_fails_the_upgrade_leads_to_a_prefilled_offer(fake, buyer, owner_a):
    services.catalogue_sync()
    owner = tenant_client(buyer, owner_a)
    fake.fail_next("POST", "/v1/checkout/sessions", status=500)
    fake.fail_next("POST", "/v1/checkout/sessions", status=500)
    fake.fail_next("POST", "/v1/checkout/sessions", status=500)
    response = owner.post("/billing/checkout/", {
        "plan": "territory", "interval": "year", "options": ["lever_analytics"]})
    assert response.status_code == 302
    assert response["Location"] == "/billing/?plan=territory&options=lever_analytics#offer"
    page = owner.get(response["Location"]).content.decode()
    assert "your choice is already filled in below" in page
    assert '<option value="territory" selected>' in page
    assert 'name="offer-options" value="lever_analytics"' in page and "checked" in page


@pytest.mark.django_db
def test_without_online_payment_an_order_becomes_an_offer(no_payment, buyer, owner_a):
    owner = tenant_client(buyer, owner_a)
    owner.post("/billing/details/", DETAILS)
    response = owner.post("/billing/order/", {
        "plan": "professional", "interval": "year", "options": ["commented_report"],
        "days_until_due": 30, "order": "1"})
    assert response["Location"] == ("/billing/?plan=professional&options=commented_report"
                                    "&interval=year&purchase_order=&days_until_due=30#offer")
    page = owner.get("/billing/order/").content.decode()
    assert "Ask for an offer with this choice" in page
    assert not OfferRequest.objects.exists()  # asked for on the page it leads to


def test_the_professional_plan_reads_stripe_prices_made_under_its_old_code():
    assert item_for_lookup_key("fullmobs_plan_programme_month").code == "professional"
    assert item_for_lookup_key("fullmobs_plan_professional_year_fr").code == "professional"
    assert item_for_lookup_key("fullmobs_option_lever_analytics_month_fr").code == \
        "lever_analytics"


@pytest.mark.django_db
def test_the_pack_covers_four_hours_a_month_and_the_client_sees_the_statement(
        fake, org_a, owner_a, viewer_a, manager_a):
    Subscription.objects.filter(organisation=org_a).update(options=["accompaniment_pack"])
    org_a.refresh_from_db()
    consultant = User.objects.create_user(email="claire@fullmobs.test", password=PASSWORD,
                                          is_consultant=True, full_name="Claire Martin")
    ConsultantAssignment.objects.create(consultant=consultant, organisation=org_a)
    today = timezone.localdate()
    first = today.replace(day=1)
    for minutes, what in ((180, "Kick-off workshop"), (120, "Lever review")):
        services.consultant_time_log(consultant=consultant, organisation=org_a,
                                     worked_on=first, minutes=minutes, description=what)
    billed = services.consultant_time_bill(organisation=org_a)
    assert [(row.minutes, row.pack_minutes) for row in billed] == [(180, 180), (120, 60)]
    assert [item["amount"] for item in fake.objects("invoiceitem")] == [12000]  # 60 min
    assert ConsultantTime.objects.filter(billed_at__isnull=True).count() == 0
    page = tenant_client(org_a, manager_a).get("/billing/accompaniment/",
                                               HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Claire Martin" in html and "Kick-off workshop" in html
    assert "4 h" in html and "5 h" in html and "1 h" in html  # included, logged, beyond
    assert "0 h" in html  # left
    assert tenant_client(org_a, viewer_a).get("/billing/accompaniment/").status_code == 404


@pytest.mark.django_db
def test_an_order_stripe_refuses_becomes_a_prefilled_offer(fake, buyer, owner_a):
    services.catalogue_sync()
    owner = tenant_client(buyer, owner_a)
    owner.post("/billing/details/", DETAILS)
    for _attempt in range(3):  # the client's retries included
        fake.fail_next("POST", "/v1/subscriptions", status=500)
    response = owner.post("/billing/order/", {
        "plan": "essential", "interval": "year", "options": ["branded_space"],
        "purchase_order": "BC-1", "days_until_due": 45, "order": "1"})
    assert response["Location"] == ("/billing/?plan=essential&options=branded_space"
                                    "&interval=year&purchase_order=BC-1&days_until_due=45#offer")
    assert not fake.objects("subscription")
    assert not Subscription.objects.filter(organisation=buyer, purchase_order="BC-1").exists()


@pytest.mark.django_db
def test_the_portal_opens_in_the_buyer_s_language(fake, buyer, owner_a):
    services.catalogue_sync()
    owner = tenant_client(buyer, owner_a)
    location = owner.post("/billing/checkout/", {"plan": "essential", "interval": "month"}
                          )["Location"]
    fake.complete_checkout(location.rstrip("/").rsplit("/", 1)[-1])
    services.subscription_sync(organisation=buyer)
    owner.post("/billing/portal/", HTTP_ACCEPT_LANGUAGE="fr")
    assert fake.requests_to("POST", "/v1/billing_portal/sessions")[-1].params["locale"] == "fr"
