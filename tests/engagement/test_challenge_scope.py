"""What a team challenge counts and how it reads: only campaigns taking place with a slot
within its days (listed and counted), a failed campaign's pledges left out, the name in
the reader's language with the French one marked as a fallback, the rank column named."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from engagement.models import Campaign, Participant, Team
from engagement.services.challenges import team_challenge_create, team_challenge_update
from engagement.standings import challenge_campaigns_counted, challenge_standings

from ..conftest import tenant_client
from ..factories import ProgrammeFactory, make_campaign_with_slot, make_pledge


def _people(team: Team, slot, count: int, prefix: str) -> None:
    for index in range(count):
        person = Participant.objects.create(email=f"{prefix}{index}@example.test", team=team)
        make_pledge(slot, person)


@pytest.mark.django_db
def test_challenge_counts_only_campaigns_taking_place_within_its_days(org_a, manager_a):
    with tenant_context(org_a):
        programme = ProgrammeFactory(name="P", participant_target=50)
        inside, inside_slot = make_campaign_with_slot(programme, days=-2, hours=2)
        later, _later_slot = make_campaign_with_slot(programme, days=60, hours=2,
                                                     status=Campaign.Status.OPEN)
        failed, failed_slot = make_campaign_with_slot(programme, days=-3, hours=2,
                                                      status=Campaign.Status.FAILED)
        team = Team.objects.create(name="Finance")
        _people(team, inside_slot, 5, "in")
        _people(team, failed_slot, 4, "failed")
        today = timezone.localdate()
        challenge = team_challenge_create(
            name="Automne", measure="people", goal=10, programme=programme,
            starts_on=today - timedelta(days=10), ends_on=today + timedelta(days=10))
        assert list(challenge_campaigns_counted(challenge)) == [inside]
        standings = challenge_standings(challenge)
        assert [(row.name, row.people) for row in standings.rows] == [("Finance", 5)]
        titles = (inside.title, later.title, failed.title)
    page = tenant_client(org_a, manager_a).get(
        f"/teams/challenges/{challenge.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert titles[0] in page
    assert titles[1] not in page and titles[2] not in page


@pytest.mark.django_db
def test_challenge_name_in_the_reader_language_and_rank_label(org_a, manager_a):
    with tenant_context(org_a):
        programme = ProgrammeFactory(name="P", participant_target=50)
        _campaign, slot = make_campaign_with_slot(programme, days=-2, hours=2)
        _people(Team.objects.create(name="Finance"), slot, 5, "f")
        today = timezone.localdate()
        challenge = team_challenge_create(
            name="Défi d'automne", measure="people", goal=10,
            starts_on=today - timedelta(days=10), ends_on=today)
    client = tenant_client(org_a, manager_a)
    url = f"/teams/challenges/{challenge.pk}/"
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<span lang="fr">Défi d&#x27;automne</span>' in english
    assert "(in French)" in english
    assert 'data-label="Rank"' in english and 'data-label="#"' not in english
    with tenant_context(org_a):
        team_challenge_update(challenge=challenge, name_en="Autumn challenge")
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>Autumn challenge</h1>" in english
    french = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "<h1>Défi d&#x27;automne</h1>" in french and 'data-label="Rang"' in french
