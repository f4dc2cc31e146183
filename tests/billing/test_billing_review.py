"""Billing after review: one VAT rule for quotes and the Stripe customer (public bodies,
France's overseas departments), orders that cannot subscribe twice nor replay a refusal,
Checkout's details copied back, the pack's hours of past months, one fallback language."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.utils import timezone, translation

from billing import services, stripe_api
from billing.forms import country_choices
from billing.models import BillingAccount, ConsultantTime, StripeEvent, Subscription
from billing.quote_pdf import quote_context
from billing.selectors import accompaniment_statement
from billing.vat import vat_treatment
from tenants.models import Organisation, User

from ..conftest import PASSWORD, tenant_client
from .test_companies import DETAILS, buyer, fake  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def _details(organisation, **changes):
    values = {**DETAILS, **changes}
    return services.billing_details_update(organisation=organisation, **values)


def test_a_public_body_elsewhere_in_the_eu_with_a_vat_number_gets_reverse_charge(
        buyer):  # noqa: F811
    _details(buyer, country="DE", city="Berlin", vat_number="DE123456789", siret="")
    quote = services.quote_create(organisation=buyer, plan="essential", interval="year",
                                  option_codes=[], language="en")
    assert (quote.vat_rate, quote.vat, quote.vat_note) == (Decimal("0.00"), 0,
                                                           "reverse_charge")


def test_the_overseas_departments_get_their_own_vat_never_outside_the_eu(buyer):  # noqa: F811
    for country in ("RE", "GP", "MQ"):
        assert vat_treatment(country=country) == vat_treatment(country="RE")
        assert vat_treatment(country=country).rate == Decimal("8.50")
    for country in ("GF", "YT"):
        assert (vat_treatment(country=country).rate, vat_treatment(country=country).note) \
            == (Decimal("0.00"), "dom_untaxed")
    _details(buyer, country="RE", city="Saint-Denis", postal_code="97400", siret="")
    quote = services.quote_create(organisation=buyer, plan="professional", interval="month",
                                  option_codes=[], language="en")
    assert (quote.subtotal, quote.vat, quote.vat_note) == (79000, 6715, "dom")
    with translation.override("en"):
        html = render_to_string("billing/quote_pdf.html", quote_context(quote))
    assert "French overseas department" in html and "outside the European Union" not in html
    with translation.override("fr"):
        html = render_to_string("billing/quote_pdf.html", quote_context(quote))
    assert "département d’outre-mer" in html
    first_group = [code for code, _name in country_choices("en")][:32]
    assert {"RE", "GP", "MQ", "GF", "YT"} <= set(first_group)


def test_stripe_s_customer_follows_the_same_rule_and_the_catalogue_s_language(
        fake, buyer):  # noqa: F811
    Organisation.objects.filter(pk=buyer.pk).update(locale="es")
    buyer.refresh_from_db()
    _details(buyer, country="GF", city="Cayenne", postal_code="97300", siret="")
    account = services.customer_ensure(organisation=buyer)
    customer = fake.get(account.stripe_customer_id)
    assert customer["tax_exempt"] == "exempt"  # no VAT in Guyane, as on the quote
    assert customer["preferred_locales"] == ["en"]  # the catalogue's language, not "fr"
    _details(buyer, country="FR", city="Marseille", postal_code="13001")
    assert fake.get(account.stripe_customer_id)["tax_exempt"] == "none"


def _order(owner, purchase_order):
    return owner.post("/billing/order/", {
        "plan": "essential", "interval": "year", "purchase_order": purchase_order,
        "days_until_due": 30, "order": "1"})


def test_a_new_order_after_a_refusal_is_a_new_attempt_and_the_fields_come_back(
        fake, buyer, owner_a):  # noqa: F811
    services.catalogue_sync()
    owner = tenant_client(buyer, owner_a)
    owner.post("/billing/details/", DETAILS)
    for _attempt in range(3):  # the client's retries included
        fake.fail_next("POST", "/v1/subscriptions", status=500)
    assert _order(owner, "BC-1")["Location"].endswith("#offer")
    account = BillingAccount.objects.get(organisation=buyer)
    fields = fake.get(account.stripe_customer_id)["invoice_settings"]["custom_fields"] or []
    assert all(field["value"] != "BC-1" for field in fields)  # restored
    refused_keys = {r.headers["idempotency-key"]
                    for r in fake.requests_to("POST", "/v1/subscriptions")}
    assert len(refused_keys) == 1  # the client's own retries share the attempt's key
    assert _order(owner, "BC-1").status_code == 302
    keys = [r.headers["idempotency-key"] for r in fake.requests_to("POST", "/v1/subscriptions")]
    assert keys[-1] not in refused_keys
    assert Subscription.objects.get(organisation=buyer).purchase_order == "BC-1"
    assert len(fake.objects("subscription")) == 1


def test_checkout_s_name_address_and_vat_number_come_back_to_the_billing_account(
        fake, buyer):  # noqa: F811
    _details(buyer, customer_kind="company", siret="")
    account = services.customer_ensure(organisation=buyer)
    client = stripe_api.client().v1
    # What the buyer confirmed on the Checkout page, saved on the customer by Stripe.
    client.customers.update(account.stripe_customer_id, params={
        "name": "Testco SAS", "address": {"line1": "5 rue de la Paix", "postal_code": "75002",
                                          "city": "Paris", "country": "FR"}})
    client.customers.tax_ids.create(account.stripe_customer_id, params={
        "type": "eu_vat", "value": "FR40303265045"})
    StripeEvent.objects.create(event_id="evt_details", type="checkout.session.completed",
                               payload={"type": "checkout.session.completed", "data": {
                                   "object": {"object": "checkout.session",
                                              "customer": account.stripe_customer_id}}})
    services.event_process(event_id="evt_details")
    account.refresh_from_db()
    assert (account.legal_name, account.address_line1, account.city, account.postal_code,
            account.vat_number) == ("Testco SAS", "5 rue de la Paix", "Paris", "75002",
                                    "FR40303265045")


def test_a_past_month_shows_the_hours_its_bill_covered_not_today_s_pack(org_a):
    Subscription.objects.filter(organisation=org_a).update(options=["accompaniment_pack"])
    org_a.refresh_from_db()
    consultant = User.objects.create_user(email="claire@fullmobs.test", password=PASSWORD,
                                          is_consultant=True, full_name="Claire Martin")
    last_month = timezone.localdate().replace(day=1) - timedelta(days=10)
    # Billed before the pack was taken: nothing covered then.
    ConsultantTime.objects.create(consultant=consultant, organisation=org_a,
                                  worked_on=last_month, minutes=90, description="Workshop",
                                  billed_at=timezone.now(), pack_minutes=0)
    current, past = accompaniment_statement(organisation=org_a)
    assert current.month == timezone.localdate().replace(day=1)
    assert current.included_minutes == 240  # the pack held today: this month only
    assert (past.included_minutes, past.covered_minutes, past.beyond_minutes,
            past.left_minutes) == (0, 0, 90, 0)


def test_a_buyer_in_la_reunion_is_led_to_an_offer_not_to_stripe_tax(
        fake, buyer, owner_a):  # noqa: F811
    services.catalogue_sync()
    owner = tenant_client(buyer, owner_a)
    owner.post("/billing/details/", {**DETAILS, "country": "RE", "city": "Saint-Denis",
                                     "postal_code": "97400"})
    ordered = _order(owner, "BC-9")
    assert ordered["Location"].endswith("#offer")
    checkout = owner.post("/billing/checkout/", {"plan": "essential", "interval": "month"})
    assert checkout["Location"].endswith("#offer")
    page = owner.get(checkout["Location"]).content.decode()
    assert "VAT of the French overseas departments" in page
    assert not fake.requests_to("POST", "/v1/subscriptions")
    assert not fake.requests_to("POST", "/v1/checkout/sessions")

