"""An organiser on site, on a phone (390 px): logs in, opens the campaign page from the menu,
searches a participant, checks people in, marks a no-show and undoes it, types a
participant's personal check-in code on the check-in page, and opens the check-in poster,
which prints on one A4 sheet with a QR code a phone can see. Every page fits the phone, in
English and in French (the organisation's own language)."""

import os
import re
import uuid
from datetime import timedelta

import pytest
from django_tenants.utils import tenant_context

from engagement.models import Participant, Pledge
from engagement.services import pledge_create
from engagement.services.checkin import checkin_code
from tenants.models import Organisation
from tenants.services import organisation_provision
from tests.conftest import PASSWORD, drop_organisation
from tests.e2e.journey import check_page, tenant_url
from tests.factories import make_campaign

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("JOURNEY_SHOTS")

T = {
    "en": {
        "email": "E-mail address", "password": "Password", "log_in": "Log in",
        "menu": "Menu", "campaigns": "Campaigns", "search": "Search a participant",
        "check_in": "Check in", "no_show": "No-show", "undo": "Undo no-show",
        "attended": "Attended", "did_not_come": "Did not come", "not_yet": "Not yet",
        "matches": "1 pledge matches “martin”.", "poster": "Check-in poster",
        "call": "You are here? Check in!", "show_all": "Show all",
        "code": "Check-in code", "find": "Find", "checked_in": "{name} is checked in.",
    },
    "fr": {
        "email": "Adresse e-mail", "password": "Mot de passe", "log_in": "Se connecter",
        "menu": "Menu", "campaigns": "Campagnes", "search": "Chercher un participant",
        "check_in": "Pointer", "no_show": "Absent", "undo": "Annuler l’absence",
        "attended": "Présent", "did_not_come": "Absent", "not_yet": "Pas encore",
        "matches": "1 engagement correspond à « martin ».", "poster": "Affiche de pointage",
        "call": "Vous êtes là\u00a0? Pointez votre présence\u00a0!", "show_all": "Tout afficher",
        "code": "Code de pointage", "find": "Chercher",
        "checked_in": "Présence de {name} pointée.",
    },
}

PEOPLE = [("ana.martin", "Ana", "Martin"), ("bob.durand", "Bob", "Durand"),
          ("chloe.petit", "Chloé", "Petit"), ("david.moreau", "David", "Moreau"),
          ("emma.laurent", "Emma", "Laurent"), ("farid.benali", "Farid", "Benali"),
          ("gaelle.roux", "Gaëlle", "Roux"), ("hugo.fournier", "Hugo", "Fournier")]


@pytest.fixture
def on_site(django_db_blocker, request):
    """A space in the organiser's language with an open campaign happening within the hour
    and eight people pledged (one with companions)."""
    lang = request.node.callspec.params["lang"]
    slug = f"onsite-{lang}-{uuid.uuid4().hex[:6]}"
    with django_db_blocker.unblock():
        organisation = organisation_provision(
            name="Ville de Brest" if lang == "fr" else "Brest Harbour Ltd", slug=slug,
            owner_email=f"lead@{slug}.example", owner_password=PASSWORD,
            owner_name="Léa Organiser", locale=lang, kind="local_authority" if lang == "fr"
            else "company")
        with tenant_context(organisation):
            campaign = make_campaign(capacity=30, target=12, starts_in=timedelta(minutes=30),
                                     deadline_in=timedelta(minutes=20))
            slot = campaign.slots.get()
            for index, (local, first, last) in enumerate(PEOPLE):
                person = Participant.objects.create(
                    email=f"{local}@{slug}.example", first_name=first, last_name=last)
                pledge_create(slot=slot, participant=person, companions=2 if index == 1 else 0)
    yield organisation, campaign
    with django_db_blocker.unblock():
        drop_organisation(Organisation.objects.get(pk=organisation.pk))


def read(page, lang: str, name: str) -> None:
    check_page(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/organiser-390-{lang}-{name}.png", full_page=True)


def row(page, name: str):
    return page.locator("#pledge-list tbody tr", has_text=name)


def fits(locator, width: int = 390) -> bool:
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_organiser_checks_people_in_on_a_phone(live_url, open_person, on_site, lang,
                                               django_db_blocker):
    organisation, campaign = on_site
    t = T[lang]
    base = tenant_url(live_url, organisation.slug)
    page = open_person(lang=lang, device="phone")

    page.goto(f"{base}/")  # anonymous: sent to the login page
    read(page, lang, "1-login")
    page.get_by_label(t["email"]).fill(f"lead@{organisation.slug}.example")
    page.get_by_label(t["password"]).fill(PASSWORD)
    page.get_by_role("button", name=t["log_in"]).click()
    page.wait_for_url(f"{base}/")
    read(page, lang, "2-home")

    # The menu is one button on a phone; the campaign is one tap away.
    page.get_by_text(t["menu"], exact=True).click()
    page.get_by_role("link", name=t["campaigns"], exact=True).click()
    read(page, lang, "3-campaigns")
    page.get_by_role("link", name="Beach clean-up").click()
    page.wait_for_url(f"{base}/campaigns/{campaign.pk}/")
    read(page, lang, "4-campaign")
    assert page.locator("#pledge-list tbody tr").count() == len(PEOPLE)
    # Check-in and no-show buttons are on the screen, not off to the right.
    ana = row(page, "Ana Martin")
    assert fits(ana.get_by_role("button", name=t["check_in"]))
    assert fits(ana.get_by_role("button", name=t["no_show"]))

    # Searching filters the list as the organiser types (on the server, through HTMX).
    page.get_by_role("searchbox", name=t["search"]).fill("martin")
    page.get_by_text(t["matches"]).wait_for()
    assert page.locator("#pledge-list tbody tr").count() == 1
    assert "q=martin" in page.url  # the address can be reloaded or shared
    read(page, lang, "5-search")
    ana = row(page, "Ana Martin")
    ana.get_by_role("button", name=t["check_in"]).click()
    ana.get_by_text(t["attended"]).wait_for()
    assert ana.get_by_role("button").count() == 0

    page.get_by_role("link", name=t["show_all"]).click()
    page.wait_for_url(re.compile(rf"{re.escape(base)}/campaigns/{campaign.pk}/(#pledges)?$"))
    bob = row(page, "Bob Durand")
    assert "+2" in bob.inner_text()
    bob.get_by_role("button", name=t["no_show"]).click()
    bob.get_by_role("button", name=t["undo"]).wait_for()
    assert t["did_not_come"] in bob.inner_text()
    read(page, lang, "6-no-show")
    # The smallest phones in use (360 px): still no sideways scrolling, buttons on screen.
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    assert fits(row(page, "Ana Martin").locator(".who"), 360)
    assert fits(row(page, "Chloé Petit").get_by_role("button", name=t["no_show"]), 360)
    page.set_viewport_size({"width": 390, "height": 844})
    # A mistake: Bob was only late. Undone, then checked in with his two companions.
    bob.get_by_role("button", name=t["undo"]).click()
    bob.get_by_text(t["not_yet"]).wait_for()
    bob.get_by_role("button", name=t["check_in"]).click()
    bob.get_by_text(t["attended"]).wait_for()
    with django_db_blocker.unblock(), tenant_context(organisation):
        attendance = dict(Pledge.objects.filter(slot__campaign=campaign).values_list(
            "participant__last_name", "attendance"))
    assert attendance["Martin"] == attendance["Durand"] == "attended"
    assert list(attendance.values()).count("pending") == len(PEOPLE) - 2

    # Chloé shows her personal check-in code: typed loosely on the check-in page.
    with django_db_blocker.unblock(), tenant_context(organisation):
        code = checkin_code(Pledge.objects.get(slot__campaign=campaign,
                                               participant__first_name="Chloé"))
    page.goto(f"{base}/campaigns/{campaign.pk}/check-in/")
    read(page, lang, "7-check-in-page")
    page.get_by_label(t["code"]).fill(code.replace("-", "").lower())
    page.get_by_role("button", name=t["find"]).click()
    page.get_by_role("heading", name="Chloé Petit").wait_for()
    read(page, lang, "8-check-in-found")
    page.get_by_role("button", name=t["check_in"], exact=True).click()
    page.get_by_text(t["checked_in"].format(name="Chloé Petit")).wait_for()
    with django_db_blocker.unblock(), tenant_context(organisation):
        assert Pledge.objects.get(participant__first_name="Chloé").attendance == "attended"
    page.goto(f"{base}/campaigns/{campaign.pk}/")

    # The check-in poster: the campaign, its day and place, a QR code a phone can read.
    page.get_by_role("button", name=t["poster"], exact=True).click()
    page.wait_for_url(f"{base}/campaigns/{campaign.pk}/poster/")
    read(page, lang, "7-poster")
    poster = page.locator("article.poster")
    assert poster.get_attribute("lang") == lang
    assert "Beach clean-up" in poster.inner_text() and "Plage du Prado" in poster.inner_text()
    assert poster.get_by_text(t["call"]).is_visible()
    qr = poster.locator("img.poster-qr")
    qr.wait_for()
    assert page.evaluate("(img) => img.complete && img.naturalWidth", qr.element_handle()) > 0
    assert qr.bounding_box()["width"] >= 250
    # On paper: one A4 page, the site's header and the organiser's tools left out.
    page.emulate_media(media="print")
    assert not page.locator("header.site").is_visible()
    assert not page.get_by_role("link", name="Beach clean-up").is_visible()
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    assert re.search(rb"/MediaBox\s*\[\s*0 0 59[45][.\d]* 84[12][.\d]*\s*\]", pdf)  # A4
