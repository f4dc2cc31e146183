"""An organiser on a phone (390 px) with a campaign of many pledges jumps from the table of
contents at the top to the pledge list at the bottom; once the campaign has failed, its
public page shows the outcome and asks nobody to come, and the share box shares the
result. English and French."""

import os
import uuid

import pytest
from django_tenants.utils import tenant_context

from engagement.models import Campaign, Participant
from engagement.services import pledge_create
from tenants.models import Organisation
from tenants.services import organisation_provision
from tests.conftest import PASSWORD, drop_organisation
from tests.e2e.journey import check_page, tenant_url
from tests.factories import make_campaign

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("JOURNEY_SHOTS")
PEOPLE = 40

T = {
    "en": {"email": "E-mail address", "password": "Password", "log_in": "Log in",
           "pledges": f"{PEOPLE} pledges", "result": "Share the result",
           "failed": "this action will not take place", "bring": "Bring others"},
    "fr": {"email": "Adresse e-mail", "password": "Mot de passe", "log_in": "Se connecter",
           "pledges": f"{PEOPLE} engagements", "result": "Partager le résultat",
           "failed": "cette action n’aura pas lieu", "bring": "Entraînez d’autres personnes"},
}


@pytest.fixture
def busy(django_db_blocker, request):
    lang = request.node.callspec.params["lang"]
    slug = f"busy-{lang}-{uuid.uuid4().hex[:6]}"
    with django_db_blocker.unblock():
        organisation = organisation_provision(
            name="Ville de Brest", slug=slug, owner_email=f"lead@{slug}.example",
            owner_password=PASSWORD, owner_name="Léa Organiser", locale=lang,
            kind="local_authority")
        with tenant_context(organisation):
            campaign = make_campaign(capacity=60, target=50)
            for n in range(PEOPLE):
                pledge_create(slot=campaign.slots.get(), participant=Participant.objects.create(
                    email=f"p{n}@{slug}.example", first_name=f"Person{n}", last_name="Test"))
    yield organisation, campaign
    with django_db_blocker.unblock():
        drop_organisation(Organisation.objects.get(pk=organisation.pk))


def read(page, lang: str, name: str) -> None:
    check_page(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/outcome-390-{lang}-{name}.png", full_page=True)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_long_campaign_page_and_a_failed_one_on_a_phone(live_url, open_person, busy, lang,
                                                          django_db_blocker):
    organisation, campaign = busy
    t = T[lang]
    base = tenant_url(live_url, organisation.slug)
    page = open_person(lang=lang, device="phone")
    page.goto(f"{base}/accounts/login/")
    page.get_by_label(t["email"]).fill(f"lead@{organisation.slug}.example")
    page.get_by_label(t["password"]).fill(PASSWORD)
    page.get_by_role("button", name=t["log_in"]).click()
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/campaigns/{campaign.pk}/")
    read(page, lang, "1-campaign")
    toc = page.locator("nav.page-toc")
    box = toc.bounding_box()
    assert box is not None and box["y"] < 1600  # the contents are on the first screens
    # The slots and the share box come before the long list, one tap away from the top.
    assert page.locator("#slots-title").bounding_box()["y"] < page.locator(
        "#pledges").bounding_box()["y"]
    toc.get_by_role("link", name=t["pledges"]).click()
    page.wait_for_url(f"{base}/campaigns/{campaign.pk}/#pledges")
    assert page.locator("#pledges-title").is_visible()

    with django_db_blocker.unblock(), tenant_context(organisation):
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.FAILED)
    page.goto(f"{base}/campaigns/{campaign.pk}/")
    page.get_by_role("heading", name=t["result"]).wait_for()
    read(page, lang, "2-failed-organiser")
    visitor = open_person(lang=lang, device="phone")
    visitor.goto(f"{base}/c/{campaign.code}/")
    visitor.get_by_text(t["failed"]).wait_for()
    assert visitor.get_by_text(t["bring"]).count() == 0
    read(visitor, lang, "3-failed-public")
