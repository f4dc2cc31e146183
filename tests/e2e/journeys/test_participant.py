"""Participants on a phone: Ana opens a campaign link, joins with a companion, reads that she
is in, adds the calendar entry and copies her personal link; Ben opens it in his own
browser, reads that Ana invited him, joins, thinks about cancelling (he is asked first) and
comes back; on the day both scan the QR code on site with the phone that opened their own
link, and check themselves in (Ana's companion waits for an organiser). Every page
they read fits the phone (390 px, and 360 px for a second look), in English and French."""

import os
import re
from datetime import timedelta

import pytest
from django_tenants.utils import tenant_context

from engagement.models import (
    Pledge,
    ProgrammeSurveyQuestion,
    Slot,
)
from tenants.models import Organisation
from tests.e2e.journey import check_page, tenant_url
from tests.e2e.journeys.test_accessibility import _SMALL_TARGETS

pytestmark = pytest.mark.browser

# Where to keep a screenshot of every page read (JOURNEY_SHOTS=/tmp/shots), to look at them.
SHOTS = os.environ.get("JOURNEY_SHOTS")

T = {
    "en": {
        "email": "E-mail address", "first_name": "First name",
        "companions": "People coming with you", "give": "Give my time",
        "you_are_in": "You are in:", "one_with_you": "1 person is coming with you.",
        "calendar": "Add to my calendar", "copy": "Copy the link",
        "copied": "The link is copied", "link": "Your personal invitation link",
        "invited": "Ana invited you to give some of your time to this action.",
        "warning": "Your group is larger than the places left",
        "cancel": "Cancel this pledge…", "cancel_q": "Cancel your pledge?",
        "keep": "Keep my pledge", "yes_cancel": "Yes, cancel my pledge",
        "cancelled": "Your pledge is cancelled.",
        "check_in_as": "Check in as {name}",
        "welcome": "You are checked in",
        "companion_pending": "An organiser will confirm your companion on site.",
        "code": "Your check-in code",
        "mobilised": "{n} people committed out of 4 needed",
        "manage": "Manage my pledges",
        "check_mail": "Check your e-mail",
    },
    "fr": {
        "email": "Adresse e-mail", "first_name": "Prénom",
        "companions": "Personnes qui viennent avec vous", "give": "Donner mon temps",
        "you_are_in": "Vous participez\u00a0:", "one_with_you": "1 personne vient avec vous.",
        "calendar": "Ajouter à mon agenda", "copy": "Copier le lien",
        "copied": "Le lien est copié", "link": "Votre lien d’invitation personnel",
        "invited": "Ana vous invite à donner un peu de votre temps à cette action.",
        "warning": "Votre groupe dépasse les places restantes",
        "cancel": "Annuler cet engagement…", "cancel_q": "Annuler votre engagement\u00a0?",
        "keep": "Garder mon engagement", "yes_cancel": "Oui, annuler mon engagement",
        "cancelled": "Votre engagement est annulé.",
        "check_in_as": "Pointer ma présence ({name})",
        "welcome": "Votre présence est pointée",
        "companion_pending": "Un organisateur confirmera sur place la présence de votre "
                             "accompagnant.",
        "code": "Votre code de pointage",
        # French counts 0 and 1 in the singular.
        "mobilised": "{n} personne{s} engagée{s} sur 4 nécessaires",
        "manage": "Gérer mes engagements",
        "check_mail": "Consultez vos e-mails",
    },
}


@pytest.fixture
def campaign(committed_campaign, django_db_blocker):
    """An open public campaign whose slot starts within the hour (check-in is open), a small
    second slot, and a survey: committed, for the live server to see."""
    campaign = committed_campaign(capacity=10, target=4, starts_in=timedelta(hours=1),
                                  deadline_in=timedelta(minutes=50),
                                  email_domain="journey-participant.example")
    with django_db_blocker.unblock(), tenant_context(Organisation.objects.get(slug="testco")):
        Slot.objects.create(campaign=campaign, starts_at=campaign.starts_at,
                            ends_at=campaign.ends_at, capacity=1)
        ProgrammeSurveyQuestion.objects.create(
            programme=campaign.programme, moment="after_action", position=1,
            kind="scale", text_en="How useful did the action feel?",
            text_fr="L’action vous a-t-elle semblé utile ?")
    return campaign


def read(page, shots: str, name: str) -> None:
    """What every page a participant reads must satisfy, with its screenshot kept."""
    check_page(page)
    small = page.evaluate(_SMALL_TARGETS)
    assert not small, (page.url, small)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/participant-{shots}-{name}.png", full_page=True)


def local(url: str, base: str) -> str:
    """Links are written with the organisation's public address; the test server's port
    differs."""
    return re.sub(r"^https?://[^/]+", base, url)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_join_bring_a_friend_and_check_in_on_a_phone(live_url, open_person, campaign, lang,
                                                    django_db_blocker):
    t = T[lang]
    base = tenant_url(live_url, "testco")
    ana_email = f"ana-{lang}@journey-participant.example"
    ben_email = f"ben-{lang}@journey-participant.example"
    shots = f"390-{lang}"

    # Ana opens the campaign's link.
    ana = open_person(lang=lang, device="phone")
    ana.goto(f"{base}/c/{campaign.code}/")
    read(ana, shots, "1-campaign")
    assert ana.get_by_text(t["mobilised"].format(n=0, s="")).is_visible()
    slots = ana.locator("input[name=slots]")
    slots.nth(0).check()
    ana.get_by_label(t["email"], exact=True).fill(ana_email)
    ana.get_by_label(t["first_name"], exact=True).fill("Ana")
    ana.get_by_label(t["companions"]).fill("1")
    # Two people for a slot with one place left: she is told before sending.
    warning = ana.locator("[data-party-warning]")
    assert warning.is_hidden()
    slots.nth(1).check()
    assert warning.is_visible() and t["warning"] in warning.inner_text()
    read(ana, shots, "2-warning")
    slots.nth(1).uncheck()
    assert warning.is_hidden()
    ana.get_by_role("button", name=t["give"]).click()
    ana.wait_for_url(re.compile(r"/me/"))
    read(ana, shots, "3-home")
    main = ana.locator("main")
    assert t["you_are_in"] in main.inner_text()
    assert main.get_by_text(t["one_with_you"]).is_visible()

    # The calendar entry.
    ics = ana.get_by_role("button", name=t["calendar"]).first.get_attribute("href")
    # Fetched by the page itself: the browser resolves *.localhost, the test's own client not.
    status, kind, body = ana.evaluate(
        "async (url) => { const r = await fetch(url);"
        " return [r.status, r.headers.get('content-type'), await r.text()]; }", ics)
    assert status == 200 and kind.startswith("text/calendar") and "BEGIN:VEVENT" in body

    # Her personal link, shown whole, copied with one tap (or shared, where the phone can).
    field = ana.get_by_label(t["link"])
    link = field.input_value()
    assert "?i=" in link and field.is_visible()
    share = ana.locator("[data-share-button]")
    if share.is_visible():
        assert share.bounding_box()["width"] >= 24
    ana.get_by_role("button", name=t["copy"]).click()
    assert ana.evaluate("() => navigator.clipboard.readText()") == link
    assert t["copied"] in ana.locator("[data-share-status]").inner_text()

    # Coming back to the campaign page: she is in, no join form to fill again.
    ana.goto(f"{base}/c/{campaign.code}/")
    read(ana, shots, "4-campaign-again")
    assert t["you_are_in"] in ana.locator(".you-are-in").inner_text()
    assert ana.get_by_role("button", name=t["give"]).is_hidden()
    assert ana.get_by_role("button", name=t["manage"]).is_visible()

    # Someone who knows Ana's address joins with it on another phone: the pledge form
    # answers "check your e-mail", and neither her pages nor her name open to them.
    stranger = open_person(lang=lang, device="phone")
    stranger.goto(f"{base}/c/{campaign.code}/")
    stranger.locator("input[name=slots]").first.check()
    stranger.get_by_label(t["email"], exact=True).fill(ana_email)
    stranger.get_by_label(t["first_name"], exact=True).fill("Mallory")
    stranger.get_by_role("button", name=t["give"]).click()
    stranger.wait_for_url(re.compile(rf"/c/{campaign.code}/$"))
    read(stranger, shots, "4b-stranger-check-mail")
    assert t["check_mail"] in stranger.locator("main").inner_text()
    assert stranger.get_by_role("button", name=t["manage"]).count() == 0
    assert "Ana" not in stranger.locator("main").inner_text()
    stranger.close()

    # Ben opens Ana's link on his own phone.
    ben = open_person(lang=lang, device="phone")
    ben.goto(local(link, base))
    read(ben, shots, "5-invited")
    assert ben.get_by_text(t["invited"]).is_visible()
    assert ben.get_by_text(t["mobilised"].format(n=2, s="s")).is_visible()
    ben.locator("input[name=slots]").first.check()
    ben.get_by_label(t["email"], exact=True).fill(ben_email)
    ben.get_by_label(t["first_name"], exact=True).fill("Ben")
    ben.get_by_role("button", name=t["give"]).click()
    ben.wait_for_url(re.compile(r"/me/"))
    ben_home = ben.url
    read(ben, shots, "6-ben-home")

    # He thinks of cancelling: he is asked first, and can go back.
    ben.get_by_role("link", name=t["cancel"]).click()
    read(ben, shots, "7-cancel-confirm")
    assert ben.get_by_role("heading", name=t["cancel_q"]).is_visible()
    ben.get_by_role("button", name=t["keep"]).click()
    ben.wait_for_url(ben_home)
    assert t["you_are_in"] in ben.locator("main").inner_text()
    # He cancels after all, lands on the campaign's page, and gives his time again.
    ben.get_by_role("link", name=t["cancel"]).click()
    ben.get_by_role("button", name=t["yes_cancel"]).click()
    ben.wait_for_url(re.compile(rf"/c/{campaign.code}/$"))
    read(ben, shots, "8-cancelled")
    assert ben.get_by_text(t["cancelled"]).is_visible()
    ben.locator("input[name=slots]").first.check()
    ben.get_by_role("button", name=t["give"]).click()
    ben.wait_for_url(re.compile(r"/me/"))

    # On the day, their own page shows a personal check-in code to show an organiser.
    ben.goto(ben_home)
    code = ben.locator(".checkin-code")
    assert t["code"] in code.inner_text()
    assert re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}", code.inner_text())
    assert ben.evaluate("(img) => img.complete && img.naturalWidth",
                        code.locator("img").element_handle()) > 0
    read(ben, shots, "9-ben-code")
    # Both scan the QR code on site with the phone that opened their link, and check in.
    checkin = f"{base}/c/{campaign.code}/check-in/{campaign.checkin_secret}/"
    for person, name in ((ana, "Ana"), (ben, "Ben")):
        person.goto(checkin)
        read(person, shots, f"9-checkin-{name}")
        person.get_by_role("button", name=t["check_in_as"].format(name=name)).click()
        banner = person.locator("main .banner").inner_text()
        assert name in banner and t["welcome"] in banner
        read(person, shots, f"10-checked-in-{name}")
    assert t["companion_pending"] in ana.locator("main").inner_text()
    with django_db_blocker.unblock(), \
            tenant_context(Organisation.objects.get(slug="testco")):
        attended = set(Pledge.objects.filter(
            slot__campaign=campaign, attendance="attended").values_list(
            "participant__email", flat=True))
    assert attended == {ana_email, ben_email}

    # A second look at the narrowest phone: Ana's pages at 360 px.
    small = open_person(lang=lang, device="phone360")
    ana.goto(f"{base}/c/{campaign.code}/")
    home = ana.get_by_role("button", name=t["manage"]).get_attribute("href")
    token = home.split("/")[2]
    for name, path in (("campaign", f"/c/{campaign.code}/"), ("home", home),
                       ("checkin", checkin.replace(base, "")),
                       ("survey", f"/me/{token}/survey/{campaign.code}/after_action/"),
                       ("unsubscribe", f"/me/{token}/unsubscribe/")):
        small.goto(base + path)
        read(small, f"360-{lang}", name)
