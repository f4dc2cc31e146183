"""Content in two languages, as people read it. A French city's programme lead, at her desk
(1,366 px, in French), writes a campaign's English title and description next to the
French ones and sees both on the campaign's page. An English-speaking resident on a phone
(390 px) opens the campaign and reads it in English; on another campaign, written only in
French, he reads the French title marked "(in French)" with its language on the element.
A French reader of a campaign written only in English reads "(en anglais)"."""

import os
import uuid

import pytest
from django_tenants.utils import tenant_context

from engagement.models import Campaign
from tenants.models import Organisation
from tenants.services import organisation_provision
from tests.conftest import PASSWORD, drop_organisation
from tests.e2e.journey import check_page, tenant_url
from tests.factories import make_campaign

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("JOURNEY_SHOTS")


@pytest.fixture
def city(django_db_blocker):
    """A French city's space with three open public campaigns: one to translate, one
    written only in French, one only in English."""
    slug = f"bilingue-{uuid.uuid4().hex[:6]}"
    with django_db_blocker.unblock():
        organisation = organisation_provision(
            name="Ville de Marseille", slug=slug, owner_email=f"lead@{slug}.example",
            owner_password=PASSWORD, owner_name="Léa Martin", locale="fr",
            kind="local_authority")
        with tenant_context(organisation):
            campaigns = [make_campaign(description=description)
                         for description in ("Apportez des **gants**.", "Venez nombreux.",
                                             "Bring a spade.")]
            for campaign, title, language in zip(
                    campaigns, ("Nettoyage de la plage", "Plantation d’arbres",
                                "Tree planting"), ("fr", "fr", "en"), strict=True):
                Campaign.objects.filter(pk=campaign.pk).update(title=title,
                                                               content_language=language)
    yield organisation, campaigns
    with django_db_blocker.unblock():
        drop_organisation(Organisation.objects.get(pk=organisation.pk))


def read(page, name: str) -> None:
    check_page(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/bilingual-{name}.png", full_page=True)


def test_organiser_writes_both_languages_and_each_reader_gets_theirs(
        live_url, open_person, city, django_db_blocker):
    organisation, (translated, french_only, english_only) = city
    base = tenant_url(live_url, organisation.slug)

    # The programme lead, in French, at her desk.
    lead = open_person(lang="fr", device="desktop")
    lead.goto(f"{base}/")
    lead.get_by_label("Adresse e-mail").fill(f"lead@{organisation.slug}.example")
    lead.get_by_label("Mot de passe").fill(PASSWORD)
    lead.get_by_role("button", name="Se connecter").click()
    lead.wait_for_url(f"{base}/")
    lead.goto(f"{base}/campaigns/{translated.pk}/")
    assert "Titre en anglais : pas encore écrit" in lead.locator(
        ".bilingual-summary").inner_text().replace("\u00a0", " ").replace("\u202f", " ")
    read(lead, "1-organiser-campaign-fr-1366")
    lead.get_by_role("link", name="Modifier les textes").click()
    lead.wait_for_url(f"{base}/campaigns/{translated.pk}/edit/")
    # Two clearly labelled fields, each with its language.
    french_title = lead.get_by_label("Titre en français")
    english_title = lead.get_by_label("Titre en anglais")
    assert french_title.input_value() == "Nettoyage de la plage"
    assert (french_title.get_attribute("lang"), english_title.get_attribute("lang")) == (
        "fr", "en")
    english_title.fill("Beach clean-up")
    lead.get_by_label("Description en anglais").fill("Bring **gloves**.")
    read(lead, "2-organiser-edit-fr-1366")
    lead.get_by_role("button", name="Enregistrer").click()
    lead.wait_for_url(f"{base}/campaigns/{translated.pk}/")
    summary = lead.locator(".bilingual-summary")
    assert summary.locator('span[lang="en"]').inner_text() == "Beach clean-up"
    assert lead.get_by_role("heading", level=1).inner_text() == "Nettoyage de la plage"
    read(lead, "3-organiser-campaign-saved-fr-1366")
    with django_db_blocker.unblock(), tenant_context(organisation):
        translated.refresh_from_db()
    assert translated.title == "Nettoyage de la plage"
    assert translated.translations == {"en": {"title": "Beach clean-up",
                                              "description": "Bring **gloves**."}}

    # A resident reading English, on his phone.
    resident = open_person(lang="en", device="phone")
    resident.goto(f"{base}/c/{translated.code}/")
    heading = resident.get_by_role("heading", level=1)
    assert heading.inner_text() == "Beach clean-up"
    assert resident.title().startswith("Beach clean-up")
    assert "Bring gloves." in resident.locator(".description").inner_text()
    assert resident.locator(".lang-note").count() == 0
    read(resident, "4-participant-translated-en-390")

    # Written only in French: the French title, in its language, marked as such.
    resident.goto(f"{base}/c/{french_only.code}/")
    heading = resident.get_by_role("heading", level=1)
    assert heading.locator('span[lang="fr"]').inner_text() == "Plantation d’arbres"
    assert heading.locator(".lang-note").inner_text() == "(in French)"
    description = resident.locator(".description")
    assert description.locator('[lang="fr"]').inner_text() == "Venez nombreux."
    assert "(in French)" in description.inner_text()
    read(resident, "5-participant-fallback-en-390")

    # And the other way round: a French reader of a campaign written only in English.
    voisine = open_person(lang="fr", device="phone")
    voisine.goto(f"{base}/c/{english_only.code}/")
    heading = voisine.get_by_role("heading", level=1)
    assert heading.locator('span[lang="en"]').inner_text() == "Tree planting"
    assert heading.locator(".lang-note").inner_text() == "(en anglais)"
    read(voisine, "6-participant-fallback-fr-390")
