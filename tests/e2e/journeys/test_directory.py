"""The directory of actions, in the browser.

An owner (desktop, English and French) chooses on their space's directory page to list the
organisation's public campaigns: its open public campaign appears on the public site, its
internal one never does. A visitor on a phone (390 px) and at a desk (1,366 px), in French
and in English, reads /actions/: the cards (title, organiser, place, date, progress, time
left), the map's markers (tiles requested from a configured server but never fetched: the
test blocks them), searches by place and around a point, reads a refusal naming a wrong
parameter, follows the RSS and iCalendar links (both parsed), and reads the platform's
track record, shown with five organisations behind it and said hidden under that.
"""

from __future__ import annotations

import os
import uuid
import xml.etree.ElementTree as ET
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from django_tenants.utils import tenant_context
from icalendar import Calendar

from directory.models import DirectoryChoice, ListedCampaign
from engagement.models import Campaign
from tenants.models import Organisation
from tests.conftest import PASSWORD
from tests.e2e.journey import check_page, tenant_url
from tests.factories import make_campaign

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("JOURNEY_SHOTS")


def t(lang: str, text: str) -> str:
    with translation.override(lang):
        return translation.gettext(text)


def shot(page, name: str) -> None:
    check_page(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/directory-{name}.png", full_page=True)


@pytest.fixture
def actions(django_db_blocker):
    """Two public campaigns (Lyon, with a point; Villeurbanne, without) and an internal one
    of the test organisation, not listed yet; five other organisations' finished listed
    campaigns for the track record."""
    tag = uuid.uuid4().hex[:6]
    with django_db_blocker.unblock():
        organisation = Organisation.objects.get(slug="testco")
        with tenant_context(organisation):
            lyon = make_campaign(target=20, capacity=30, starts_in=timedelta(days=12),
                                 deadline_in=timedelta(days=6))
            Campaign.objects.filter(pk=lyon.pk).update(
                title=f"Berges du Rhône {tag}", place="Quai Rambaud, Lyon",
                latitude=Decimal("45.740000"), longitude=Decimal("4.818000"),
                content_language="fr",
                translations={"en": {"title": f"Rhône banks clean-up {tag}"}})
            villeurbanne = make_campaign(target=10, starts_in=timedelta(days=20),
                                         deadline_in=timedelta(days=15))
            Campaign.objects.filter(pk=villeurbanne.pk).update(
                title=f"Arbres de Villeurbanne {tag}", place="Villeurbanne",
                content_language="fr")
            internal = make_campaign(visibility=Campaign.Visibility.INTERNAL)
            Campaign.objects.filter(pk=internal.pk).update(title=f"Interne {tag}")
        others = [Organisation.objects.create(
            name=f"Collectif {n} {tag}", slug=f"coll-{n}-{tag}", schema_name=f"coll_{n}_{tag}",
            kind=Organisation.Kind.ASSOCIATION, status=Organisation.Status.ACTIVE)
            for n in range(5)]
        past = timezone.now() - timedelta(days=40)
        for n, other in enumerate(others):
            for k, status in enumerate(("succeeded", "succeeded", "failed" if n < 2 else
                                        "completed")):
                ListedCampaign.objects.create(
                    organisation=other, campaign_id=k + 1, title_fr=f"Action {n}-{k}",
                    organiser=other.name, starts_at=past, ends_at=past + timedelta(hours=2),
                    mobilisation_deadline=past - timedelta(days=2), participant_target=10,
                    mobilised=12, theme="environment", status=status,
                    public_url=f"http://{other.slug}.localhost/c/x{k}/")
    yield {"organisation": organisation, "tag": tag, "lyon": lyon,
           "villeurbanne": villeurbanne, "internal": internal, "others": others}
    with django_db_blocker.unblock():
        ListedCampaign.objects.filter(organisation__in=[organisation, *others]).delete()
        DirectoryChoice.objects.filter(organisation=organisation).delete()
        Organisation.objects.filter(pk__in=[o.pk for o in others]).delete()
        with tenant_context(organisation):
            for campaign in (lyon, villeurbanne, internal):
                programme = campaign.programme
                Campaign.objects.filter(programme=programme).delete()
                programme.delete()


def owner_lists_campaigns(open_person, live_url, lang: str) -> None:
    page = open_person(lang=lang, device="desktop")
    tenant = tenant_url(live_url, "testco")
    page.goto(f"{tenant}/accounts/login/")
    page.locator("input[name=username]").fill("owner@testco.test")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(f"{tenant}/directory/")
    assert page.get_by_role("heading", level=1).inner_text() == t(lang, "Directory of actions")
    shot(page, f"owner-{lang}-1-choice")
    page.get_by_label(t(lang, "Yes, list them")).check()
    page.get_by_role("button", name=t(lang, "Save")).click()
    page.wait_for_url(f"{tenant}/directory/")
    assert t(lang, "Your public campaigns are listed in the directory.") in page.inner_text(
        "main")
    page.reload()
    assert t(lang, "Listed") in page.inner_text("table")
    shot(page, f"owner-{lang}-2-listed")


@pytest.mark.parametrize("device", ["phone", "desktop"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_visitor_finds_actions_in_the_directory(live_url, open_person, actions,
                                                 django_db_blocker, lang, device):
    tag = actions["tag"]
    owner_lists_campaigns(open_person, live_url, lang)
    with django_db_blocker.unblock():
        listed = set(ListedCampaign.objects.filter(organisation=actions["organisation"])
                     .values_list("campaign_id", flat=True))
        with_point = ListedCampaign.objects.filter(
            ends_at__gt=timezone.now(), latitude__isnull=False,
            organisation__closure_requested_at__isnull=True).count()
    assert listed == {actions["lyon"].pk, actions["villeurbanne"].pk}

    page = open_person(lang=lang, device=device)
    tiles: list[str] = []

    def block_tile(route):
        tiles.append(route.request.url)
        route.abort()

    page.route("https://tiles.example.test/**", block_tile)
    page.goto(f"{live_url}/actions/")
    lyon_title = f"Berges du Rhône {tag}" if lang == "fr" else f"Rhône banks clean-up {tag}"
    assert page.get_by_role("heading", level=1).inner_text() == t(
        lang, "Actions open to everyone")
    cards = page.locator(".action-card")
    lyon = cards.filter(has_text=lyon_title)
    lyon.wait_for()
    assert f"Arbres de Villeurbanne {tag}" in page.inner_text(".directory-cards")
    assert f"Interne {tag}" not in page.inner_text("main")
    text = lyon.inner_text()
    assert "Quai Rambaud, Lyon" in text and "Test Company" in text
    assert t(lang, "Organised by %(organiser)s") % {"organiser": "Test Company"} in text
    assert (("0 personnes engagées sur 20" if lang == "fr" else "0 of 20 people committed")
            in text)
    assert ("pour s’inscrire" if lang == "fr" else "left to join") in text
    # One marker per action with a point (the Lyon one among them), tiles asked and blocked.
    page.locator(".leaflet-marker-icon").first.wait_for()
    assert page.locator(f".leaflet-marker-icon[title='{lyon_title}']").count() == 1
    markers = page.locator(".leaflet-marker-icon").count()
    assert markers == with_point
    page.wait_for_timeout(300)
    assert tiles and all(url.startswith("https://tiles.example.test/") for url in tiles)
    # The track record: 5 organisations, 13 of 15 reached.
    record = page.inner_text(".track-record")
    assert ("87\u00a0%" if lang == "fr" else "87%") in record
    shot(page, f"{device}-{lang}-1-actions")

    # Search by place, then around a point in Lyon.
    page.get_by_label(t(lang, "Place"), exact=True).fill("lyon")
    page.get_by_role("button", name=t(lang, "Search"), exact=True).click()
    page.wait_for_url("**/actions/?*place=lyon*")
    assert lyon_title in page.inner_text(".directory-cards")
    assert f"Arbres de Villeurbanne {tag}" not in page.inner_text("main")
    page.goto(f"{live_url}/actions/?near=45.75,4.83&km=10")
    assert page.locator(".action-card").filter(has_text=lyon_title).count() == 1
    assert f"Arbres de Villeurbanne {tag}" not in page.inner_text("main")
    assert ("à " if lang == "fr" else " km away") in page.inner_text(".directory-cards")
    shot(page, f"{device}-{lang}-2-near")

    # The feeds of this area, as the page links them.
    rss_href = page.locator("a.feed-rss").get_attribute("href")
    ics_href = page.locator("a.feed-ics").get_attribute("href")
    assert "near=45.75" in rss_href and f"lang={lang}" in rss_href
    rss = page.request.get(f"{live_url}{rss_href}")
    assert rss.ok and rss.headers["content-type"].startswith("application/rss+xml")
    items = ET.fromstring(rss.body()).findall("./channel/item")  # noqa: S314 - our own feed
    assert [item.findtext("title") for item in items] == [lyon_title]
    ics = page.request.get(f"{live_url}{ics_href}")
    events = Calendar.from_ical(ics.body()).walk("VEVENT")
    assert [str(event["summary"]) for event in events] == [lyon_title]
    assert str(events[0]["location"]) == "Quai Rambaud, Lyon"

    # A wrong parameter: refused, naming it.
    response = page.goto(f"{live_url}/actions/?near=somewhere&km=7")
    assert response.status == 400
    errors = page.inner_text(".form-errors")
    assert "near" in errors and "km" in errors
    assert t(lang, "Near the point") in errors
    shot(page, f"{device}-{lang}-3-refused")


def test_the_track_record_says_it_is_hidden_under_five_organisations(live_url, open_person,
                                                                     actions,
                                                                     django_db_blocker):
    with django_db_blocker.unblock():
        ListedCampaign.objects.filter(organisation=actions["others"][0]).delete()
    for lang in ("fr", "en"):
        page = open_person(lang=lang, device="phone")
        page.goto(f"{live_url}/")
        record = page.inner_text(".track-record")
        assert t(lang, "Our track record") in record
        assert ("Pas encore affiché" if lang == "fr" else "Not shown yet") in record
        shot(page, f"phone-{lang}-landing-hidden")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_owner_puts_a_campaign_on_the_map_and_leaves_one_out(live_url, open_person, actions,
                                                             django_db_blocker, lang):
    """On the campaign's form: a latitude without its longitude is refused on that field;
    both put the action on the map; unticking the directory takes the other one out."""
    owner_lists_campaigns(open_person, live_url, lang)
    tag, tenant = actions["tag"], tenant_url(live_url, "testco")
    page = open_person(lang=lang, device="desktop")
    page.goto(f"{tenant}/accounts/login/")
    page.locator("input[name=username]").fill("owner@testco.test")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    page.goto(f"{tenant}/campaigns/{actions['villeurbanne'].pk}/edit/")
    page.get_by_label(t(lang, "Latitude of the place")).fill("45.7719")
    page.get_by_role("button", name=t(lang, "Save")).click()
    assert t(lang, "Give both the latitude and the longitude, or neither.") in page.inner_text(
        "main")
    shot(page, f"owner-{lang}-3-point-refused")
    page.get_by_label(t(lang, "Longitude of the place")).fill("4.8902")
    page.get_by_role("button", name=t(lang, "Save")).click()
    page.wait_for_url(f"{tenant}/campaigns/{actions['villeurbanne'].pk}/")

    page.goto(f"{tenant}/campaigns/{actions['lyon'].pk}/edit/")
    page.get_by_label(t(lang, "Show in the Fullmobs directory of actions")).uncheck()
    shot(page, f"owner-{lang}-4-leave-out")
    page.get_by_role("button", name=t(lang, "Save")).click()
    page.wait_for_url(f"{tenant}/campaigns/{actions['lyon'].pk}/")

    with django_db_blocker.unblock():
        rows = {row.campaign_id: row for row in ListedCampaign.objects.filter(
            organisation=actions["organisation"])}
    assert set(rows) == {actions["villeurbanne"].pk}
    assert (rows[actions["villeurbanne"].pk].latitude,
            rows[actions["villeurbanne"].pk].longitude) == (Decimal("45.771900"),
                                                            Decimal("4.890200"))
    visitor = open_person(lang=lang, device="phone")
    visitor.route("https://tiles.example.test/**", lambda route: route.abort())
    visitor.goto(f"{live_url}/actions/?near=45.77,4.88&km=5")
    cards = visitor.inner_text(".directory-cards")
    assert f"Arbres de Villeurbanne {tag}" in cards and "Rhône" not in cards
    visitor.locator(".leaflet-marker-icon[title^='Arbres de Villeurbanne']").wait_for()
    shot(visitor, f"phone-{lang}-4-on-the-map")
