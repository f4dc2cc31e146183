"""A public body's owner orders by invoice while paying online is not available, on a
laptop (1,366 px) and a phone (390 px), in English and French: the quote button waits for
the billing details (one message, one link); once they are filled in, "Ask for an offer
with this choice" leads to the offer form with the plan, options and yearly billing
already chosen, where the purchase-order number and payment terms are given and sent."""

import os
import uuid

import pytest
from django.utils import timezone

from billing.models import BillingAccount, OfferRequest, Subscription
from tenants.models import Organisation
from tenants.services import organisation_provision
from tests.conftest import PASSWORD, drop_organisation
from tests.e2e.journey import check_page, tenant_url

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("JOURNEY_SHOTS")
T = {"en": {"email": "E-mail address", "password": "Password", "log_in": "Log in",
            "first": "Fill in your billing details first",
            "ask": "Ask for an offer with this choice",
            "po": "Purchase-order number (optional)", "terms": "Payment terms",
            "send": "Send my request", "sent": "your request has been sent"},
     "fr": {"email": "Adresse e-mail", "password": "Mot de passe", "log_in": "Se connecter",
            "first": "Renseignez d’abord vos coordonnées de facturation",
            "ask": "Demander une offre pour ce choix",
            "po": "Numéro de bon de commande (facultatif)", "terms": "Délai de paiement",
            "send": "Envoyer ma demande", "sent": "votre demande a été transmise"}}


@pytest.fixture
def town(django_db_blocker, settings):
    settings.STRIPE_SECRET_KEY = ""
    slug = f"offer-{uuid.uuid4().hex[:6]}"
    with django_db_blocker.unblock():
        organisation = organisation_provision(
            name="Ville de Testville", slug=slug, owner_email=f"owner@{slug}.example",
            owner_password=PASSWORD, owner_name="Olivia Owner", locale="fr",
            status=Organisation.Status.TRIAL, kind=Organisation.Kind.LOCAL_AUTHORITY)
        Organisation.objects.filter(pk=organisation.pk).update(
            trial_ends_at=timezone.now() + timezone.timedelta(days=20))
        Subscription.objects.filter(organisation=organisation).delete()
    yield organisation
    with django_db_blocker.unblock():
        OfferRequest.objects.filter(organisation_id=organisation.pk).delete()
        BillingAccount.objects.filter(organisation_id=organisation.pk).delete()
        drop_organisation(Organisation.objects.get(pk=organisation.pk))


def read(page, name: str) -> None:
    check_page(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_ordering_without_online_payment_leads_to_a_complete_offer(
        live_url, open_person, town, django_db_blocker, lang, device):
    t = T[lang]
    base = tenant_url(live_url, town.slug)
    page = open_person(lang=lang, device=device)
    page.goto(f"{base}/")
    page.get_by_label(t["email"]).fill(f"owner@{town.slug}.example")
    page.get_by_label(t["password"]).fill(PASSWORD)
    page.get_by_role("button", name=t["log_in"]).click()
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/billing/order/")
    read(page, f"offer-{device}-{lang}-1-no-details")
    assert page.locator("main button[disabled]").count() == 1
    assert page.locator("main").inner_text().count(t["first"]) == 1
    assert page.get_by_label(t["po"]).count() == 0  # not shown as if it did something
    with django_db_blocker.unblock():
        BillingAccount.objects.create(
            organisation=town, customer_kind="public_body", legal_name="Ville de Testville",
            address_line1="1 place de la Mairie", postal_code="47300", city="Testville",
            country="FR", billing_email=f"compta@{town.slug}.example")
    page.reload()
    page.locator("#id_interval").select_option("year")
    page.get_by_role("button", name=t["ask"]).click()
    page.wait_for_url(f"{base}/billing/?**")
    read(page, f"offer-{device}-{lang}-2-offer-form")
    offer = page.locator("section.offer-request")
    assert offer.locator("#id_offer-interval").input_value() == "year"
    offer.get_by_label(t["po"]).fill("BC-2027-14")
    offer.get_by_label(t["terms"]).select_option("45")
    offer.get_by_role("button", name=t["send"]).click()
    page.wait_for_url(f"{base}/billing/")
    read(page, f"offer-{device}-{lang}-3-sent")
    assert t["sent"] in page.locator("main").inner_text()
    with django_db_blocker.unblock():
        request = OfferRequest.objects.get(organisation_id=town.pk)
    assert "BC-2027-14" in request.message and "45" in request.message
