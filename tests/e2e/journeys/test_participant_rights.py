"""A participant's rights on a phone (390 px): Zoé opens her own page from the link of an
e-mail, downloads her data (JSON, then the CSV files), asks to erase it, reads what stays,
confirms, and her old link then says the data was erased, showing none of it. In French
(and English); every page read is checked."""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from pathlib import Path

import pytest
from django_tenants.utils import tenant_context

from engagement import links
from engagement.models import Invitation, Participant, Pledge, PrivacyLog
from tenants.models import Organisation
from tests.e2e.journey import check_page, tenant_url
from tests.e2e.journeys.test_accessibility import _SMALL_TARGETS

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("JOURNEY_SHOTS")
DOMAIN = "journey-rights.example"

T = {
    "fr": {"section": "Vos données", "json": "Télécharger mes données (JSON)",
           "csv": "Télécharger mes données (CSV)", "erase": "Effacer mes données…",
           "question": "Effacer vos données ?", "keep": "Garder mes données",
           "stays": "Ce qui reste, sans votre nom",
           "yes": "Oui, effacer mes données", "done": "Vos données personnelles ont été effacées.",
           "erased": "Données effacées", "identity": "Qui vous êtes",
           "email": "Adresse e-mail"},
    "en": {"section": "Your data", "json": "Download my data (JSON)",
           "csv": "Download my data (CSV)", "erase": "Erase my data…",
           "question": "Erase your data?", "keep": "Keep my data",
           "stays": "What stays, without your name",
           "yes": "Yes, erase my data", "done": "Your personal data has been erased.",
           "erased": "Data erased", "identity": "Who you are", "email": "E-mail address"},
}


def read(page, name: str) -> None:
    check_page(page)
    small = page.evaluate(_SMALL_TARGETS)
    assert not small, (page.url, small)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/rights-{name}.png", full_page=True)


@pytest.fixture
def zoe(committed_campaign, django_db_blocker, request):
    """Zoé, with a pledge to a campaign, committed; afterwards she goes, erased or not, with
    the privacy log rows the journey wrote."""
    lang = request.node.callspec.params["lang"]
    campaign = committed_campaign(email_domain=DOMAIN)
    with django_db_blocker.unblock():
        organisation = Organisation.objects.get(slug="testco")
    with django_db_blocker.unblock(), tenant_context(organisation):
        first_log = PrivacyLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        person = Participant.objects.create(
            email=f"zoe-{lang}@{DOMAIN}", first_name="Zoéline", last_name="Quarteroni",
            postcode="13007", language=lang)
        Pledge.objects.create(slot=campaign.slots.get(), participant=person,
                              status=Pledge.Status.CONFIRMED, companion_names="Gaspard")
        token = links.participant_token(person)
    yield person, token
    with django_db_blocker.unblock(), tenant_context(organisation):
        Pledge.objects.filter(participant_id=person.pk).delete()
        Invitation.objects.filter(inviter_id=person.pk).delete()  # her personal link
        Participant.objects.filter(pk=person.pk).delete()
        PrivacyLog.objects.filter(pk__gt=first_log).delete()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_download_then_erase_my_data_on_a_phone(live_url, open_person, zoe, lang,
                                                 django_db_blocker):
    t = T[lang]
    person, token = zoe
    base = tenant_url(live_url, "testco")
    page = open_person(lang=lang, device="phone")
    page.goto(f"{base}/me/{token}/")
    section = page.get_by_role("region", name=t["section"])
    section.scroll_into_view_if_needed()
    read(page, f"{lang}-1-own-page")

    with page.expect_download() as download:
        section.get_by_role("button", name=t["json"]).click()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    identity = data["sections"][0]
    assert identity["title"] == t["identity"]
    assert identity["rows"][0][t["email"]] == person.email

    with page.expect_download() as download:
        section.get_by_role("button", name=t["csv"]).click()
    archive = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert "Quarteroni" in archive.read("1-identity.csv").decode("utf-8-sig")

    section.get_by_role("link", name=t["erase"]).click()
    page.wait_for_url(re.compile(r"/erase/$"))
    assert page.get_by_role("heading", name=t["question"]).is_visible()
    assert t["stays"] in page.locator("main").inner_text()
    read(page, f"{lang}-2-confirm")
    page.get_by_role("button", name=t["yes"]).click()
    page.wait_for_load_state("load")
    main = page.locator("main").inner_text()
    assert t["done"] in main and "Zoéline" not in page.content()
    read(page, f"{lang}-3-erased")

    # The old link from her e-mails: the data was erased, a 404 that shows none of it.
    answer = page.goto(f"{base}/me/{token}/")
    assert answer.status == 404
    assert t["erased"] in page.locator("main").inner_text()
    assert "Zoéline" not in page.content() and person.email not in page.content()
    read(page, f"{lang}-4-old-link")

    with django_db_blocker.unblock(), tenant_context(Organisation.objects.get(slug="testco")):
        erased = Participant.objects.get(pk=person.pk)
        assert erased.erased_at is not None and erased.first_name == ""
        assert erased.pledges.get().companion_names == ""


ORGANISER = {
    "fr": {"email": "Adresse e-mail", "password": "Mot de passe", "log_in": "Se connecter",
           "rights": "Les droits de la personne", "json": "Télécharger ses données (JSON)",
           "erase": "Effacer les données de cette personne…",
           "question": "Effacer les données de Zoéline Quarteroni ?",
           "yes": "Oui, effacer ses données",
           "done": "Les données personnelles de la personne ont été effacées",
           "erased": "Données effacées"},
    "en": {"email": "E-mail address", "password": "Password", "log_in": "Log in",
           "rights": "The person’s rights", "json": "Download their data (JSON)",
           "erase": "Erase this person’s data…",
           "question": "Erase the data of Zoéline Quarteroni?",
           "yes": "Yes, erase their data",
           "done": "The person’s personal data has been erased",
           "erased": "Data erased"},
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_an_owner_exports_and_erases_a_person_on_a_desktop(live_url, open_person, zoe, lang,
                                                           django_db_blocker):
    from tests.conftest import PASSWORD

    t = ORGANISER[lang]
    person, _token = zoe
    base = tenant_url(live_url, "testco")
    page = open_person(lang=lang, device="desktop")
    page.goto(f"{base}/participants/")
    page.get_by_label(t["email"]).fill("owner@testco.test")
    page.get_by_label(t["password"]).fill(PASSWORD)
    page.get_by_role("button", name=t["log_in"]).click()
    page.wait_for_url(re.compile(r"/participants/$"))
    page.get_by_role("link", name="Zoéline Quarteroni").click()
    page.wait_for_url(re.compile(rf"/participants/{person.pk}/$"))
    assert page.get_by_role("heading", name=t["rights"]).is_visible()
    read(page, f"organiser-{lang}-1-person")
    with page.expect_download() as download:
        page.get_by_role("button", name=t["json"]).click()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["language"] == lang and data["sections"][1]["rows"]

    page.get_by_role("link", name=t["erase"]).click()
    assert page.get_by_role("heading", name=t["question"]).is_visible()
    read(page, f"organiser-{lang}-2-confirm")
    page.get_by_role("button", name=t["yes"]).click()
    page.wait_for_url(re.compile(r"/participants/$"))
    main = page.locator("main").inner_text()
    assert t["done"] in main and t["erased"] in main and "Zoéline" not in page.content()
    read(page, f"organiser-{lang}-3-list")
