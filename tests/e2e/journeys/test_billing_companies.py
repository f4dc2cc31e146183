"""Billing that fits companies and public bodies, as people meet it.

The owner of a space on the Essential plan whose 500 participants of the month are all
taken, on a desktop (1,366 px), in English and in French: the notice on their home page
says new people cannot join and leads to the extra-participants option (an offer, since
online payment is not configured here); they fill in the billing details, are told next to
the field that their VAT number is not one, correct it; they download a numbered quote;
they read the statement of their accompaniment pack's hours. A visitor on a phone (390 px)
opens a campaign of that space and is told kindly that it cannot take new people."""

import os
import uuid

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from billing.models import ConsultantTime, OfferRequest, Quote, Subscription
from engagement.models import Participant, Pledge
from tenants.models import Organisation, User
from tenants.services import organisation_provision
from tests.conftest import PASSWORD, drop_organisation
from tests.e2e.journey import check_page, tenant_url
from tests.factories import SlotFactory, make_campaign

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("JOURNEY_SHOTS")
NBSP = "\u00a0"

T = {
    "en": {
        "email": "E-mail address", "password": "Password", "log_in": "Log in",
        "notice": "500 people have joined your campaigns this month",
        "add": "Add “Extra participants”", "option": "Extra participants",
        "legal_name": "Legal name", "address": "Address", "postcode": "Postcode",
        "city": "City", "country": "Country", "vat": "EU VAT number (optional)",
        "save": "Save the billing details", "vat_error": "This is not an EU VAT number",
        "saved": "Billing details saved.", "quote": "Download the quote (PDF)",
        "statement": "Accompaniment hours", "included": "Included",
        "refused": "Sorry, this campaign cannot take new participants for now",
    },
    "fr": {
        "email": "Adresse e-mail", "password": "Mot de passe", "log_in": "Se connecter",
        "notice": "500 personnes ont rejoint vos campagnes ce mois-ci",
        "add": f"Ajouter «{NBSP}Participants supplémentaires{NBSP}»",
        "option": "Participants supplémentaires",
        "legal_name": "Raison sociale", "address": "Adresse", "postcode": "Code postal",
        "city": "Ville", "country": "Pays",
        "vat": "Numéro de TVA intracommunautaire (facultatif)",
        "save": "Enregistrer les coordonnées de facturation",
        "vat_error": "Ce n’est pas un numéro de TVA intracommunautaire",
        "saved": "Coordonnées de facturation enregistrées.",
        "quote": "Télécharger le devis (PDF)", "statement": "Heures d’accompagnement",
        "included": "Incluses",
        "refused": "Désolé, cette campagne ne peut pas accueillir de nouveaux participants",
    },
}


@pytest.fixture
def full_space(django_db_blocker, request):
    """A paying space on the Essential plan with the accompaniment pack, whose month's
    500 participants are all taken; an open public campaign; consultant time logged."""
    lang = request.node.callspec.params["lang"]
    slug = f"quota-{lang}-{uuid.uuid4().hex[:6]}"
    with django_db_blocker.unblock():
        organisation = organisation_provision(
            name="Ville de Brest" if lang == "fr" else "Harbour Logistics", slug=slug,
            owner_email=f"owner@{slug}.example", owner_password=PASSWORD,
            owner_name="Olivia Owner", locale=lang, status=Organisation.Status.ACTIVE)
        Subscription.objects.create(organisation=organisation, plan="essential",
                                    options=["accompaniment_pack"], stripe_status="active")
        with tenant_context(organisation):
            campaign = make_campaign(capacity=50)
            crowd = SlotFactory(capacity=1000)
            people = Participant.objects.bulk_create(
                Participant(email=f"p{n}@{slug}.example") for n in range(500))
            Pledge.objects.bulk_create(Pledge(slot=crowd, participant=person,
                                              status=Pledge.Status.CONFIRMED)
                                       for person in people)
        consultant = User.objects.create_user(
            email=f"claire@{slug}.fullmobs.test", password=PASSWORD, is_consultant=True,
            full_name="Claire Martin")
        first = timezone.localdate().replace(day=1)
        for minutes, what in ((180, "Kick-off workshop"), (120, "Lever review")):
            ConsultantTime.objects.create(consultant=consultant, organisation=organisation,
                                          worked_on=first, minutes=minutes, description=what)
        organisation = Organisation.objects.get(pk=organisation.pk)
    yield organisation, campaign
    with django_db_blocker.unblock():
        ConsultantTime.objects.filter(organisation_id=organisation.pk).delete()
        consultant.delete()
        OfferRequest.objects.filter(organisation_id=organisation.pk).delete()
        Quote.objects.filter(organisation_id=organisation.pk).delete()
        drop_organisation(Organisation.objects.get(pk=organisation.pk))


def read(page, who: str, lang: str, name: str) -> None:
    check_page(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/billing-companies-{who}-{lang}-{name}.png",
                        full_page=True)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_owner_meets_the_quota_fills_details_downloads_a_quote_reads_the_hours(
        live_url, open_person, full_space, django_db_blocker, lang, tmp_path):
    t = T[lang]
    organisation, _campaign = full_space
    base = tenant_url(live_url, organisation.slug)
    page = open_person(lang=lang, device="desktop")
    page.goto(f"{base}/")
    page.get_by_label(t["email"]).fill(f"owner@{organisation.slug}.example")
    page.get_by_label(t["password"]).fill(PASSWORD)
    page.get_by_role("button", name=t["log_in"]).click()
    page.wait_for_url(f"{base}/")

    notice = page.locator(".quota-notice")
    read(page, "owner", lang, "1-quota-notice")
    assert t["notice"] in notice.inner_text().replace(NBSP, " ").replace("\u202f", " ")
    notice.get_by_role("link", name=t["add"]).click()
    page.wait_for_url(f"{base}/billing/?option=extra_participants#offer")
    read(page, "owner", lang, "2-offer-with-the-option")
    assert page.locator("section.offer-request").get_by_label(t["option"]).is_checked()

    page.goto(f"{base}/billing/details/")
    page.get_by_label(t["legal_name"]).fill("Harbour Logistics GmbH")
    page.get_by_label(t["address"], exact=True).fill("Hafenstraße 1")
    page.get_by_label(t["postcode"]).fill("20457")
    page.get_by_label(t["city"]).fill("Hamburg")
    page.get_by_label(t["country"]).select_option("DE")
    page.get_by_label(t["vat"]).fill("DE12")
    page.get_by_role("button", name=t["save"]).click()
    read(page, "owner", lang, "3-vat-error")
    vat = page.get_by_label(t["vat"])
    assert t["vat_error"] in page.locator("#id_vat_number_errors").inner_text()
    assert vat.get_attribute("aria-describedby") == "id_vat_number_errors"
    vat.fill("DE 123 456 789")
    page.get_by_role("button", name=t["save"]).click()
    page.wait_for_url(f"{base}/billing/")
    assert t["saved"] in page.locator("main").inner_text()

    page.goto(f"{base}/billing/order/")
    read(page, "owner", lang, "4-quote-and-order")
    with page.expect_download() as download:
        page.get_by_role("button", name=t["quote"]).click()
    pdf = tmp_path / "quote.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    with django_db_blocker.unblock():
        quote = Quote.objects.get(organisation_id=organisation.pk)
    assert download.value.suggested_filename == f"{quote.number}.pdf"
    assert (quote.vat, quote.vat_note, quote.language) == (0, "reverse_charge", lang)

    page.goto(f"{base}/billing/accompaniment/")
    read(page, "owner", lang, "5-accompaniment")
    main = page.locator("main").inner_text()
    assert t["statement"] in main and t["included"] in main
    assert "Claire Martin" in main and "Kick-off workshop" in main


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_visitor_beyond_the_quota_is_told_kindly_on_a_phone(live_url, open_person,
                                                              full_space, lang):
    t = T[lang]
    organisation, campaign = full_space
    page = open_person(lang=lang, device="phone")
    page.goto(f"{tenant_url(live_url, organisation.slug)}/c/{campaign.code}/")
    read(page, "visitor", lang, "1-campaign-full")
    assert t["refused"] in page.locator(".quota-full").inner_text()
    assert page.locator("form.join").count() == 0
    assert not page.locator(".quota-notice").count()  # the organisers' notice is theirs
