"""Figures that agree with what happened: attendance as soon as people are checked in,
invitations only once sent, a period's lever rows computed over the period."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from engagement.models import Campaign, Invitation, Participant, Slot, Team
from engagement.services.joining import invitation_record_open
from reports import figures
from reports.levers import lever_analysis
from reports.metrics import campaign_metrics, default_period

from ..factories import ProgrammeFactory, make_campaign_with_slot, make_pledge
from .test_metrics import ATTENDED, NO_SHOW


@pytest.mark.django_db
def test_attendance_counts_people_checked_in_while_the_action_runs(org_a):
    with tenant_context(org_a):
        campaign, slot = make_campaign_with_slot(
            ProgrammeFactory(name="Now", participant_target=50), days=0, hours=4,
            status=Campaign.Status.SUCCEEDED)
        # The action started a moment ago and runs for four hours: 2 of 3 checked in.
        people = [Participant.objects.create(email=f"n{i}@example.test") for i in range(3)]
        make_pledge(slot, people[0], attendance=ATTENDED, hours=4)
        make_pledge(slot, people[1], attendance=ATTENDED, hours=4)
        make_pledge(slot, people[2])
        running = campaign_metrics(campaign)["attendance"]
        assert running["attended"] == 2 and running["attendance_rate"] == 1.0
        # Once the slot is over, the one not checked in counts: 2 of 3.
        Slot.objects.filter(pk=slot.pk).update(starts_at=timezone.now() - timedelta(hours=5),
                                               ends_at=timezone.now() - timedelta(hours=1))
        over = campaign_metrics(campaign)["attendance"]
    assert over["confirmed"] == 3 and over["attendance_rate"] == 0.6667


@pytest.mark.django_db
def test_a_personal_link_is_an_invitation_once_shared(org_a, owner_a):
    with tenant_context(org_a):
        campaign, _slot = make_campaign_with_slot(
            ProgrammeFactory(name="Links", participant_target=50), days=5, hours=2,
            status=Campaign.Status.OPEN)
        people = [Participant.objects.create(email=f"l{i}@example.test") for i in range(3)]
        links = [Invitation.objects.create(campaign=campaign, inviter=person,
                                           channel="link_share",
                                           lever_code="personal_invitation")
                 for person in people]
        Invitation.objects.create(campaign=campaign, organiser=owner_a, channel="intranet",
                                  lever_code="social_proof")
        assert campaign_metrics(campaign)["invitations"]["sent"] == 1
        invitation_record_open(campaign=campaign, code=links[0].code)
        invitation_record_open(campaign=campaign, code=links[0].code)
        invitations = figures.campaign_figures(campaign).data["invitations"]
    # Opened twice, counted once; the links nobody opened were never sent.
    assert invitations["sent"] == 2 and invitations["sent_by_participants"] == 1


@pytest.mark.django_db
def test_a_period_lever_analysis_is_computed_over_the_period(org_a, owner_a):
    """Alpha's five people answer both campaigns; Beta has three different people in
    each. Added up campaign by campaign, Alpha would count ten people and Beta (three in
    each campaign, under five) would be lost; over the period Beta has six."""
    with tenant_context(org_a):
        programme = ProgrammeFactory(name="Period", participant_target=50)
        alpha, beta = Team.objects.create(name="Alpha"), Team.objects.create(name="Beta")
        alphas = [Participant.objects.create(email=f"a{i}@example.test", team=alpha)
                  for i in range(5)]
        for index in range(2):
            campaign, slot = make_campaign_with_slot(programme, days=-20 + 7 * index, hours=2)
            betas = [Participant.objects.create(email=f"b{index}{i}@example.test", team=beta)
                     for i in range(3)]
            for person in alphas + betas:
                invitation = Invitation.objects.create(
                    campaign=campaign, organiser=owner_a, channel="email",
                    lever_code="social_proof", invitee_email=person.email)
                make_pledge(slot, person, invitation=invitation, attendance=ATTENDED, hours=2)
        start, end = default_period()
        rows = lever_analysis(period=(start, end), segment="team")
        stored = figures.lever_figures(period=(start, end)).data
    levers = {row["segment"]: row for row in rows if row["dimension"] == "lever"}
    assert set(levers) == {"Alpha", "Beta"}
    assert (levers["Alpha"]["people"], levers["Alpha"]["sent"]) == (5, 10)
    assert (levers["Beta"]["people"], levers["Beta"]["sent"]) == (6, 6)
    assert stored == rows


@pytest.mark.django_db
def test_the_pledges_of_a_campaign_that_missed_its_target_are_not_absences(org_a):
    """Its action did not take place: 41 came to one campaign, 1 did not, and the 50
    pledges of a failed one must not turn 98 % into 45 %."""
    with tenant_context(org_a):
        programme = ProgrammeFactory(name="Failed", participant_target=50)
        _held, slot = make_campaign_with_slot(programme, days=-30, hours=3)
        _failed, failed_slot = make_campaign_with_slot(programme, days=-12, hours=3,
                                                       status=Campaign.Status.FAILED)
        people = [Participant.objects.create(email=f"f{i}@example.test") for i in range(6)]
        for person in people[:3]:
            make_pledge(slot, person, attendance=ATTENDED, hours=3)
        make_pledge(slot, people[3], attendance=NO_SHOW)
        for person in people[4:]:
            make_pledge(failed_slot, person)
        attendance = figures.programme_figures(programme).data["attendance"]
    assert (attendance["confirmed"], attendance["attended"]) == (4, 3)
    assert attendance["attendance_rate"] == 0.75
