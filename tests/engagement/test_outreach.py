"""Reaching everyone, the services: bulk invitations (who, once; the hourly cap is in
test_outreach_delivery.py), the
employees' address, walk-ins, postponing and relaunching a campaign."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.errors import DomainError
from engagement.models import (
    Campaign,
    CampaignEvent,
    Channel,
    ConsentRecord,
    Invitation,
    InvitationBatch,
    OutboundEmail,
    Participant,
    Pledge,
    Team,
)
from engagement.services import campaign_close, message_schedule
from engagement.services.campaign_recovery import campaign_postpone, campaign_relaunch
from engagement.services.internal_access import internal_link_send
from engagement.services.outreach import (
    bulk_audience,
    bulk_preview,
    invitations_bulk_send,
)
from engagement.services.walk_ins import walk_in_register
from tenants.models import User

from ..factories import ParticipantFactory, PledgeFactory, make_campaign

Audience = InvitationBatch.Audience


def _people(team: Team) -> dict[str, Participant]:
    """One person per reason a bulk invitation leaves someone out, and two it invites."""
    make = lambda **kw: ParticipantFactory(team=team, consent_to_contact=True, **kw)  # noqa: E731
    return {
        "ok1": make(), "ok2": make(source=Participant.Source.IMPORT),
        "unsubscribed": make(unsubscribed_at=timezone.now()),
        "no_consent": ParticipantFactory(team=team, consent_to_contact=False),
        "no_email": make(email="", first_name="Walk"),
        "pledged": make(), "invited": make(),
    }


@pytest.fixture
def setting(org_a, manager_a, eager):
    with tenant_context(org_a):
        campaign = make_campaign()
        team = Team.objects.create(name="Logistique")
        people = _people(team)
        PledgeFactory(slot=campaign.slots.get(), participant=people["pledged"])
        Invitation.objects.create(campaign=campaign, organiser=manager_a,
                                  channel=Channel.EMAIL, lever_code="social_proof",
                                  invitee_email=people["invited"].email)
        outsider = ParticipantFactory(consent_to_contact=True)  # in no team
        yield campaign, team, people, outsider


def test_preview_counts_each_left_out_person_once_under_their_reason(setting):
    campaign, team, _people, _outsider = setting
    preview = bulk_preview(campaign=campaign, audience=bulk_audience(kind=Audience.TEAM,
                                                                     team_id=team.pk))
    assert (preview.audience, preview.unsubscribed, preview.no_consent,
            preview.already_pledged, preview.already_invited, preview.to_invite) == (
        7, 2, 1, 1, 1, 2)


def test_a_team_is_invited_once_each_with_lever_and_channel_through_the_outbox(
        setting, manager_a, django_capture_on_commit_callbacks):
    campaign, team, people, outsider = setting
    audience = bulk_audience(kind=Audience.TEAM, team_id=str(team.pk))
    with django_capture_on_commit_callbacks(execute=True):
        batch = invitations_bulk_send(campaign=campaign, audience=audience,
                                      lever_code="team_challenge", channel=Channel.MANAGER,
                                      organiser=manager_a)
    assert batch.invited == 2
    rows = Invitation.objects.filter(batch=batch)
    assert {i.participant_id for i in rows} == {people["ok1"].pk, people["ok2"].pk}
    assert {(i.lever_code, i.channel) for i in rows} == {("team_challenge", "manager")}
    emails = OutboundEmail.objects.filter(kind="invitation", campaign=campaign)
    assert sorted(e.to_email for e in emails) == sorted([people["ok1"].email,
                                                         people["ok2"].email])
    assert len(mail.outbox) == 2
    # The link is the person's own, with the invitation's code: an internal campaign
    # lets them in, and the visit counts in the funnel.
    assert f"?i={rows[0].code}" in emails.get(participant=rows[0].participant).body
    # Sending again invites nobody new: refused, nothing written.
    with pytest.raises(DomainError) as refused:
        invitations_bulk_send(campaign=campaign, audience=audience,
                              lever_code="team_challenge", channel=Channel.EMAIL,
                              organiser=manager_a)
    assert "audience" in refused.value.errors
    assert Invitation.objects.filter(campaign=campaign).count() == 3
    assert outsider.invitations_received.count() == 0


def test_the_database_refuses_a_second_invitation_of_a_person(setting, manager_a):
    campaign, _team, people, _outsider = setting
    Invitation.objects.create(campaign=campaign, organiser=manager_a, channel="email",
                              lever_code="deadline", participant=people["ok1"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.create(campaign=campaign, organiser=manager_a, channel="email",
                                  lever_code="deadline", participant=people["ok1"])


def test_bad_audience_choices_name_their_field(setting):
    with pytest.raises(DomainError) as team:
        bulk_audience(kind=Audience.TEAM, team_id="999999")
    with pytest.raises(DomainError) as site:
        bulk_audience(kind=Audience.SITE, site="Nowhere")
    with pytest.raises(DomainError) as kind:
        bulk_audience(kind="campaign")  # a relaunch's audience, not a choice
    errors = (*team.value.errors, *site.value.errors, *kind.value.errors)
    assert errors == ("team", "site", "audience")


def test_imported_site_and_never_pledged_audiences(setting, manager_a):
    campaign, _team, people, outsider = setting
    Participant.objects.filter(pk=people["ok1"].pk).update(site="Lyon")
    assert bulk_preview(campaign=campaign, audience=bulk_audience(
        kind=Audience.IMPORTED)).to_invite == 1
    assert bulk_preview(campaign=campaign, audience=bulk_audience(
        kind=Audience.SITE, site="Lyon")).to_invite == 1
    # The pledged person is not in "never pledged" at all.
    assert bulk_preview(campaign=campaign, audience=bulk_audience(
        kind=Audience.NEVER_PLEDGED)).audience == 7


def test_the_employees_address_sends_a_link_only_to_verified_domains(org_a):
    org_a.allowed_email_domains = ["testco.test"]
    org_a.save(update_fields=["allowed_email_domains"])
    with tenant_context(org_a):
        assert internal_link_send(email="Ana@TestCo.test", language="en") is True
        assert internal_link_send(email="ana@testco.test", language="en") is True  # same hour
        assert internal_link_send(email="eve@gmail.com", language="en") is False
        assert internal_link_send(email="not an address", language="en") is False
        rows = OutboundEmail.objects.filter(kind="internal_campaigns_link")
        assert [r.to_email for r in rows] == ["ana@testco.test"]
        assert "/internal/link/" in rows[0].body
        # Typing an address proves nothing: no participant is recorded for it.
        assert not Participant.objects.filter(email__in=["eve@gmail.com",
                                                         "ana@testco.test"]).exists()


def _on_the_day(org_a):
    campaign = make_campaign(capacity=2, starts_in=timedelta(minutes=30),
                             deadline_in=timedelta(minutes=30))
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SUCCEEDED)
    campaign.refresh_from_db()
    return campaign, campaign.slots.get()


def test_a_walk_in_without_an_address_is_checked_in_and_counted(org_a, manager_a):
    with tenant_context(org_a):
        campaign, slot = _on_the_day(org_a)
        pledge = walk_in_register(slot=slot, first_name="Léa", last_name="Martin",
                                  consent_to_contact=False, by_user=manager_a)
        assert (pledge.walk_in, pledge.status, pledge.attendance) == (
            True, "confirmed", "attended")
        assert pledge.hours_given == 3
        assert pledge.participant.source == Participant.Source.WALK_IN
        assert pledge.participant.email == "" and not pledge.participant.can_be_emailed
        slot.refresh_from_db()
        assert slot.confirmed_seats == 1
        # A second person without an address is another participant (no unique clash).
        walk_in_register(slot=slot, first_name="Tom", consent_to_contact=True,
                         by_user=manager_a)
        assert ConsentRecord.objects.filter(source="organiser", given=True).count() == 1
        # The slot is full now: the database's capacity rule refuses a third.
        with pytest.raises(DomainError) as full:
            walk_in_register(slot=slot, first_name="Max", consent_to_contact=False,
                             by_user=manager_a)
        assert "slot" in full.value.errors
        assert Pledge.objects.filter(walk_in=True).count() == 2


def test_a_walk_in_needs_a_name_an_asked_consent_and_the_day(org_a, manager_a):
    with tenant_context(org_a):
        campaign, slot = _on_the_day(org_a)
        with pytest.raises(DomainError) as refused:
            walk_in_register(slot=slot, first_name=" ", email="nope",
                             consent_to_contact=None, by_user=manager_a)
        assert set(refused.value.errors) == {"first_name", "email", "consent_to_contact"}
        later = make_campaign(starts_in=timedelta(days=3))
        with pytest.raises(DomainError) as early:
            walk_in_register(slot=later.slots.get(), first_name="Léa",
                             consent_to_contact=False, by_user=manager_a)
        assert "slot" in early.value.errors
        assert not Pledge.objects.exists()


def test_a_known_address_walking_in_keeps_the_persons_details(org_a, manager_a):
    with tenant_context(org_a):
        _campaign, slot = _on_the_day(org_a)
        known = ParticipantFactory(email="ana@example.test", first_name="Ana")
        pledge = walk_in_register(slot=slot, first_name="Someone", email="ANA@example.test",
                                  consent_to_contact=False, by_user=manager_a)
        known.refresh_from_db()
        assert pledge.participant == known and known.first_name == "Ana"
        with pytest.raises(DomainError) as twice:
            walk_in_register(slot=slot, first_name="Ana", email="ana@example.test",
                             consent_to_contact=False, by_user=manager_a)
        assert "email" in twice.value.errors


def _failed(org_a):
    campaign = make_campaign(target=10, starts_in=timedelta(days=2),
                             deadline_in=timedelta(days=1))
    slot = campaign.slots.get()
    people = [ParticipantFactory(first_name=f"P{i}") for i in range(3)]
    for person in people:
        PledgeFactory(slot=slot, participant=person)
    gone = ParticipantFactory()
    PledgeFactory(slot=slot, participant=gone, status=Pledge.Status.CANCELLED)
    campaign_close(campaign=campaign, now=campaign.mobilisation_deadline)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.FAILED
    return campaign, people, gone


def test_postponing_moves_dates_keeps_pledges_and_tells_people(
        org_a, manager_a, eager, django_capture_on_commit_callbacks):
    with tenant_context(org_a):
        campaign, people, _gone = _failed(org_a)
        message_schedule.campaign_result_notify(campaign_id=campaign.pk)  # "it failed"
        old_start, old_slot_start = campaign.starts_at, campaign.slots.get().starts_at
        new_start = old_start + timedelta(days=21)
        with django_capture_on_commit_callbacks(execute=True):
            event = campaign_postpone(campaign=campaign, starts_at=new_start,
                                      mobilisation_deadline=new_start - timedelta(days=2),
                                      by_user=manager_a)
        campaign.refresh_from_db()
        assert campaign.status == Campaign.Status.OPEN and campaign.closed_at is None
        assert campaign.slots.get().starts_at == old_slot_start + timedelta(days=21)
        assert Pledge.objects.filter(slot__campaign=campaign,
                                     status="confirmed").count() == 3
        assert (event.kind, event.people_told, event.by) == ("postponed", 3, manager_a)
        sent = OutboundEmail.objects.filter(kind="campaign_postponed")
        assert sent.count() == 3
        body = sent.get(participant=people[0]).body  # in the person's language, French
        assert "/cancel/" in body and "est reportée" in body
        calendar = sent.get(participant=people[0]).calendar
        assert "METHOD:REQUEST" in calendar and "SEQUENCE:1" in calendar
        # At the new deadline the campaign is decided again, and its people told again.
        with django_capture_on_commit_callbacks(execute=True):
            campaign_close(campaign=campaign, now=campaign.mobilisation_deadline)
        assert OutboundEmail.objects.filter(kind="campaign_failed",
                                            participant=people[0]).count() == 2
        assert "day" not in body.split("reportée")[0]  # the old date in French too


def test_postponing_refuses_bad_dates_naming_them(org_a, manager_a):
    with tenant_context(org_a):
        campaign, _people, _gone = _failed(org_a)
        with pytest.raises(DomainError) as refused:
            campaign_postpone(campaign=campaign, starts_at=timezone.now() - timedelta(days=1),
                              mobilisation_deadline=timezone.now() + timedelta(days=3),
                              by_user=manager_a)
        assert set(refused.value.errors) == {"starts_at", "mobilisation_deadline"}
        assert not CampaignEvent.objects.exists()


def test_relaunching_copies_the_campaign_and_invites_its_people(
        org_a, manager_a, eager, django_capture_on_commit_callbacks):
    with tenant_context(org_a):
        campaign, people, gone = _failed(org_a)
        Campaign.objects.filter(pk=campaign.pk).update(
            content_language="fr", title="Nettoyage de plage",
            translations={"en": {"title": "Beach clean-up"}})
        campaign.refresh_from_db()
        start = campaign.starts_at + timedelta(days=30)
        with django_capture_on_commit_callbacks(execute=True):
            new = campaign_relaunch(campaign=campaign, starts_at=start,
                                    mobilisation_deadline=start - timedelta(days=3),
                                    by_user=manager_a, participant_target=8)
        campaign.refresh_from_db()
        assert campaign.status == Campaign.Status.FAILED and campaign.relaunched_as == new
        assert (new.title, new.status, new.participant_target) == (
            campaign.title, Campaign.Status.OPEN, 8)
        assert new.slots.get().starts_at == start
        assert new.text_in("title", "en") == "Beach clean-up"
        invited = Invitation.objects.filter(campaign=new)
        assert {i.participant for i in invited} == set(people)  # not the one who cancelled
        assert OutboundEmail.objects.filter(kind="campaign_relaunched").count() == 3
        assert CampaignEvent.objects.get(campaign=campaign).relaunch == new
        with pytest.raises(DomainError):
            campaign_relaunch(campaign=campaign, starts_at=start,
                              mobilisation_deadline=start - timedelta(days=3),
                              by_user=manager_a)
        assert gone.invitations_received.count() == 0


# ---- races, with real commits ---------------------------------------------------------------

@pytest.fixture
def two_teams(committed):
    from tenants.models import Organisation

    organisation = Organisation.objects.get(slug="testco")
    with tenant_context(organisation):
        campaign = make_campaign()
        teams = [Team.objects.create(name=f"Race team {n}") for n in range(2)]
        for n in range(6):
            ParticipantFactory(email=f"race{n}@race.example", team=teams[n % 2],
                               consent_to_contact=True)
    yield organisation, campaign, teams
    with tenant_context(organisation):
        programme = campaign.programme
        InvitationBatch.objects.filter(campaign=campaign).delete()
        campaign.delete()
        programme.delete()
        Participant.objects.filter(email__endswith="@race.example").delete()
        Team.objects.filter(name__startswith="Race team").delete()
        from engagement.models import BulkSendHour
        BulkSendHour.objects.all().delete()


def test_the_same_group_sent_twice_at_once_invites_each_person_once(two_teams):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    organisation, campaign, teams = two_teams
    owner = User.objects.get(email="owner@testco.test")
    start = threading.Barrier(2)

    def send(_n) -> int:
        try:
            with tenant_context(organisation):
                audience = bulk_audience(kind=Audience.TEAM, team_id=teams[0].pk)
                start.wait(timeout=10)
                try:
                    return invitations_bulk_send(campaign=campaign, audience=audience,
                                                 lever_code="deadline",
                                                 channel=Channel.EMAIL,
                                                 organiser=owner).invited
                except DomainError:
                    return 0
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        invited = list(pool.map(send, range(2)))
    with tenant_context(organisation):
        rows = Invitation.objects.filter(campaign=campaign)
        assert sum(invited) == rows.count() == 3
        assert len({row.participant_id for row in rows}) == 3
