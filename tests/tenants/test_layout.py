"""The frame of every page: header menu, skip link, landmarks, banners and error pages, as a
person reads them in English and French."""

import re

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.utils import translation
from django.views.defaults import server_error

from ..conftest import public_client, tenant_client

PRIMARY = ["Dashboard", "Programmes", "Campaigns", "Participants", "Reports"]
MORE = ["Teams", "Levers", "Value of time", "Methodology", "Members", "Personal data register",
        "Settings", "Directory of actions", "Billing", "Accompaniment hours"]


def _between(page: str, start: str, end: str) -> str:
    return page.split(start, 1)[1].split(end, 1)[0]


def _labels(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", text).strip() for text in re.findall(r"<a [^>]*>(.*?)</a>", html)]


@pytest.mark.django_db
def test_menu_shows_five_destinations_and_the_rest_under_more(org_a, owner_a):
    page = tenant_client(org_a, owner_a).get("/campaigns/").content.decode()
    nav = _between(page, '<nav class="container site-nav has-menu" aria-label="Main menu">',
                   "</nav>")
    first_row = _between(nav, '<ul class="nav-links">', '<details class="nav-more">')
    more = _between(nav, '<details class="nav-more">', "</details>")
    assert _labels(first_row) == PRIMARY
    assert "<summary>More</summary>" in more
    assert _labels(more) == MORE
    # On a phone the same destinations sit behind one "Menu" button (a <details>).
    phone = _between(nav, '<details class="nav-menu">', "</details>")
    assert "<summary>Menu</summary>" in phone
    # ...followed by the person's own links.
    assert _labels(phone) == PRIMARY + MORE + ["Security"]
    assert "Log out" in phone
    # The page shown is marked, in both menus.
    assert nav.count('<a href="/campaigns/" aria-current="page">Campaigns</a>') == 2
    assert nav.count('aria-current="page"') == 2


@pytest.mark.django_db
def test_menu_marks_the_section_of_a_page_below_it(org_a, owner_a):
    client = tenant_client(org_a, owner_a)
    page = client.get("/levers/").content.decode()
    assert '<a href="/levers/" aria-current="page">Levers</a>' in page
    assert '<summary class="current">More</summary>' in page
    page = client.get("/participants/import/").content.decode()
    assert '<a href="/participants/" aria-current="true">Participants</a>' in page


@pytest.mark.django_db
def test_only_owners_see_settings_and_billing(org_a, viewer_a):
    page = tenant_client(org_a, viewer_a).get("/dashboard/").content.decode()
    more = _between(page, '<details class="nav-more">', "</details>")
    assert _labels(more) == ["Teams", "Levers", "Value of time", "Methodology", "Members",
                             "Personal data register"]


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "skip", "menu", "more"), [
    ("en", "Skip to content", "Main menu", "More"),
    ("fr", "Aller au contenu", "Menu principal", "Plus"),
])
def test_skip_link_comes_first_and_leads_to_main(org_a, owner_a, lang, skip, menu, more):
    client = tenant_client(org_a, owner_a)
    page = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    body = page.split("<body", 1)[1]
    first_focusable = re.search(r"<(a|button|input|select|textarea|summary)\b[^>]*>", body)
    assert first_focusable.group(0) == '<a class="skip-link" href="#content">'
    assert f'<a class="skip-link" href="#content">{skip}</a>' in body
    assert '<main class="container" id="content" tabindex="-1">' in body
    # Landmarks: a banner with a named navigation, the main content, a footer.
    assert re.search(rf'<header class="site">\s*<nav [^>]*aria-label="{menu}"', body)
    assert body.count("<main") == 1 and "<footer" in body
    assert f"<summary>{more}</summary>" in body


@pytest.mark.django_db
def test_anonymous_visitors_keep_log_in_and_language_in_sight(org_a):
    page = tenant_client(org_a).get("/accounts/login/").content.decode()
    nav = _between(page, "<nav ", "</nav>")
    assert "has-menu" not in nav.split(">", 1)[0]  # nothing to fold on a phone
    assert "nav-menu" not in nav
    assert ">Log in</a>" in nav and 'name="language" value="fr"' in nav


def test_banners_and_muted_text_are_styled_for_reading():
    css = (settings.BASE_DIR / "static" / "css" / "fullmobs.css").read_text()
    # Pico gives every list item a square bullet: the banners' items must say "none".
    assert re.search(r"\.messages li \{[^}]*list-style: none", css)
    # Grey text at 4.5:1 or more on white and on the tinted banners (#4b5563: 7.5:1).
    assert ".muted { color: var(--text-muted)" in css or ".muted { color: #4b5563" in css
    assert "#6b7280; font-size" not in css
    # A focus ring that can be seen: 3 px, dark, away from the element.
    ring = re.search(r"\):focus-visible,[^{]*\{([^}]*)\}", css).group(1)
    assert "outline: 3px solid var(--focus-ring)" in ring and "outline-offset: 2px" in ring


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "title", "back"), [
    ("en", "Page not found", "Back to Test Company"),
    ("fr", "Page introuvable", "Retour à Test Company"),
])
def test_missing_page_is_the_products_page_even_with_debug_on(org_a, owner_a, settings, lang,
                                                              title, back):
    settings.DEBUG = True  # development and demonstrations
    client = tenant_client(org_a, owner_a)
    response = client.get("/campaigns/999999/", HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 404
    page = response.content.decode()
    assert f"<h1>{title}</h1>" in page and back in page
    assert "URLconf" not in page and "Raised by" not in page
    assert page.count("<h1") == 1
    # An address that matches nothing at all.
    response = client.get("/no/such/page/", HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 404 and title in response.content.decode()
    assert "URLconf" not in response.content.decode()


@pytest.mark.django_db
def test_unknown_organisation_host_gets_the_products_page(settings):
    settings.DEBUG = True
    response = Client(HTTP_HOST=f"nobody-here.{settings.BASE_DOMAIN}").get("/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page and "Go to the Fullmobs home page" in page
    assert "URLconf" not in page


@pytest.mark.django_db
def test_api_keeps_its_json_not_found(org_a, owner_a, settings):
    settings.DEBUG = True
    response = tenant_client(org_a, owner_a).get("/api/v1/campaigns/999999/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(("lang", "title", "back"), [
    ("en", "Something went wrong", "Go to the home page"),
    ("fr", "Une erreur est survenue", "Aller à l’accueil"),
])
def test_server_error_page_in_the_visitors_language(lang, title, back):
    request = RequestFactory().get("/")
    with translation.override(lang):
        page = server_error(request).content.decode()
    assert f'<html lang="{lang}">' in page
    assert f"<h1>{title}</h1>" in page
    assert f'<a role="button" href="/">{back}</a>' in page
    assert "/static/css/fullmobs.css" in page
    assert " / " not in _between(page, "<main", "</main>")  # one language, not both


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "title", "back"), [
    ("en", "This form has expired", "Back to the form"),
    ("fr", "Ce formulaire a expiré", "Revenir au formulaire"),
])
def test_expired_form_page_offers_a_way_back(org_a, lang, title, back):
    client = Client(HTTP_HOST=f"{org_a.slug}.{settings.BASE_DOMAIN}", enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"},
                           HTTP_ACCEPT_LANGUAGE=lang,
                           HTTP_REFERER=f"http://{org_a.slug}.{settings.BASE_DOMAIN}/accounts/login/")
    assert response.status_code == 403
    page = response.content.decode()
    assert f"<h1>{title}</h1>" in page
    assert f'/accounts/login/">{back}</a>' in page
    assert f'<html lang="{lang}">' in page


@pytest.mark.django_db
def test_every_page_names_its_icon_and_the_public_header_leads_to_prices_and_a_demo():
    """No 404 for /favicon.ico behind every page; a prospect reaches the prices and a demo
    request from the header of any public page."""
    page = public_client().get("/accessibility/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert 'rel="icon" href="/static/img/favicon.svg"' in page
    header = page.split("</header>")[0]
    assert ">Tarifs</a>" in header and ">Demander une démonstration</a>" in header
