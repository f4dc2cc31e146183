"""The directory's public pages: /actions/ (search, pagination, strict parameters), its RSS
and iCalendar feeds, and the track record on the pages and in the API."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from icalendar import Calendar

from directory.models import ListedCampaign
from tenants.models import Organisation
from tests.conftest import public_client, tenant_client

LYON = (Decimal("45.764000"), Decimal("4.835700"))
MARSEILLE = (Decimal("43.296500"), Decimal("5.369800"))


def organisations(count: int) -> list[Organisation]:
    made = []
    for n in range(count):
        made.append(Organisation.objects.create(
            name=f"Association {n}", slug=f"asso-{n}", schema_name=f"asso_{n}",
            kind=Organisation.Kind.ASSOCIATION, status=Organisation.Status.ACTIVE))
    return made


def listed(organisation: Organisation, campaign_id: int, *, title: str = "Clean-up",
           point: tuple[Decimal, Decimal] | None = LYON, place: str = "Lyon",
           days: int = 10, theme: str = "environment", status: str = "open",
           mobilised: int = 3, target: int = 10) -> ListedCampaign:
    start = timezone.now() + timedelta(days=days)
    return ListedCampaign.objects.create(
        organisation=organisation, campaign_id=campaign_id, title_en=title,
        title_fr=f"{title} FR", organiser=organisation.name, place=place,
        latitude=point[0] if point else None, longitude=point[1] if point else None,
        starts_at=start, ends_at=start + timedelta(hours=3),
        mobilisation_deadline=start - timedelta(days=2), participant_target=target,
        mobilised=mobilised, theme=theme, status=status,
        public_url=f"http://{organisation.slug}.localhost/c/code{campaign_id}/")


@pytest.mark.django_db
def test_the_directory_lists_and_searches(org_a, settings):
    settings.DIRECTORY_PAGE_SIZE = 2
    listed(org_a, 1, title="Quai clean-up", place="Quai Rambaud, Lyon", days=3)
    listed(org_a, 2, title="Calanques", place="Marseille", point=MARSEILLE, days=5,
           theme="biodiversity")
    listed(org_a, 3, title="Tree planting", place="Villeurbanne", days=20, point=None)
    listed(org_a, 4, title="Past clean-up", days=-3)  # over: not in the default list

    client = public_client()
    page = client.get("/actions/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "3 actions" in html and "Quai clean-up" in html and "Calanques" in html
    assert "Tree planting" not in html  # page 2
    assert "Past clean-up" not in html
    assert "Page 1 of 2" in html
    assert "Tree planting" in client.get("/actions/?page=2").content.decode()

    by_place = client.get("/actions/?place=lyon").content.decode()
    assert "Quai clean-up" in by_place and "Calanques" not in by_place

    near_marseille = client.get("/actions/?near=43.30,5.37&km=25").content.decode()
    assert "1 action" in near_marseille and "Calanques" in near_marseille
    assert "Tree planting" not in near_marseille  # no point: not found by distance

    by_theme = client.get("/actions/?theme=biodiversity").content.decode()
    assert "Calanques" in by_theme and "Quai clean-up" not in by_theme

    start = (timezone.now() + timedelta(days=15)).date().isoformat()
    by_date = client.get(f"/actions/?from={start}").content.decode()
    assert "Tree planting" in by_date and "Quai clean-up" not in by_date

    empty = client.get("/actions/?place=Nowhere")
    assert "No action matches this search yet." in empty.content.decode()


@pytest.mark.django_db
def test_finished_actions_are_found_with_their_results(org_a):
    """What is over leaves the default list; "Finished" shows it, most recent first, with
    its outcome and its results page (an outcome decided only)."""
    listed(org_a, 1, title="Coming clean-up", days=4)
    listed(org_a, 2, title="Old planting", days=-30, status="completed", mobilised=12)
    listed(org_a, 3, title="Recent collection", days=-3, status="failed", mobilised=4)
    listed(org_a, 4, title="Undecided walk", days=-1, status="open")
    client = public_client()
    coming = client.get("/actions/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Coming clean-up" in coming and "Old planting" not in coming
    page = client.get("/actions/?when=finished", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200 and "3 actions" in html
    assert "Coming clean-up" not in html
    assert html.index("Undecided walk") < html.index("Recent collection") < \
        html.index("Old planting")
    assert "Over: target reached" in html and "Over: target missed" in html
    assert f'href="http://{org_a.slug}.localhost/c/code2/results/"' in html
    assert f'href="http://{org_a.slug}.localhost/c/code3/results/"' in html
    assert "/c/code4/results/" not in html  # not decided yet: no results page
    french = client.get("/actions/?when=finished", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Voir les résultats" in french
    # The feeds follow the choice.
    assert "Old planting" in client.get("/actions/feed.rss?when=finished").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "parameter"), [
    ("near=91,4", "near"), ("near=lyon", "near"), ("km=7", "km"), ("theme=party", "theme"),
    ("from=2026-13-01", "from"), ("from=2026-05-02&to=2026-05-01", "to"),
    ("page=0", "page"), ("page=x", "page"), ("page=9", "page"), ("when=past", "when"),
])
def test_bad_parameters_are_refused_naming_them(query, parameter):
    client = public_client()
    page = client.get(f"/actions/?{query}")
    assert page.status_code == 400
    assert f"<code>{parameter}</code>" in page.content.decode()
    if parameter != "page" or query != "page=9":
        feed = client.get(f"/actions/feed.rss?{query}")
        assert feed.status_code == 400 and parameter in feed.json()["errors"]
    assert client.get("/actions/calendar.ics?lang=de").json()["errors"]["lang"]


@pytest.mark.django_db
def test_the_feeds_carry_the_area_searched(org_a):
    listed(org_a, 1, title="Quai clean-up", place="Lyon")
    listed(org_a, 2, title="Calanques", place="Marseille", point=MARSEILLE)
    client = public_client()

    rss = client.get("/actions/feed.rss?place=lyon&lang=fr")
    assert rss["Content-Type"].startswith("application/rss+xml")
    items = ET.fromstring(rss.content).findall("./channel/item")  # noqa: S314 - our own feed
    assert [item.findtext("title") for item in items] == ["Quai clean-up FR"]
    assert items[0].findtext("link") == f"http://{org_a.slug}.localhost/c/code1/"

    ics = client.get("/actions/calendar.ics?near=43.3,5.37&km=10&lang=en")
    events = Calendar.from_ical(ics.content).walk("VEVENT")
    assert [str(event["summary"]) for event in events] == ["Calanques"]
    assert str(events[0]["location"]) == "Marseille"


@pytest.mark.django_db
def test_a_closing_organisation_leaves_the_directory_at_once(org_a):
    listed(org_a, 1, title="Quai clean-up")
    Organisation.objects.filter(pk=org_a.pk).update(closure_requested_at=timezone.now())
    assert "Quai clean-up" not in public_client().get("/actions/").content.decode()


@pytest.mark.django_db
def test_the_track_record_hides_small_cells(org_a):
    """Five organisations behind the environment theme: shown; biodiversity with one
    organisation: hidden, and with it the next smallest theme (solidarity, five
    organisations but fewer campaigns), whose figure would otherwise give biodiversity's by
    subtraction; the two hidden together stand for six organisations, so environment stays
    shown."""
    orgs = organisations(6)
    n = 0
    for index, organisation in enumerate(orgs[:5]):
        for reached in (True, True, index % 2 == 0):
            n += 1
            listed(organisation, n, days=-30, status="succeeded" if reached else "failed")
    for organisation in orgs[1:]:
        n += 1
        listed(organisation, n, days=-30, status="completed", theme="solidarity")
    n += 1
    listed(orgs[0], n, days=-30, status="failed", theme="biodiversity")

    client = public_client()
    data = client.get("/api/v1/directory/track-record/").json()
    # Environment: 15 finished, 13 reached (orgs 1 and 3 missed one each); solidarity:
    # 5 of 5; biodiversity: 0 of 1. Overall: 18 of 21.
    assert data["overall"] == {"theme": None, "shown": True, "campaigns": 21,
                               "reached": 18, "organisations": 6,
                               "success_rate": round(18 / 21, 4)}
    themes = {cell["theme"]: cell for cell in data["by_theme"]}
    assert themes["environment"]["shown"] and themes["environment"]["success_rate"] == 0.8667
    assert themes["biodiversity"] == {"theme": "biodiversity", "shown": False,
                                      "reason": "threshold",
                                      "theme_label": "Biodiversity"}
    assert themes["solidarity"]["shown"] is False
    assert themes["solidarity"]["reason"] == "complementary"

    page = client.get("/actions/").content.decode()
    assert "86%" in page and "Hidden: fewer than 5 organisations" in page
    assert "87%" in page  # environment
    french = client.get("/actions/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "86\u00a0%" in french or "86\u202f%" in french
    landing = client.get("/").content.decode()
    assert "86%" in landing and "/actions/" in landing


@pytest.mark.django_db
def test_the_track_record_says_when_it_is_hidden(org_a):
    listed(org_a, 1, days=-30, status="succeeded")
    data = public_client().get("/api/v1/directory/track-record/").json()
    assert data["overall"] == {"theme": None, "shown": False, "reason": "threshold"}
    page = public_client().get("/actions/").content.decode()
    assert "Not shown yet" in page and "100%" not in page


@pytest.mark.django_db
def test_the_settings_page_is_the_owners(org_a, owner_a, manager_a,
                                         django_capture_on_commit_callbacks):
    assert tenant_client(org_a, manager_a).get("/directory/").status_code == 404
    owner = tenant_client(org_a, owner_a)
    assert owner.get("/directory/").status_code == 200
    assert owner.post("/directory/", {"listed": "maybe"}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        assert owner.post("/directory/", {"listed": "on"}).status_code == 302
    assert org_a.directory_choice.listed


@pytest.mark.django_db
def test_the_tile_server_is_allowed_on_the_directory_only_when_configured(settings):
    client = public_client()
    def img_src(policy: str) -> str:
        # Directives in any order, the last one without its semicolon.
        return next(d.strip() for d in policy.split(";") if d.strip().startswith("img-src"))

    assert img_src(client.get("/actions/")["Content-Security-Policy"]) == "img-src 'self' data:"
    settings.DIRECTORY_TILE_URL = "https://tiles.example.test/{z}/{x}/{y}.png"
    page = client.get("/actions/")
    assert img_src(page["Content-Security-Policy"]) == \
        "img-src 'self' data: https://tiles.example.test"
    assert 'data-tiles="https://tiles.example.test/{z}/{x}/{y}.png"' in page.content.decode()
    assert "tiles.example.test" not in client.get("/")["Content-Security-Policy"]
