"""A person's actions across organisations, and the results people share (issue 17, parts
3 and 5).

Sam took part in an action of two organisations. On a phone (390 px), from their own page
in the first one, Sam ticks "keep my actions in my Fullmobs profile" (not in the second),
asks for the link on the public site and opens it: the profile shows the first
organisation's action, hours and impact, and nothing of the second. Then anyone opens the
first action's results page, on a phone and on a desktop (1,366 px), whose og:image is a
PNG of 1,200 × 630 that decodes. In French and English; every page read is checked."""

from __future__ import annotations

import io
import os
import uuid
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

import pytest
from django_tenants.utils import tenant_context
from PIL import Image

from engagement import links
from engagement.models import (
    Campaign,
    ImpactRecord,
    Participant,
    Pledge,
    Programme,
    ProgrammeIndicator,
)
from profiles.models import ProfileLink
from profiles.services import address_key, profile_token
from tenants.models import Organisation
from tests.e2e.journey import check_page, tenant_url
from tests.factories import make_campaign

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("JOURNEY_SHOTS")
DOMAIN = "journey-profile.example"

T = {
    "en": {"keep": "Keep my actions in my Fullmobs profile", "save": "Save my choice",
           "saved": "your actions here show in your Fullmobs profile",
           "send": "Send me my link", "title": "My actions with Fullmobs",
           "hours": "Hours given: 3", "impact": "Waste collected",
           "reached": "Target reached", "people": "1 person",
           "achieved": "What we achieved together"},
    "fr": {"keep": "Garder mes actions dans mon profil Fullmobs",
           "save": "Enregistrer mon choix",
           "saved": "vos actions ici apparaissent dans votre profil Fullmobs",
           "send": "Envoyez-moi mon lien", "title": "Mes actions avec Fullmobs",
           "hours": "Heures données\u202f: 3", "impact": "Déchets ramassés",
           "reached": "Objectif atteint", "people": "1 personne",
           "achieved": "Ce que nous avons accompli ensemble"},
}


def read(page, name: str) -> None:
    check_page(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _action(organisation, *, email: str, title: str, hours: int, kg: str | None):
    with tenant_context(organisation):
        campaign = make_campaign(starts_in=timedelta(days=-3), deadline_in=timedelta(days=-4),
                                 target=1, status=Campaign.Status.COMPLETED)
        Campaign.objects.filter(pk=campaign.pk).update(title=title)
        person = Participant.objects.create(email=email, first_name="Sam")
        Pledge.objects.create(slot=campaign.slots.get(), participant=person,
                              status=Pledge.Status.CONFIRMED, attendance="attended",
                              hours_given=Decimal(hours))
        if kg:
            indicator = ProgrammeIndicator.objects.create(
                programme=campaign.programme, code="waste_collected", position=1, unit="kg",
                label_fr="Déchets ramassés", label_en="Waste collected", sdg=14)
            ImpactRecord.objects.create(campaign=campaign, indicator=indicator,
                                        value=Decimal(kg))
        # The page as the e-mails link it (with the proof of the address).
        emailed = links.manage_url(person).split("localhost", 1)[1].lstrip(":0123456789")
        return campaign, links.participant_token(person), emailed


@pytest.fixture
def sam(django_db_blocker):
    email = f"sam-{uuid.uuid4().hex[:6]}@{DOMAIN}"
    with django_db_blocker.unblock():
        first = Organisation.objects.get(slug="testco")
        second = Organisation.objects.get(slug="otherco")
        campaign, token, emailed = _action(first, email=email, title="Beach clean-up Prado",
                                  hours=3, kg="120.5")
        _action(second, email=email, title="Tree planting Belsunce", hours=5, kg=None)
    yield {"email": email, "first": first, "campaign": campaign, "token": token,
           "emailed": emailed}
    with django_db_blocker.unblock():
        ProfileLink.objects.filter(address_key=address_key(email)).delete()
        for organisation in (first, second):
            with tenant_context(organisation):
                programmes = Programme.objects.filter(
                    campaigns__slots__pledges__participant__email=email)
                ids = list(programmes.values_list("pk", flat=True))
                Pledge.objects.filter(participant__email=email).delete()
                ImpactRecord.objects.filter(campaign__programme_id__in=ids).delete()
                Campaign.objects.filter(programme_id__in=ids).delete()
                ProgrammeIndicator.objects.filter(programme_id__in=ids).delete()
                Participant.objects.filter(email=email).delete()
                Programme.objects.filter(pk__in=ids).delete()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_person_sees_their_actions_across_organisations_on_a_phone(
        live_url, open_person, sam, lang, django_db_blocker):
    t = T[lang]
    base = tenant_url(live_url, "testco")
    page = open_person(lang=lang, device="phone")
    page.goto(f"{base}{sam['emailed']}")
    section = page.locator("#profile")
    section.get_by_label(t["keep"]).check()
    section.get_by_role("button", name=t["save"]).click()
    page.locator("li.success", has_text=t["saved"]).wait_for()
    read(page, f"profile-390-{lang}-1-own-page")

    page.goto(f"{live_url}/my-actions/")
    page.get_by_role("button", name=t["send"]).wait_for()
    read(page, f"profile-390-{lang}-2-ask")
    # The link the e-mail carries (its sending is tests/profiles' business).
    with django_db_blocker.unblock():  # the link's nonce goes to the project's cache
        link = profile_token(address_key(sam["email"]))
    page.goto(f"{live_url}/my-actions/link/{link}/")
    page.get_by_role("heading", name=t["title"]).wait_for()
    body = page.locator("main").inner_text() if page.locator("main").count() else \
        page.inner_text("body")
    assert "Test Company" in body and "Beach clean-up Prado" in body
    assert t["hours"] in body and t["impact"] in body
    # The other organisation keeps Sam's action to itself: no tick there.
    assert "Other Company" not in body and "Tree planting" not in body
    read(page, f"profile-390-{lang}-3-profile")


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_the_results_page_and_its_card(live_url, open_person, sam, lang, device):
    t = T[lang]
    base = tenant_url(live_url, "testco")
    page = open_person(lang=lang, device=device)
    page.goto(f"{base}/c/{sam['campaign'].code}/")
    page.get_by_role("button", name={"en": "See the results",
                                     "fr": "Voir les résultats"}[lang]).click()
    page.get_by_role("heading", name=t["achieved"]).wait_for()
    body = page.inner_text("body")
    assert t["reached"] in body and t["people"] in body and t["impact"] in body
    read(page, f"results-{device}-{lang}")
    image_url = page.locator('meta[property="og:image"]').get_attribute("content")
    assert "/results.png" in image_url
    # As a network's robot fetches it (the test machine resolves no organisation's host).
    host = urlsplit(image_url).netloc
    with urlopen(Request(image_url.replace(host.split(":")[0], "127.0.0.1", 1),  # noqa: S310
                         headers={"Host": host})) as answer:
        assert answer.status == 200 and answer.headers["Content-Type"] == "image/png"
        card = Image.open(io.BytesIO(answer.read()))
    card.load()
    assert card.format == "PNG" and card.size == (1200, 630)
    if SHOTS:
        card.save(f"{SHOTS}/results-card-{lang}.png")
