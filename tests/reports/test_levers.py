"""Lever analysis: rates with Wilson intervals, small segments merged or hidden."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from engagement.models import Invitation, Participant, Pledge, Team
from reports.levers import lever_analysis, wilson_interval

from ..factories import ProgrammeFactory, make_campaign_with_slot


@pytest.mark.parametrize(("successes", "trials", "low", "high"), [
    # Reference values (Wilson 1927; e.g. Newcombe 1998, table I).
    (5, 10, 0.2366, 0.7634),
    (4, 5, 0.3755, 0.9638),
    (3, 5, 0.2307, 0.8824),
    (0, 5, 0.0, 0.4345),
    (0, 0, 0.0, 1.0),
])
def test_wilson_interval_known_values(successes, trials, low, high):
    result = wilson_interval(successes, trials)
    assert result == (pytest.approx(low, abs=1e-4), pytest.approx(high, abs=1e-4))


def test_more_successes_than_trials_give_the_interval_of_a_full_rate():
    # A pledge checked in then cancelled is attended but not pledged: no math error.
    assert wilson_interval(3, 2) == wilson_interval(2, 2)


def build_invitations(owner):
    """One campaign; one social-proof e-mail to each person. Team Alpha (postcode 69001):
    10 people, 5 pledged, 4 came. Beta (75001): 3 people, all pledged, none came. Gamma
    (69001): 2 people, nobody pledged. A poster nobody answered."""
    programme = ProgrammeFactory(name="Levers", participant_target=50)
    campaign, slot = make_campaign_with_slot(programme, days=-3, hours=2)
    for team_name, size, postcode, pledged, attended in [("Alpha", 10, "69001", 5, 4),
                                                         ("Beta", 3, "75001", 3, 0),
                                                         ("Gamma", 2, "69001", 0, 0)]:
        team = Team.objects.create(name=team_name)
        for index in range(size):
            person = Participant.objects.create(email=f"{team_name}{index}@example.test",
                                                team=team, postcode=postcode)
            invitation = Invitation.objects.create(
                campaign=campaign, organiser=owner, channel="email", lever_code="social_proof",
                invitee_email=person.email.upper())  # matched whatever the case
            if index < pledged:
                Pledge.objects.create(
                    slot=slot, participant=person, invitation=invitation, status="confirmed",
                    attendance="attended" if index < attended else "no_show")
    Invitation.objects.create(campaign=campaign, organiser=owner, channel="qr_poster",
                              lever_code="deadline")
    return programme, campaign


@pytest.mark.django_db
def test_lever_analysis_by_team_merges_small_teams_into_other(org_a, owner_a):
    with tenant_context(org_a):
        programme, campaign = build_invitations(owner_a)
        rows = lever_analysis(campaign=campaign, segment="team")
        assert lever_analysis(programme=programme, segment="team") == rows
    alpha = {"people": 10, "sent": 10, "pledged": 5, "attended": 4,
             "conversion": {"rate": 0.5, "low": 0.2366, "high": 0.7634},
             "attendance": {"rate": 0.8, "low": 0.3755, "high": 0.9638}}
    # Beta (3) and Gamma (2) are under five people each: together they make "Other".
    other = {"people": 5, "sent": 5, "pledged": 3, "attended": 0,
             "conversion": {"rate": 0.6, "low": 0.2307, "high": 0.8824},
             "attendance": {"rate": 0.0, "low": 0.0, "high": 0.5615}}
    # The poster reached nobody known: its lever and channel rows describe no one, hidden.
    assert rows == [
        {"dimension": "lever", "key": "social_proof", "segment": "Alpha", "is_other": False,
         **alpha},
        {"dimension": "lever", "key": "social_proof", "segment": "Other", "is_other": True,
         **other},
        {"dimension": "channel", "key": "email", "segment": "Alpha", "is_other": False,
         **alpha},
        {"dimension": "channel", "key": "email", "segment": "Other", "is_other": True,
         **other},
    ]


@pytest.mark.django_db
def test_an_other_group_under_five_people_is_hidden(org_a, owner_a):
    with tenant_context(org_a):
        _, campaign = build_invitations(owner_a)
        rows = lever_analysis(campaign=campaign, segment="postcode")
    # 69001 holds Alpha and Gamma (12 people); 75001's three people alone are hidden.
    assert [(row["dimension"], row["segment"], row["people"], row["sent"], row["pledged"])
            for row in rows] == [("lever", "69001", 12, 12, 5), ("channel", "69001", 12, 12, 5)]


@pytest.mark.django_db
def test_lever_analysis_refuses_an_unknown_segment_and_is_empty_without_invitations(org_a):
    with tenant_context(org_a):
        with pytest.raises(ValueError, match="segment"):
            lever_analysis(segment="email")
        assert lever_analysis(programme=ProgrammeFactory(name="Empty", participant_target=50)) == []
