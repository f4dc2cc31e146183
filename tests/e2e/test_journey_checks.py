"""The journey checks catch what they promise to catch (a check that cannot fail proves
nothing): English left on a French page, catalogue codes, a page wider than a phone, and an
accessibility violation."""

import pytest

from .journey import check_page, codes_shown, english_on_french_page

pytestmark = pytest.mark.browser

FRENCH_PAGE = """<!doctype html><html lang="fr"><head><title>Essai</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Tableau de bord</h1>{}</main></body></html>"""


def test_the_catalogue_knows_english_messages_and_codes(open_person):
    assert english_on_french_page(["Log out"], "") == ["Log out"]
    assert english_on_french_page(["Se déconnecter"], "Se déconnecter") == []
    assert codes_shown(["Lever: personal_invitation", "team/age_band"]) == [
        "age_band", "personal_invitation"]
    assert codes_shown(["Invitation personnelle"]) == []


def test_a_clean_french_page_passes(open_person):
    page = open_person(lang="fr", device="phone")
    page.set_content(FRENCH_PAGE.format("<p>Bienvenue, vous êtes inscrit.</p>"))
    check_page(page)


@pytest.mark.parametrize("body, complaint", [
    ("<p>Log out</p>", "English on a French page: Log out"),
    ("<p>Levier : personal_invitation</p>", "catalogue codes shown: personal_invitation"),
    ('<div style="width:900px">large</div>', "wider than the screen"),
    ('<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">', "axe critical image-alt"),
])
def test_each_check_fails_on_what_it_guards(open_person, body, complaint):
    page = open_person(lang="fr", device="phone")
    page.set_content(FRENCH_PAGE.format(body))
    with pytest.raises(AssertionError, match=complaint):
        check_page(page)
