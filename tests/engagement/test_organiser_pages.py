"""Organiser pages as a CSR manager or an organiser on site reads them."""

import re
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.roles import Role
from engagement.models import Campaign, Invitation, Pledge, Slot
from engagement.services import pledge_create, programme_create_from_template
from methodology.models import Template
from methodology.selectors import latest_published

from ..conftest import make_member, tenant_client
from ..factories import ParticipantFactory, make_campaign

SVG = "{http://www.w3.org/2000/svg}"


def person(email, first_name, last_name=""):
    return ParticipantFactory(email=email, first_name=first_name, last_name=last_name)


def from_template(name="Coast", slug="beach-clean-up"):
    start = timezone.localdate()
    return programme_create_from_template(
        version=latest_published(Template.objects.get(slug=slug)), name=name,
        starts_on=start, action_date=start + timedelta(days=42),
        ends_on=start + timedelta(days=132))


# ---- the check-in QR code and its poster ---------------------------------------------------

@pytest.mark.django_db
def test_check_in_qr_code_is_an_svg_image_with_a_size(org_a, manager_a, viewer_a):
    with tenant_context(org_a):
        campaign = make_campaign()
    client = tenant_client(org_a, manager_a)
    response = client.get(f"/campaigns/{campaign.pk}/qr.svg")
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Content-Disposition"].startswith("inline")
    root = ElementTree.fromstring(response.content)  # noqa: S314 (our own response)
    # A namespaced root is what makes a browser draw it instead of showing XML text.
    assert root.tag == f"{SVG}svg"
    width, height = int(root.get("width")), int(root.get("height"))
    assert width == height and width >= 200
    assert re.fullmatch(r"0 0 (\d+) \1", root.get("viewBox"))
    assert root.find(f"{SVG}title").text == "Check-in: Beach clean-up"
    # Shown as an image on the campaign page, next to the poster.
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert f'<img src="/campaigns/{campaign.pk}/qr.svg" width="200" height="200"' in page
    assert f'href="/campaigns/{campaign.pk}/poster/"' in page
    # It carries the check-in secret: viewers get neither the code nor the poster.
    viewer = tenant_client(org_a, viewer_a)
    assert viewer.get(f"/campaigns/{campaign.pk}/qr.svg").status_code == 404
    assert viewer.get(f"/campaigns/{campaign.pk}/poster/").status_code == 404
    assert "qr.svg" not in viewer.get(f"/campaigns/{campaign.pk}/").content.decode()


@pytest.mark.django_db
def test_check_in_poster_prints_in_the_organisations_language(org_a, manager_a):
    with tenant_context(org_a):
        campaign = make_campaign()
    client = tenant_client(org_a, manager_a)
    page = client.get(f"/campaigns/{campaign.pk}/poster/").content.decode()
    assert "Beach clean-up" in page and "Plage du Prado" in page
    assert f'<img class="poster-qr" src="/campaigns/{campaign.pk}/qr.svg"' in page
    assert "You are here? Check in!" in page
    assert 'lang="en"' in page
    # A French organisation's poster is French even for an organiser reading English.
    org_a.locale = "fr"
    org_a.save(update_fields=["locale"])
    page = client.get(f"/campaigns/{campaign.pk}/poster/",
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<article class="poster" lang="fr"' in page
    assert "Vous êtes là\u00a0? Pointez votre présence\u00a0!" in page
    assert "You are here? Check in!" not in page
    assert "Check-in poster" in page  # the organiser's own tools stay in their language


def test_poster_style_sheet_prints_on_a4():
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "static/css/organiser.css").read_text()
    print_rules = css[css.index("@media print"):]
    assert "@page { size: A4 portrait;" in print_rules
    assert "header.site, footer.site, .no-print" in print_rules


# ---- the pledge list on site: search, check-in, no-show and its undoing --------------------

@pytest.mark.django_db
def test_pledge_search_filters_on_the_server_with_and_without_htmx(org_a, manager_a):
    with tenant_context(org_a):
        campaign = make_campaign(capacity=10)
        slot = campaign.slots.get()
        pledge_create(slot=slot, participant=person("ana.martin@example.org", "Ana", "Martin"))
        pledge_create(slot=slot, participant=person("bob@example.org", "Bob", "Durand"))
    client = tenant_client(org_a, manager_a)
    page = client.get(f"/campaigns/{campaign.pk}/", {"q": "ana mart"}).content.decode()
    assert 'role="search"' in page and 'value="ana mart"' in page
    assert "ana.martin@example.org" in page and "bob@example.org" not in page
    assert "1 pledge matches “ana mart”." in page
    by_mail = client.get(f"/campaigns/{campaign.pk}/", {"q": "BOB@"}).content.decode()
    assert "bob@example.org" in by_mail and "ana.martin@example.org" not in by_mail
    # With HTMX only the list comes back, to replace the one on the page.
    partial = client.get(f"/campaigns/{campaign.pk}/", {"q": "durand"},
                         HTTP_HX_REQUEST="true", HTTP_HX_TARGET="pledge-list").content.decode()
    assert partial.startswith('<div id="pledge-list">') and "<html" not in partial
    assert "bob@example.org" in partial and "ana.martin" not in partial
    nobody = client.get(f"/campaigns/{campaign.pk}/", {"q": "zed"}).content.decode()
    assert "Nobody matches this search." in nobody


@pytest.mark.django_db
def test_a_no_show_can_be_undone_then_checked_in(org_a, manager_a, viewer_a):
    with tenant_context(org_a):
        campaign = make_campaign()
        pledge = pledge_create(slot=campaign.slots.get(),
                               participant=person("late@example.org", "Lena"))
    client = tenant_client(org_a, manager_a)
    url = f"/campaigns/{campaign.pk}/pledges/{pledge.pk}/attendance/"
    row = client.post(url, {"action": "no_show"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Did not come" in row and 'value="undo_no_show"' in row
    assert 'value="check_in"' not in row
    viewer = tenant_client(org_a, viewer_a)
    assert viewer.post(url, {"action": "undo_no_show"}).status_code == 404
    row = client.post(url, {"action": "undo_no_show"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Not yet" in row and 'value="check_in"' in row
    with tenant_context(org_a):
        pledge.refresh_from_db()
        assert pledge.attendance == Pledge.Attendance.PENDING
    # Without JavaScript the form posts and comes back to the page.
    assert client.post(url, {"action": "check_in"})["Location"] == f"/campaigns/{campaign.pk}/"
    with tenant_context(org_a):
        pledge.refresh_from_db()
        assert pledge.attendance == Pledge.Attendance.ATTENDED
    # Undoing what is not a no-show is refused and changes nothing.
    client.post(url, {"action": "undo_no_show"})
    with tenant_context(org_a):
        pledge.refresh_from_db()
        assert pledge.attendance == Pledge.Attendance.ATTENDED


@pytest.mark.django_db
def test_pledge_rows_are_labelled_cards_on_small_screens(org_a, manager_a):
    with tenant_context(org_a):
        campaign = make_campaign()
        pledge_create(slot=campaign.slots.get(), participant=person("ana@example.org", "Ana"))
    page = tenant_client(org_a, manager_a).get(f"/campaigns/{campaign.pk}/").content.decode()
    assert '<table class="pledges stack">' in page
    assert '<td data-label="Attendance">' in page
    assert 'Check in<span class="visually-hidden"> Ana</span>' in page


# ---- warnings, preview and the share kit ---------------------------------------------------

@pytest.mark.django_db
def test_target_above_the_places_offered_is_warned_on_page_and_form(org_a, manager_a):
    with tenant_context(org_a):
        campaign = make_campaign(capacity=10, target=25)
        programme = campaign.programme
    client = tenant_client(org_a, manager_a)
    warning = ("The target (25 people) is more than the 10 places offered: add time slots "
               "or places, or lower the target.")
    assert warning in client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert warning in client.get(f"/campaigns/{campaign.pk}/edit/").content.decode()
    with tenant_context(org_a):
        Slot.objects.create(campaign=campaign, starts_at=campaign.starts_at,
                            ends_at=campaign.ends_at, capacity=15)
    assert "is more than the" not in client.get(f"/campaigns/{campaign.pk}/").content.decode()
    # The new-campaign form: a warning to show as soon as the numbers disagree.
    new = client.get(f"/programmes/{programme.pk}/campaigns/new/").content.decode()
    assert 'id="places-warning"' in new and "data-places-check" in new
    refused = client.post(f"/programmes/{programme.pk}/campaigns/new/", {
        "title": "", "participant_target": 40, "capacity": 12}).content.decode()
    assert "The target (40 people) is more than the 12 places offered" in refused


@pytest.mark.django_db
def test_draft_has_a_preview_of_its_public_page(org_a, manager_a):
    with tenant_context(org_a):
        campaign = make_campaign(status=Campaign.Status.DRAFT)
    client = tenant_client(org_a, manager_a)
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    preview = re.search(r'<a role="button"[^>]*href="([^"]+)"[^>]*>Preview the public page</a>',
                        page)
    assert preview and preview.group(1).endswith(f"/c/{campaign.code}/")
    assert client.get(f"/c/{campaign.code}/").status_code == 200  # managers see the draft
    assert tenant_client(org_a).get(f"/c/{campaign.code}/").status_code == 404
    assert 'id="share"' not in page  # nothing to share before opening


@pytest.mark.django_db
def test_opening_leads_to_a_share_kit_in_the_pages_language(org_a, manager_a):
    with tenant_context(org_a):
        campaign = make_campaign(status=Campaign.Status.DRAFT, target=12)
    client = tenant_client(org_a, manager_a)
    opened = client.post(f"/campaigns/{campaign.pk}/open/")
    assert opened["Location"] == f"/campaigns/{campaign.pk}/#share"
    page = client.get(opened["Location"]).content.decode()
    assert "The campaign is open: share its address with the share kit below." in page
    url = f"http://testco.localhost:8000/c/{campaign.code}/"
    assert f'<input type="text" id="share-link" readonly value="{url}">' in page
    assert 'data-copy="share-link"' in page and 'data-copy="share-message"' in page
    assert f'<img src="/campaigns/{campaign.pk}/share-qr.svg"' in page
    assert "Join us for “Beach clean-up” on" in page
    assert "We need 12 people by" in page and f"Sign up here: {url}" in page
    share_qr = client.get(f"/campaigns/{campaign.pk}/share-qr.svg")
    assert ElementTree.fromstring(share_qr.content).tag == f"{SVG}svg"  # noqa: S314
    # The message follows the page's language (the reader's), like the widget beside it.
    page = client.get(f"/campaigns/{campaign.pk}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Rejoignez-nous pour « Beach clean-up » le" in page
    assert "Inscrivez-vous ici\u00a0:" in page


@pytest.mark.django_db
def test_funnel_names_levers_and_channels_never_their_codes(org_a, manager_a):
    with tenant_context(org_a):
        campaign = make_campaign()
        Invitation.objects.create(campaign=campaign, organiser=manager_a,
                                  channel="link_share", lever_code="social_proof")
    page = tenant_client(org_a, manager_a).get(f"/campaigns/{campaign.pk}/").content.decode()
    funnel = page[page.index('id="levers-title"'):]
    funnel = funnel[:funnel.index("</table>")]
    assert "Shared link" in funnel and "link_share" not in funnel
    assert "Social proof" in funnel and "social_proof" not in funnel


# ---- programmes and templates --------------------------------------------------------------

@pytest.mark.django_db
def test_template_page_describes_first_and_fills_the_dates(org_a, manager_a):
    client = tenant_client(org_a, manager_a)
    page = client.get("/methodology/beach-clean-up/").content.decode()
    assert page.index("Phases and steps") < page.index("<form method=\"post\"")
    today = timezone.localdate()
    # Beach clean-up: 132 days, its first step 42 days before the action.
    assert f'name="starts_on" value="{today:%Y-%m-%d}"' in page
    assert f'name="action_date" value="{today + timedelta(days=42):%Y-%m-%d}"' in page
    assert f'name="ends_on" value="{today + timedelta(days=132):%Y-%m-%d}"' in page


@pytest.mark.django_db
def test_programme_page_names_the_methodology_without_its_slug(org_a, manager_a):
    with tenant_context(org_a):
        programme = from_template()
        version = programme.template_version
    client = tenant_client(org_a, manager_a)
    page = client.get(f"/programmes/{programme.pk}/").content.decode()
    assert f"Methodology: {version.title_en}, version {version.number} of " in page
    assert "beach-clean-up" not in page  # named by its title, never its slug
    listing = client.get("/programmes/").content.decode()
    assert version.title_en in listing and "beach-clean-up" not in listing


# ---- first-run guidance --------------------------------------------------------------------

@pytest.mark.django_db
def test_home_guides_a_new_space_and_ticks_steps_as_they_are_done(org_a, owner_a):
    client = tenant_client(org_a, owner_a)
    home = client.get("/").content.decode()
    assert "Get started" in home and "0 of 4 steps done." in home
    assert '<a href="/methodology/">Choose a methodology template</a>' in home
    with tenant_context(org_a):
        campaign = make_campaign(programme=from_template(), status=Campaign.Status.DRAFT)
    home = client.get("/").content.decode()
    assert "2 of 4 steps done." in home
    assert "<s>Choose a methodology template</s>" in home
    assert "<s>Create a campaign with its time slots</s>" in home
    assert '<a href="/campaigns/">Open it and share its address</a>' in home
    with tenant_context(org_a):
        campaign.status = Campaign.Status.OPEN
        campaign.save(update_fields=["status"])
    home = client.get("/").content.decode()
    assert "3 of 4 steps done." in home
    # Viewers get no to-do list of things they may not do.
    viewer = make_member(org_a, Role.VIEWER)
    assert "Get started" not in tenant_client(org_a, viewer).get("/").content.decode()
    # A colleague in the space: every step is done, the guidance goes away.
    assert "Get started" not in client.get("/").content.decode()
