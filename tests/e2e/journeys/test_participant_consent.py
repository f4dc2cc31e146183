"""Consent on a phone (390 px): Inès opens her own page from an e-mail's link, reads that
she does not hear about future actions, switches it on with the wording she is shown,
reads her history, switches it off again and reads both records. In French and English;
every page read is checked."""

from __future__ import annotations

import os

import pytest
from django_tenants.utils import tenant_context

from engagement import links
from engagement.models import ConsentRecord, Invitation, Participant, Pledge
from engagement.services.consent import CONSENT_VERSION, CONSENT_WORDING
from tenants.models import Organisation
from tests.e2e.journey import check_page, tenant_url
from tests.e2e.journeys.test_accessibility import _SMALL_TARGETS

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("JOURNEY_SHOTS")
DOMAIN = "journey-consent.example"

T = {
    "fr": {"section": "Recevoir des nouvelles des prochaines actions",
           "save": "Enregistrer mon choix", "none": "Rien d’enregistré",
           "history": "Historique de votre consentement",
           "saved_on": "Votre choix est enregistré : vous recevrez des nouvelles",
           "saved_off": "vous ne recevrez plus de nouvelles",
           "given": "Consentement donné", "withdrawn": "Consentement retiré",
           "how": "sur cette page"},
    "en": {"section": "Hear about future actions", "save": "Save my choice",
           "none": "Nothing recorded", "history": "Your consent history",
           "saved_on": "Your choice is saved: you will hear about future actions.",
           "saved_off": "you will no longer hear about future actions",
           "given": "Consent given", "withdrawn": "Consent withdrawn",
           "how": "on this page"},
}


def read(page, name: str) -> None:
    check_page(page)
    small = page.evaluate(_SMALL_TARGETS)
    assert not small, (page.url, small)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/consent-{name}.png", full_page=True)


@pytest.fixture
def ines(committed_campaign, django_db_blocker, request):
    lang = request.node.callspec.params["lang"]
    campaign = committed_campaign(email_domain=DOMAIN)
    with django_db_blocker.unblock():
        organisation = Organisation.objects.get(slug="testco")
    with django_db_blocker.unblock(), tenant_context(organisation):
        person = Participant.objects.create(email=f"ines-{lang}@{DOMAIN}", first_name="Inès",
                                            language=lang)
        Pledge.objects.create(slot=campaign.slots.get(), participant=person,
                              status=Pledge.Status.CONFIRMED)
        token = links.participant_token(person)
    yield person, token
    with django_db_blocker.unblock(), tenant_context(organisation):
        Pledge.objects.filter(participant_id=person.pk).delete()
        Invitation.objects.filter(inviter_id=person.pk).delete()  # her own page made one
        Participant.objects.filter(pk=person.pk).delete()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_switch_my_consent_and_read_its_history_on_a_phone(live_url, open_person, ines, lang,
                                                           django_db_blocker):
    t = T[lang]
    person, token = ines
    wording = CONSENT_WORDING[CONSENT_VERSION][lang]
    page = open_person(lang=lang, device="phone")
    page.goto(f"{tenant_url(live_url, 'testco')}/me/{token}/")
    section = page.get_by_role("region", name=t["section"])
    section.scroll_into_view_if_needed()
    switch = section.get_by_role("switch", name=wording)
    assert not switch.is_checked()
    assert t["none"] in section.inner_text()
    read(page, f"{lang}-1-off")

    switch.check()
    section.get_by_role("button", name=t["save"]).click()
    page.wait_for_load_state("load")
    assert t["saved_on"] in page.locator("main").inner_text()
    section = page.get_by_role("region", name=t["section"])
    assert section.get_by_role("switch", name=wording).is_checked()
    history = section.get_by_role("region", name=t["history"]).inner_text()
    assert t["given"] in history and wording in history and t["how"] in history
    read(page, f"{lang}-2-on")

    section.get_by_role("switch", name=wording).uncheck()
    section.get_by_role("button", name=t["save"]).click()
    page.wait_for_load_state("load")
    assert t["saved_off"] in page.locator("main").inner_text()
    history = page.get_by_role("region", name=t["history"])
    history.scroll_into_view_if_needed()
    items = history.get_by_role("listitem").all_inner_texts()
    assert len(items) == 2 and t["given"] in items[0] and t["withdrawn"] in items[1]
    read(page, f"{lang}-3-history")

    with django_db_blocker.unblock():
        organisation = Organisation.objects.get(slug="testco")
    with django_db_blocker.unblock(), tenant_context(organisation):
        assert list(ConsentRecord.objects.filter(participant_id=person.pk)
                    .values_list("given", "source", "language")) == [
            (True, "own_page", lang), (False, "own_page", lang)]


ORGANISER = {
    "fr": {"email": "Adresse e-mail", "password": "Mot de passe", "log_in": "Se connecter",
           "history": "Historique du consentement", "withdrawn": "Consentement retiré",
           "how": "lien de désinscription d’un e-mail"},
    "en": {"email": "E-mail address", "password": "Password", "log_in": "Log in",
           "history": "Consent history", "withdrawn": "Consent withdrawn",
           "how": "unsubscribe link of an e-mail"},
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_an_owner_reads_a_persons_consent_history_on_a_desktop(live_url, open_person, ines,
                                                               lang, django_db_blocker):
    from engagement.services.consent import consent_record
    from engagement.services.participants import participant_unsubscribe
    from tests.conftest import PASSWORD

    t = ORGANISER[lang]
    person, _token = ines
    with django_db_blocker.unblock():
        organisation = Organisation.objects.get(slug="testco")
    with django_db_blocker.unblock(), tenant_context(organisation):
        consent_record(participant=person, given=True, source=ConsentRecord.Source.JOIN_FORM,
                       language=lang)
        participant_unsubscribe(participant=person, language=lang)
    page = open_person(lang=lang, device="desktop")
    page.goto(f"{tenant_url(live_url, 'testco')}/participants/{person.pk}/")
    page.get_by_label(t["email"]).fill("owner@testco.test")
    page.get_by_label(t["password"]).fill(PASSWORD)
    page.get_by_role("button", name=t["log_in"]).click()
    history = page.get_by_role("region", name=t["history"])
    items = history.get_by_role("listitem").all_inner_texts()
    assert len(items) == 2 and t["withdrawn"] in items[1] and t["how"] in items[1]
    assert CONSENT_WORDING[CONSENT_VERSION][lang] in items[0]
    read(page, f"organiser-{lang}")
