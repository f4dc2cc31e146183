"""Teams that compete. A CSR manager at a desk (1,366 px) opens the teams page, creates a
team challenge (people who took part, a goal per team, a programme), and reads its
standings: the two teams of five people or more by name with their progress bars, the
small team only among "Other teams (fewer than 5 people each)". An organiser on site
(390 px) opens the campaign's snowball: who brought whom as a nested list with the
recruiters ranked. A participant reads their team's challenge on their own page (390 px).
English and French (the organisation's language)."""

import os
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from engagement import links
from engagement.models import Invitation, Participant, Pledge, Team, TeamChallenge
from engagement.services.challenges import team_challenge_create
from tenants.models import Organisation
from tenants.services import organisation_provision
from tests.conftest import PASSWORD, drop_organisation
from tests.e2e.journey import check_page, tenant_url
from tests.factories import ProgrammeFactory, make_campaign_with_slot, make_pledge

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("JOURNEY_SHOTS")

T = {
    "en": {
        "email": "E-mail address", "password": "Password", "log_in": "Log in",
        "new": "New challenge", "name": "Name in French", "fr": "Description in French",
        "en": "Description in English", "people": "People who took part",
        "goal": "Goal per team", "programme": "Programme",
        "create": "Create the challenge", "other": "Other teams (fewer than 5 people each)",
        "goal_text": "goal: 10 people per team", "standings": "Standings",
        "snowball": "Snowball: who brought whom, and the recruiters",
        "recruiters": "Recruiters", "trees": "Referral trees",
    },
    "fr": {
        "email": "Adresse e-mail", "password": "Mot de passe", "log_in": "Se connecter",
        "new": "Nouveau défi", "name": "Nom en français", "fr": "Description en français",
        "en": "Description en anglais", "people": "Personnes qui ont participé",
        "goal": "Objectif par équipe", "programme": "Programme",
        "create": "Créer le défi", "other": "Autres équipes (moins de 5 personnes chacune)",
        "goal_text": "objectif : 10 personnes par équipe", "standings": "Classement",
        "snowball": "Effet boule de neige : qui a fait venir qui, et les recruteurs",
        "recruiters": "Recruteurs", "trees": "Arbres de parrainage",
    },
}

TEAMS = [("Finance", 6), ("Logistique", 5), ("Juridique", 2)]


@pytest.fixture
def space(django_db_blocker, request):
    """A space in the organiser's language: a programme with an action two days ago,
    three teams (6, 5 and 2 people) who took part, and a referral chain Ana → Bob → Chloé
    with Ana → David, through personal invitations."""
    lang = request.node.callspec.params["lang"]
    slug = f"teams-{lang}-{uuid.uuid4().hex[:6]}"
    with django_db_blocker.unblock():
        organisation = organisation_provision(
            name="Ville de Lorient" if lang == "fr" else "Lorient Harbour Ltd", slug=slug,
            owner_email=f"lead@{slug}.example", owner_password=PASSWORD,
            owner_name="Léa Organiser", locale=lang, kind="company")
        with tenant_context(organisation):
            programme = ProgrammeFactory(name="Printemps solidaire", participant_target=50)
            campaign, slot = make_campaign_with_slot(programme, days=-2, hours=3)
            people = {}
            for team_name, size in TEAMS:
                team = Team.objects.create(name=team_name)
                for index in range(size):
                    people[f"{team_name}{index}"] = Participant.objects.create(
                        email=f"{team_name.lower()}{index}@{slug}.example",
                        first_name=f"{team_name[:3]}{index}", team=team)
            ana, bob, chloe, david = (people[k] for k in (
                "Finance0", "Finance1", "Logistique0", "Juridique0"))
            for person, name in ((ana, ("Ana", "Martin")), (bob, ("Bob", "Durand")),
                                 (chloe, ("Chloé", "Petit")), (david, ("David", "Moreau"))):
                person.first_name, person.last_name = name
                person.save(update_fields=["first_name", "last_name"])

            def link(inviter):
                return Invitation.objects.create(campaign=campaign, inviter=inviter,
                                                 channel="link_share",
                                                 lever_code="personal_invitation")

            make_pledge(slot, ana, attendance=Pledge.Attendance.ATTENDED, hours=3)
            make_pledge(slot, bob, attendance=Pledge.Attendance.ATTENDED, hours=3,
                        invitation=link(ana))
            make_pledge(slot, chloe, invitation=link(bob))
            make_pledge(slot, david, attendance=Pledge.Attendance.ATTENDED, hours=3,
                        invitation=link(ana))
            for person in people.values():
                if person not in (ana, bob, chloe, david):
                    make_pledge(slot, person, attendance=Pledge.Attendance.ATTENDED, hours=3)
    yield organisation, programme, campaign
    with django_db_blocker.unblock():
        drop_organisation(Organisation.objects.get(pk=organisation.pk))


def read(page, name: str) -> None:
    check_page(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def log_in(page, base: str, organisation, t) -> None:
    page.goto(f"{base}/")
    page.get_by_label(t["email"]).fill(f"lead@{organisation.slug}.example")
    page.get_by_label(t["password"]).fill(PASSWORD)
    page.get_by_role("button", name=t["log_in"]).click()
    page.wait_for_url(f"{base}/")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_manager_creates_a_challenge_and_small_teams_stay_unnamed(
        live_url, open_person, space, lang, django_db_blocker):
    organisation, programme, _campaign = space
    t = T[lang]
    base = tenant_url(live_url, organisation.slug)
    page = open_person(lang=lang, device="desktop")
    log_in(page, base, organisation, t)

    page.goto(f"{base}/teams/")
    read(page, f"teams-1366-{lang}-1-teams")
    board = page.locator("table").first.inner_text()
    assert "Finance" in board and "Logistique" in board and "Juridique" not in board
    assert t["other"] in board

    page.get_by_role("button", name=t["new"]).click()
    page.wait_for_url(f"{base}/teams/challenges/new/")
    read(page, f"teams-1366-{lang}-2-new")
    today = timezone.localdate()
    page.get_by_label(t["name"], exact=True).fill("Défi de printemps")
    page.get_by_label(t["fr"]).fill("Quelle équipe mobilise le plus ?")
    page.get_by_label(t["en"]).fill("Which team brings the most people?")
    page.get_by_label(t["people"]).check()
    page.get_by_label(t["goal"]).fill("10")
    # Date inputs take ISO dates whatever the page's language.
    page.locator("#id_starts_on").fill((today - timedelta(days=7)).isoformat())
    page.locator("#id_ends_on").fill((today + timedelta(days=21)).isoformat())
    page.get_by_label(t["programme"]).select_option(label="Printemps solidaire")
    page.get_by_role("button", name=t["create"]).click()
    page.wait_for_url(f"{base}/teams/challenges/*/")
    read(page, f"teams-1366-{lang}-3-standings")

    assert page.get_by_role("heading", name="Défi de printemps").is_visible()
    assert page.get_by_text(t["goal_text"]).is_visible()
    description = "Quelle équipe mobilise le plus ?" if lang == "fr" \
        else "Which team brings the most people?"
    assert page.get_by_text(description).is_visible()
    standings = page.locator("table.standings tbody tr")
    assert standings.count() == 3
    assert standings.nth(0).locator("th").inner_text().startswith("Finance")
    assert standings.nth(1).locator("th").inner_text().startswith("Logistique")
    assert t["other"] in standings.nth(2).inner_text()
    assert "Juridique" not in page.locator("main").inner_text()
    # Finance: 6 of 10 people; the bar says so to a screen reader too.
    assert standings.nth(0).locator("progress").get_attribute("value") == "0.6000"
    with django_db_blocker.unblock(), tenant_context(organisation):
        challenge = TeamChallenge.objects.get()
    assert challenge.measure == "people" and challenge.programme_id == programme.pk


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_organiser_reads_the_snowball_on_a_phone(live_url, open_person, space, lang):
    organisation, _programme, campaign = space
    t = T[lang]
    base = tenant_url(live_url, organisation.slug)
    page = open_person(lang=lang, device="phone")
    log_in(page, base, organisation, t)
    page.goto(f"{base}/campaigns/{campaign.pk}/")
    page.get_by_role("link", name=t["snowball"]).click()
    page.wait_for_url(f"{base}/dashboard/campaigns/{campaign.pk}/snowball/")
    read(page, f"teams-390-{lang}-snowball")

    assert page.get_by_role("heading", name=t["recruiters"]).is_visible()
    recruiters = page.locator("table tbody tr")
    assert recruiters.nth(0).locator("th").inner_text() == "Ana Martin"
    assert [cell.inner_text() for cell in recruiters.nth(0).locator("td.num").all()] == \
        ["2", "2"]  # brought Bob and David, both came
    # Ana's tree as a nested list: Bob under Ana, Chloé under Bob.
    tree = page.locator("ul.referral-tree > li").first
    assert tree.locator("> .person").inner_text() == "Ana Martin"
    bob = tree.locator("> ul > li", has_text="Bob Durand")
    assert bob.locator("> ul > li > .person").inner_text() == "Chloé Petit"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_participant_sees_their_teams_challenge_on_a_phone(live_url, open_person, space, lang,
                                                          django_db_blocker):
    """Bob (Finance) opens his own page: the challenge his team is in, its standings with
    his team marked; Juridique, a team of two, is never named."""
    organisation, programme, _campaign = space
    today = timezone.localdate()
    with django_db_blocker.unblock(), tenant_context(organisation):
        team_challenge_create(name="Défi de printemps", measure="hours", goal=30,
                              starts_on=today - timedelta(days=7), ends_on=today,
                              programme=programme,
                              description_fr="Quelle équipe donne le plus d’heures ?",
                              description_en="Which team gives the most hours?")
        bob = Participant.objects.get(first_name="Bob")
        token = links.participant_token(bob)
    page = open_person(lang=lang, device="phone")
    page.goto(f"{tenant_url(live_url, organisation.slug)}/me/{token}/")
    read(page, f"teams-390-{lang}-participant")
    section = page.locator("section.team-challenges")
    assert "Défi de printemps" in section.inner_text()
    own = section.locator("tr.own-team")
    assert own.locator("th").inner_text().startswith("Finance")
    assert own.locator("progress").get_attribute("value") == "0.6000"  # 18 of 30 hours
    assert "Juridique" not in section.inner_text()
