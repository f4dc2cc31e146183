"""An association signs up from the public site and mobilises for free; a company's campaign
names it as its partner and shares a read-only link to the campaign's figures.

1. The association's volunteer reads the free plan on the pricing page, signs up as an
   association (the form says what that means), reads the billing page (the free plan, its
   limits, what is used), and 31 days later still creates a programme: no trial ran out.
2. A manager of a company names the association as the partner of a campaign (with its
   logo), makes the partner's link, and the partner opens it on a phone: the campaign's
   figures, no participant, in its language. The organiser revokes it: the link is dead.
Both on a desktop (1,366 px) and a phone (390 px), in English and in French.
"""

import io
import os
import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context
from PIL import Image
from playwright.sync_api import expect

from billing.entitlements import entitlements_for
from tenants.models import Organisation
from tests.conftest import PASSWORD, drop_organisation, make_member
from tests.e2e.journey import check_page, tenant_url

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("JOURNEY_SHOTS")
NBSP = "\u00a0"

T = {
    "en": {
        "free_link": "An association or a citizens' collective? Mobilise for free.",
        "pricing": "Pricing", "free": "Free", "limit": "2 campaigns open at once",
        "paid": "€290 a month",
        "name": "Organisation name", "kind": "Kind", "help": "get the free plan",
        "your_name": "Your name", "email": "Your work e-mail", "password": "Password",
        "create": "Create my space", "plan": "free plan, with no end date",
        "usage": "What you use of the Community plan", "open_row": "Campaigns open at once",
        "programmes": "Programmes", "new": "New programme without a template",
        "create_programme": "Create the programme", "created": "created",
        "login_email": "E-mail address", "log_in": "Log in",
    },
    "fr": {
        "free_link": "Une association ou un collectif citoyen\u202f? Mobilisez gratuitement.",
        "pricing": "Tarifs", "free": "Gratuit", "limit": f"2{NBSP}campagnes ouvertes en même temps",
        "paid": f"290{NBSP}€ par mois",
        "name": "Nom de la structure", "kind": "Type", "help": "ont l’offre gratuite",
        "your_name": "Votre nom", "email": "Votre e-mail professionnel",
        "password": "Mot de passe", "create": "Créer mon espace",
        "plan": "offre gratuite, sans date de fin",
        "usage": "Ce que vous utilisez de l’offre Associatif",
        "open_row": "Campagnes ouvertes en même temps",
        "programmes": "Programmes", "new": "Nouveau programme sans fiche-modèle",
        "create_programme": "Créer le programme", "created": "créé",
        "login_email": "Adresse e-mail", "log_in": "Se connecter",
    },
}


def read(page, name: str) -> None:
    check_page(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/association-{name}.png", full_page=True)


def text_of(page) -> str:
    return re.sub(r"[ \t\n]+", " ", page.locator("main").inner_text())


@pytest.fixture
def new_association(django_db_blocker):
    suffix = uuid.uuid4().hex[:6]
    yield suffix
    with django_db_blocker.unblock():
        for organisation in Organisation.objects.filter(slug__endswith=f"-{suffix}"):
            drop_organisation(organisation)


@pytest.mark.parametrize(("lang", "device"), [("en", "desktop"), ("fr", "phone"),
                                              ("fr", "desktop"), ("en", "phone")])
def test_an_association_signs_up_and_mobilises_for_free_with_no_end(
        live_url, open_person, new_association, django_db_blocker, lang, device):
    t = T[lang]
    shots = f"{device}-{lang}"
    slug = f"amis-du-prado-{new_association}"
    page = open_person(lang=lang, device=device)

    page.goto(f"{live_url}/pricing/")
    read(page, f"{shots}-1-pricing")
    free = page.locator("#plan-community")
    assert free.get_by_text(t["free"], exact=True).is_visible()
    assert t["limit"] in free.inner_text() and t["paid"] in text_of(page)

    page.goto(f"{live_url}/")
    page.get_by_role("link", name=t["free_link"]).click()
    assert page.get_by_label(t["kind"]).input_value() == "association"
    assert t["help"] in text_of(page)
    read(page, f"{shots}-2-signup")
    page.get_by_label(t["name"]).fill(f"Amis du Prado {new_association}")
    page.get_by_label("Address" if lang == "en" else "Adresse").fill(slug)
    page.get_by_label(t["your_name"]).fill("Inès Martin")
    page.get_by_label(t["email"]).fill(f"ines@{slug}.example")
    page.get_by_label(t["password"], exact=True).fill(PASSWORD)
    base = tenant_url(live_url, slug)
    # Provisioning a space takes a few seconds, more on a loaded test machine.
    with page.expect_navigation(url=re.compile(rf"^{re.escape(base)}/$"), timeout=120_000):
        page.get_by_role("button", name=t["create"]).click(timeout=120_000)

    with django_db_blocker.unblock():
        organisation = Organisation.objects.get(slug=slug)
        assert (organisation.kind, organisation.status, organisation.trial_ends_at) == (
            "association", "active", None)
    page.goto(f"{base}/billing/")
    read(page, f"{shots}-3-billing")
    billing = text_of(page)
    assert t["plan"] in billing and t["usage"] in billing
    row = page.locator("#usage-open_campaigns")
    assert t["open_row"] in row.inner_text() and "2" in row.inner_text()

    # 31 days later (the space's dates moved back, as time would): no trial ran out.
    with django_db_blocker.unblock():
        Organisation.objects.filter(pk=organisation.pk).update(
            created_at=timezone.now() - timedelta(days=31),
            owner_email_verified_at=timezone.now() - timedelta(days=31))
        organisation.refresh_from_db()
        assert not entitlements_for(organisation, now=timezone.now() + timedelta(days=400)
                                    ).read_only
    page.goto(f"{base}/programmes/")
    assert page.locator(".banner.billing-warning").count() == 0
    page.get_by_text(t["new"]).click()
    page.locator("#id_name").fill("Plages propres" if lang == "fr" else "Clean beaches")
    page.locator("#id_starts_on").fill(timezone.localdate().isoformat())
    page.locator("#id_ends_on").fill((timezone.localdate() + timedelta(days=60)).isoformat())
    page.get_by_role("button", name=t["create_programme"]).click()
    page.wait_for_url(re.compile(r"/programmes/\d+/$"))
    assert t["created"] in text_of(page)
    read(page, f"{shots}-4-programme")


P = {
    "en": {
        "panel": "Partner association", "name_a_partner": "Name a partner",
        "partner_name": "Partner's name", "website": "Partner's website (optional)",
        "logo": "Partner's logo (optional)", "save": "Save the partner",
        "saved": "The partner is saved.", "make": "Make the partner's link",
        "link_label": "Link for the partner", "back": "Back to the campaign",
        "credit": "In partnership with",
        "committed": "people, including companions, for a target of 5",
        "mobilised": "people mobilised", "revoke": "Revoke the link",
        "revoked": "The partner's link is revoked", "not_found": "Page not found",
    },
    "fr": {
        "panel": "Association partenaire", "name_a_partner": "Indiquer un partenaire",
        "partner_name": "Nom du partenaire", "website": "Site web du partenaire (facultatif)",
        "logo": "Logo du partenaire (facultatif)", "save": "Enregistrer le partenaire",
        "saved": "Le partenaire est enregistré.", "make": "Créer le lien du partenaire",
        "link_label": "Lien pour le partenaire", "back": "Retour à l’action",
        "credit": "En partenariat avec",
        "committed": "personnes, accompagnants compris, pour un objectif de 5",
        "mobilised": "personnes mobilisées", "revoke": "Révoquer le lien",
        "revoked": "Le lien du partenaire est révoqué", "not_found": "Page introuvable",
    },
}


@pytest.fixture
def logo_file(tmp_path):
    path = tmp_path / "surfrider.png"
    buffer = io.BytesIO()
    Image.new("RGB", (240, 80), (0, 90, 160)).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_company_names_its_partner_and_the_partner_reads_the_figures_on_a_phone(
        live_url, open_person, committed_campaign, django_db_blocker, logo_file, lang):
    from engagement.models import Participant
    from tests.factories import make_pledge

    t = P[lang]
    campaign = committed_campaign(email_domain="partner-journey.example", target=5)
    with django_db_blocker.unblock():
        organisation = Organisation.objects.get(slug="testco")
        manager = make_member(organisation, "manager", f"partner-manager-{lang}@testco.test")
        with tenant_context(organisation):
            slot = campaign.slots.get()
            for n in range(3):
                make_pledge(slot, Participant.objects.create(
                    email=f"p{n}@partner-journey.example", first_name=f"Secret{n}"))
    base = tenant_url(live_url, "testco")

    organiser = open_person(lang=lang, device="desktop")
    organiser.goto(f"{base}/")
    organiser.get_by_label(T[lang]["login_email"]).fill(manager.email)
    organiser.get_by_label(T[lang]["password"]).fill(PASSWORD)
    organiser.get_by_role("button", name=T[lang]["log_in"]).click()
    organiser.wait_for_url(f"{base}/")
    organiser.goto(f"{base}/campaigns/{campaign.pk}/#partner")
    panel = organiser.locator("#partner")
    assert panel.get_by_role("heading", name=t["panel"]).is_visible()
    panel.get_by_label(t["partner_name"]).fill("Surfrider Marseille")
    panel.get_by_label(t["website"]).fill("https://surfrider.example.org")
    panel.get_by_label(t["logo"]).set_input_files(str(logo_file))
    read(organiser, f"partner-desktop-{lang}-1-panel")
    panel.get_by_role("button", name=t["save"]).click()
    assert organiser.get_by_text(t["saved"]).is_visible()
    expect(panel.locator(".campaign-partner img")).to_be_visible()
    panel.get_by_role("button", name=t["make"]).click()
    read(organiser, f"partner-desktop-{lang}-2-link")
    url = organiser.get_by_label(t["link_label"]).input_value()
    assert re.fullmatch(rf"{re.escape(base)}/partner/[\w-]{{40,}}/", url)

    # The partner, on a phone, with no account.
    partner = open_person(lang=lang, device="phone")
    partner.goto(url)
    read(partner, f"partner-phone-{lang}-3-figures")
    body = text_of(partner)
    assert t["credit"] in body and "Surfrider Marseille" in body
    assert t["committed"] in body and t["mobilised"] in body
    assert "Secret0" not in body and "partner-journey.example" not in body
    logo = partner.locator(".campaign-partner img")
    assert partner.evaluate("(img) => img.complete && img.naturalWidth > 0",
                            logo.element_handle())
    # The same page on a desktop, and the organisers' panel on a phone.
    wide = open_person(lang=lang, device="desktop")
    wide.goto(url)
    read(wide, f"partner-desktop-{lang}-3-figures")
    assert t["committed"] in text_of(wide)
    phone = open_person(lang=lang, device="phone")
    phone.goto(f"{base}/")
    phone.get_by_label(T[lang]["login_email"]).fill(manager.email)
    phone.get_by_label(T[lang]["password"]).fill(PASSWORD)
    phone.get_by_role("button", name=T[lang]["log_in"]).click()
    phone.wait_for_url(f"{base}/")
    phone.goto(f"{base}/campaigns/{campaign.pk}/#partner")
    assert phone.locator("#partner").get_by_text("Surfrider Marseille").is_visible()
    read(phone, f"partner-phone-{lang}-2-panel")
    # The public campaign page credits the partner too.
    partner.goto(f"{base}/c/{campaign.code}/")
    assert partner.locator(".campaign-partner").get_by_text("Surfrider Marseille").is_visible()
    read(partner, f"partner-phone-{lang}-4-campaign-page")

    organiser.get_by_role("button", name=t["back"]).click()
    organiser.locator("#partner").get_by_role("button", name=t["revoke"]).click()
    assert organiser.get_by_text(t["revoked"]).is_visible()
    response = partner.goto(url)
    assert response.status == 404
    with django_db_blocker.unblock():
        from engagement.models import CampaignPartner, PartnerLink
        with tenant_context(organisation):
            PartnerLink.objects.filter(campaign=campaign).delete()
            CampaignPartner.objects.filter(campaign=campaign).delete()
        manager.memberships.all().delete()
        manager.delete()
