"""Team challenges and the teams' figures: the service's refusals, standings ranked by the
challenge's measure with teams under five people added up unnamed (pages and API), the
teams page's leaderboard, the participant's own page, and who may do what."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.errors import DomainError
from engagement import links
from engagement.models import Participant, Pledge, Team, TeamChallenge
from engagement.services.challenges import (
    team_challenge_close,
    team_challenge_create,
    team_challenge_update,
)
from engagement.standings import challenge_standings, team_leaderboard

from ..conftest import tenant_client
from ..factories import ProgrammeFactory, make_campaign_with_slot, make_pledge

JSON = "application/json"
ATTENDED = Pledge.Attendance.ATTENDED


def _team(name: str, people: int, *, slot, hours: int = 0, attended: int = 0) -> Team:
    team = Team.objects.create(name=name)
    for index in range(people):
        person = Participant.objects.create(email=f"{name.lower()}{index}@example.test",
                                            team=team)
        if index < attended:
            make_pledge(slot, person, attendance=ATTENDED, hours=hours)
        else:
            make_pledge(slot, person)
    return team


def _world():
    """Programme P with a campaign 2 days ago (counted) and one 40 days ago (outside
    the challenge's days); Finance 6 people (2 attended 3 h each), Ops 5 people (5
    attended 1 h each), Legal 2 people (1 attended 4 h), Paris 3 people in an old
    campaign only."""
    programme = ProgrammeFactory(name="P", participant_target=50)
    campaign, slot = make_campaign_with_slot(programme, days=-2, hours=3)
    old, old_slot = make_campaign_with_slot(programme, days=-40, hours=3)
    _team("Finance", 6, slot=slot, hours=3, attended=2)
    _team("Ops", 5, slot=slot, hours=1, attended=5)
    _team("Legal", 2, slot=slot, hours=4, attended=1)
    _team("Paris", 3, slot=old_slot, hours=2, attended=3)
    today = timezone.localdate()
    return programme, campaign, old, today


@pytest.mark.django_db
def test_standings_rank_by_the_measure_and_hide_small_teams(org_a):
    with tenant_context(org_a):
        programme, campaign, _old, today = _world()
        people = team_challenge_create(name="Most people", measure="people", goal=10,
                                       starts_on=today - timedelta(days=7), ends_on=today,
                                       programme=programme)
        hours = team_challenge_create(name="Most hours", measure="hours", goal=5,
                                      starts_on=today - timedelta(days=7), ends_on=today,
                                      campaigns=[campaign])
        by_people, by_hours = challenge_standings(people), challenge_standings(hours)
        board = team_leaderboard()
    assert [(r.rank, r.name, r.people) for r in by_people.rows] == [
        (1, "Finance", 6), (2, "Ops", 5)]
    assert by_people.rows[0].progress == 0.6 and not by_people.rows[0].reached
    # Legal (2 people) is added up, never named; Paris pledged before the challenge.
    assert by_people.small is not None
    assert (by_people.small.teams, by_people.small.people) == (1, 2)
    assert [(r.name, r.hours, r.reached) for r in by_hours.rows] == [
        ("Finance", Decimal(6), True), ("Ops", Decimal(5), True)]
    assert by_hours.small is not None and by_hours.small.hours == Decimal(4)
    # Every campaign: Paris (3 people, 6 h) and Legal are both under five people.
    assert [r.name for r in board.rows] == ["Finance", "Ops"]
    assert board.small is not None and (board.small.teams, board.small.people) == (2, 5)


@pytest.mark.django_db
def test_service_refuses_bad_terms_and_keeps_closed_challenges(org_a):
    with tenant_context(org_a):
        programme, campaign, _old, today = _world()
        other = ProgrammeFactory(name="Q", participant_target=5)
        with pytest.raises(DomainError) as refused:
            team_challenge_create(name=" ", measure="kg", goal=0, starts_on=today,
                                  ends_on=today - timedelta(days=1))
        assert set(refused.value.errors) == {"name", "measure", "goal", "ends_on"}
        with pytest.raises(DomainError) as refused:
            team_challenge_create(name="X", measure="people", goal=5, starts_on=today,
                                  ends_on=today, programme=other, campaigns=[campaign])
        assert set(refused.value.errors) == {"campaigns"}
        assert not TeamChallenge.objects.exists()
        challenge = team_challenge_create(name="X", measure="people", goal=5,
                                          starts_on=today, ends_on=today,
                                          programme=programme)
        changed = team_challenge_update(challenge=challenge, goal=8, campaigns=[campaign])
        assert changed.goal == 8 and list(changed.campaigns.all()) == [campaign]
        closed = team_challenge_close(challenge=challenge)
        again = team_challenge_close(challenge=challenge)
        assert closed.closed_at == again.closed_at is not None
        with pytest.raises(DomainError) as refused:
            team_challenge_update(challenge=challenge, goal=9)
        assert set(refused.value.errors) == {"closed_at"}
        assert TeamChallenge.objects.get().goal == 8


@pytest.mark.django_db
def test_manager_creates_edits_and_closes_a_challenge_in_pages(org_a, manager_a, viewer_a,
                                                               owner_b):
    with tenant_context(org_a):
        programme, campaign, _old, today = _world()
    manager = tenant_client(org_a, manager_a)
    form = manager.get("/teams/challenges/new/")
    assert form.status_code == 200
    bad = manager.post("/teams/challenges/new/", {
        "name": "Spring", "measure": "people", "goal": "10", "starts_on": today.isoformat(),
        "ends_on": (today - timedelta(days=3)).isoformat()})
    assert bad.status_code == 400
    assert "The end date must be on or after the start date." in bad.content.decode()
    made = manager.post("/teams/challenges/new/", {
        "name": "Spring", "description_en": "Who brings the most colleagues?",
        "measure": "people", "goal": "10", "starts_on": (today - timedelta(days=7)).isoformat(),
        "ends_on": (today + timedelta(days=7)).isoformat(), "programme": programme.pk,
        "campaigns": [campaign.pk]})
    assert made.status_code == 302
    with tenant_context(org_a):
        challenge = TeamChallenge.objects.get()
    page = manager.get(made["Location"]).content.decode()
    assert "Finance" in page and "Ops" in page and "Legal" not in page
    assert "Other teams (fewer than 5 people each)" in page
    assert 'value="0.6000"' in page  # Finance: 6 of 10 people
    teams = manager.get("/teams/").content.decode()
    assert "Spring" in teams and "Legal" not in teams and "Paris" not in teams
    # The leaderboard refreshes itself: the HTMX request gets the table alone.
    partial = manager.get("/teams/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "Finance" in partial and "Legal" not in partial
    outsider = tenant_client(org_a, owner_b)
    assert outsider.get(f"/teams/challenges/{challenge.pk}/").status_code == 404
    assert manager.post(f"/teams/challenges/{challenge.pk}/edit/", {
        "name": "Spring run", "measure": "hours", "goal": "20",
        "starts_on": challenge.starts_on.isoformat(),
        "ends_on": challenge.ends_on.isoformat()}).status_code == 302
    viewer = tenant_client(org_a, viewer_a)
    assert viewer.get(f"/teams/challenges/{challenge.pk}/").status_code == 200
    for url in ("/teams/challenges/new/", f"/teams/challenges/{challenge.pk}/edit/"):
        assert viewer.get(url).status_code == 404
    assert viewer.post(f"/teams/challenges/{challenge.pk}/close/").status_code == 404
    assert manager.post(f"/teams/challenges/{challenge.pk}/close/").status_code == 302
    with tenant_context(org_a):
        challenge.refresh_from_db()
    assert challenge.name == "Spring run" and challenge.is_closed
    assert manager.get(f"/teams/challenges/{challenge.pk}/edit/").status_code == 302


@pytest.mark.django_db
def test_french_challenge_page(org_a, manager_a):
    with tenant_context(org_a):
        programme, _campaign, _old, today = _world()
        challenge = team_challenge_create(
            name="Printemps", measure="hours", goal=1000, starts_on=today - timedelta(days=7),
            ends_on=today, description_fr="Quelle équipe donne le plus d'heures ?",
            description_en="Which team gives the most hours?")
    client = tenant_client(org_a, manager_a)
    page = client.get(f"/teams/challenges/{challenge.pk}/",
                      HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Quelle équipe donne le plus d&#x27;heures ?" in page
    assert "objectif : 1\u202f000 heures par équipe" in page or \
        "objectif : 1\u00a0000 heures par équipe" in page
    assert "Autres équipes (moins de 5 personnes chacune)" in page


@pytest.mark.django_db
def test_participant_sees_their_teams_challenge(org_a):
    with tenant_context(org_a):
        _programme, _campaign, _old, today = _world()
        team_challenge_create(name="Spring", measure="people", goal=10,
                              starts_on=today - timedelta(days=7), ends_on=today)
        finance = Participant.objects.get(email="finance0@example.test")
        legal = Participant.objects.get(email="legal0@example.test")
        finance_link, legal_link = (links.participant_token(finance),
                                    links.participant_token(legal))
    client = tenant_client(org_a)
    page = client.get(f"/me/{finance_link}/").content.decode()
    assert "Spring" in page and "Finance" in page and 'value="0.6000"' in page
    small = tenant_client(org_a).get(f"/me/{legal_link}/").content.decode()
    assert "Spring" in small and "Finance" in small
    assert "Legal" not in small  # their own team of two is not shown by name either


@pytest.mark.django_db
def test_teams_api_hides_figures_of_small_teams(org_a, viewer_a, manager_a, owner_b):
    with tenant_context(org_a):
        programme, campaign, _old, today = _world()
        challenge = team_challenge_create(name="Spring", measure="hours", goal=5,
                                          starts_on=today - timedelta(days=7), ends_on=today,
                                          campaigns=[campaign])
    viewer = tenant_client(org_a, viewer_a)
    teams = viewer.get("/api/v1/teams/").json()["results"]
    figures = {team["name"]: team["figures"] for team in teams}
    assert figures == {"Finance": {"people": 6, "hours": 6.0},
                       "Legal": None, "Ops": {"people": 5, "hours": 5.0}, "Paris": None}
    assert viewer.get("/api/v1/teams/?kind=").status_code == 400
    detail = viewer.get(f"/api/v1/team-challenges/{challenge.pk}/").json()
    assert [row["name"] for row in detail["standings"]["rows"]] == ["Finance", "Ops"]
    assert detail["standings"]["other_teams"] == {"teams": 1, "people": 2, "hours": 4.0,
                                                  "value": 4.0, "progress": 0.8}
    assert viewer.get("/api/v1/team-challenges/?status=current").json()["count"] == 1
    assert viewer.get("/api/v1/team-challenges/?status=past").json()["count"] == 0
    assert viewer.get("/api/v1/team-challenges/?status=").status_code == 400
    assert viewer.post("/api/v1/team-challenges/", {}, content_type=JSON).status_code == 403
    manager = tenant_client(org_a, manager_a)
    refused = manager.post("/api/v1/team-challenges/", {
        "name": "Bad", "measure": "people", "goal": 3, "starts_on": today.isoformat(),
        "ends_on": (today - timedelta(days=1)).isoformat()}, content_type=JSON)
    assert refused.status_code == 400 and "ends_on" in refused.json()["errors"]
    made = manager.post("/api/v1/team-challenges/", {
        "name": "Summer", "measure": "people", "goal": 3,
        "starts_on": (today - timedelta(days=7)).isoformat(), "ends_on": today.isoformat(),
        "programme": programme.pk}, content_type=JSON)
    assert made.status_code == 201 and made.json()["standings"]["rows"][0]["reached"]
    pk = made.json()["id"]
    assert manager.patch(f"/api/v1/team-challenges/{pk}/", {"goal": 7},
                         content_type=JSON).json()["goal"] == 7
    assert manager.post(f"/api/v1/team-challenges/{pk}/close/").json()["is_closed"]
    assert manager.patch(f"/api/v1/team-challenges/{pk}/", {"goal": 8},
                         content_type=JSON).status_code == 400
    # Another organisation's owner does not see this one's teams or challenges.
    outsider = tenant_client(org_a, owner_b)
    assert outsider.get("/api/v1/teams/").status_code == 404
    assert outsider.get(f"/api/v1/team-challenges/{challenge.pk}/").status_code == 404


@pytest.mark.django_db
def test_teams_api_queries_do_not_grow_with_teams(org_a, viewer_a):
    with tenant_context(org_a):
        _world()
    client = tenant_client(org_a, viewer_a)

    def selects() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/teams/").status_code == 200
        return sum(1 for q in queries.captured_queries if q["sql"].lstrip().startswith("SELECT"))

    few = selects()
    with tenant_context(org_a):
        programme = ProgrammeFactory(name="R", participant_target=50)
        _campaign, slot = make_campaign_with_slot(programme, days=-1, hours=1)
        for index in range(8):
            _team(f"More{index}", 5, slot=slot)
    assert selects() == few
