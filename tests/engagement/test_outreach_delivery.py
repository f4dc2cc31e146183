"""Bulk invitations under the hourly cap: a send is recorded whole, however large; the cap
spreads its e-mails over the hours (each once), the schedule picks up a batch whose
message was lost, a relaunch is never refused for the cap, and concurrent deliveries never
pass it together. Relaunch invitations stay out of the lever comparison."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone, translation
from django_tenants.utils import tenant_context

from engagement.models import (
    BulkSendHour,
    Channel,
    Invitation,
    InvitationBatch,
    OutboundEmail,
    Participant,
    Team,
)
from engagement.selectors import RELAUNCH_LEVER
from engagement.services.campaign_recovery import campaign_relaunch
from engagement.services.outreach import allowance_left, bulk_audience, invitations_bulk_send
from engagement.services.outreach_delivery import (
    delivery_plan,
    delivery_plan_text,
    invitation_batch_emails_queue,
    invitation_batches_due_queue,
)
from reports.levers import lever_analysis
from tenants.models import User

from ..factories import ParticipantFactory, make_campaign
from .test_outreach import _failed

Audience = InvitationBatch.Audience


def _tomorrow_at_ten() -> timezone.datetime:
    """An hour of the future, so the eager task run after the commit (at the real time)
    finds nothing due yet and the test drives the hours itself."""
    return (timezone.now() + timedelta(days=1)).replace(minute=10, second=0, microsecond=0)


@override_settings(BULK_INVITATIONS_PER_HOUR=3)
def test_a_send_larger_than_the_cap_is_recorded_whole_and_delivered_over_two_hours(
        org_a, manager_a, eager, django_capture_on_commit_callbacks):
    t0 = _tomorrow_at_ten()
    with tenant_context(org_a):
        campaign = make_campaign()
        people = [ParticipantFactory(consent_to_contact=True) for _ in range(5)]
        with django_capture_on_commit_callbacks(execute=True):
            batch = invitations_bulk_send(campaign=campaign,
                                          audience=bulk_audience(kind=Audience.ALL),
                                          lever_code="deadline", channel=Channel.EMAIL,
                                          organiser=manager_a, now=t0)
        # All five recorded at once, none sent before their hour.
        assert batch.invited == 5 and Invitation.objects.filter(batch=batch).count() == 5
        assert not OutboundEmail.objects.filter(kind="invitation").exists()

        with django_capture_on_commit_callbacks(execute=True):
            assert invitation_batch_emails_queue(batch_id=batch.pk, now=t0) == 3
        batch.refresh_from_db()
        assert (batch.sent, batch.next_at) == (3, t0.replace(minute=0) + timedelta(hours=1))
        assert allowance_left(now=t0) == 0
        # The same hour again (a repeated message, the schedule): nothing more.
        assert invitation_batch_emails_queue(batch_id=batch.pk, now=t0 + timedelta(minutes=5)) == 0

        later = t0 + timedelta(hours=1)
        with django_capture_on_commit_callbacks(execute=True):
            assert invitation_batch_emails_queue(batch_id=batch.pk, now=later) == 2
        batch.refresh_from_db()
        assert (batch.sent, batch.next_at) == (5, None)
        assert allowance_left(now=later) == 1
        assert invitation_batch_emails_queue(batch_id=batch.pk, now=later) == 0
        emails = OutboundEmail.objects.filter(kind="invitation", campaign=campaign)
        assert sorted(e.to_email for e in emails) == sorted(p.email for p in people)


def test_the_organiser_is_told_how_the_send_is_spread_in_their_language():
    with override_settings(BULK_INVITATIONS_PER_HOUR=500):
        plan = delivery_plan(invited=1800, allowance=500)
    assert (plan.this_hour, plan.later_hours) == (500, 3)
    with translation.override("en"):
        assert delivery_plan_text(plan) == ("1,800 invitations recorded; 500 sent this hour, "
                                            "the rest over the next 3 hours.")
    with translation.override("fr"):
        text = delivery_plan_text(plan)
    assert "invitations enregistrées" in text and "3 prochaines heures" in text
    with translation.override("en"):
        assert delivery_plan_text(delivery_plan(invited=2, allowance=500)) == (
            "2 invitations recorded; all are sent this hour.")


@override_settings(BULK_INVITATIONS_PER_HOUR=2)
def test_a_lost_message_is_picked_up_by_the_schedule(org_a, manager_a, eager,
                                                     django_capture_on_commit_callbacks):
    with tenant_context(org_a):
        campaign = make_campaign()
        for _ in range(3):
            ParticipantFactory(consent_to_contact=True)
        # Sent without running the commit's callbacks: its task never reaches a worker.
        batch = invitations_bulk_send(campaign=campaign, audience=bulk_audience(
            kind=Audience.ALL), lever_code="deadline", channel=Channel.EMAIL,
            organiser=manager_a)
        assert invitation_batches_due_queue(now=batch.created_at - timedelta(minutes=1)) == 0
        with django_capture_on_commit_callbacks(execute=True):
            assert invitation_batches_due_queue(now=timezone.now()) == 1
        batch.refresh_from_db()
        assert batch.sent == 2 and batch.next_at is not None
        assert OutboundEmail.objects.filter(kind="invitation").count() == 2


@override_settings(BULK_INVITATIONS_PER_HOUR=2)
def test_a_relaunch_with_more_people_than_the_cap_succeeds(
        org_a, manager_a, eager, django_capture_on_commit_callbacks):
    with tenant_context(org_a):
        campaign, people, _gone = _failed(org_a)  # three people with a live pledge
        BulkSendHour.objects.create(hour=timezone.now().replace(minute=0, second=0,
                                                                microsecond=0),
                                    invitations=1)  # the hour already partly used
        start = campaign.starts_at + timedelta(days=30)
        with django_capture_on_commit_callbacks(execute=True):
            new = campaign_relaunch(campaign=campaign, starts_at=start,
                                    mobilisation_deadline=start - timedelta(days=3),
                                    by_user=manager_a)
        invitations = Invitation.objects.filter(campaign=new)
        assert {i.participant for i in invitations} == set(people)
        # Recorded under the relaunch's own lever, not a lever of the catalogue.
        assert {i.lever_code for i in invitations} == {RELAUNCH_LEVER}
        assert OutboundEmail.objects.filter(kind="campaign_relaunched").count() == 1
        batch = InvitationBatch.objects.get(campaign=new)
        next_hour = batch.next_at
        assert next_hour is not None
        with django_capture_on_commit_callbacks(execute=True):
            invitation_batch_emails_queue(batch_id=batch.pk, now=next_hour)
        assert OutboundEmail.objects.filter(kind="campaign_relaunched").count() == 3


def test_relaunch_invitations_stay_out_of_the_lever_comparison(org_a, manager_a):
    with tenant_context(org_a):
        campaign = make_campaign()
        for lever in ("deadline", RELAUNCH_LEVER):
            for _ in range(5):
                person = ParticipantFactory()
                Invitation.objects.create(campaign=campaign, organiser=manager_a,
                                          channel=Channel.EMAIL, lever_code=lever,
                                          participant=person, invitee_email=person.email)
        rows = lever_analysis(campaign=campaign)
    assert {r["key"] for r in rows if r["dimension"] == "lever"} == {"deadline"}
    assert sum(r["sent"] for r in rows if r["dimension"] == "channel") == 5


# ---- races, with real commits ---------------------------------------------------------------

@pytest.fixture
def two_batches(committed):
    from tenants.models import Organisation

    organisation = Organisation.objects.get(slug="testco")
    owner = User.objects.get(email="owner@testco.test")
    t0 = _tomorrow_at_ten()
    with tenant_context(organisation):
        campaign = make_campaign()
        teams = [Team.objects.create(name=f"Delivery team {n}") for n in range(2)]
        for n in range(6):
            ParticipantFactory(email=f"deliver{n}@race.example", team=teams[n % 2],
                               consent_to_contact=True)
        # Recorded at a future hour, their callbacks not run: the test delivers them.
        batches = [invitations_bulk_send(campaign=campaign, audience=bulk_audience(
            kind=Audience.TEAM, team_id=team.pk), lever_code="deadline",
            channel=Channel.EMAIL, organiser=owner, now=t0) for team in teams]
    yield organisation, campaign, batches, t0
    with tenant_context(organisation):
        programme = campaign.programme
        OutboundEmail.objects.filter(campaign=campaign).delete()
        InvitationBatch.objects.filter(campaign=campaign).delete()
        campaign.delete()
        programme.delete()
        Participant.objects.filter(email__endswith="@race.example").delete()
        Team.objects.filter(name__startswith="Delivery team").delete()
        BulkSendHour.objects.all().delete()


@override_settings(BULK_INVITATIONS_PER_HOUR=4)
def test_two_batches_delivered_at_once_never_pass_the_hourly_cap_together(two_batches):
    """Two batches of 3 due in the same hour with 4 allowed: together they send exactly 4,
    and the other 2 the next hour."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    organisation, campaign, batches, t0 = two_batches
    start = threading.Barrier(2)

    def deliver(batch, now) -> int:
        try:
            with tenant_context(organisation):
                start.wait(timeout=10)
                return invitation_batch_emails_queue(batch_id=batch.pk, now=now)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        first = list(pool.map(deliver, batches, [t0, t0]))
    assert sum(first) == 4
    start = threading.Barrier(2)
    later = t0 + timedelta(hours=1)
    with ThreadPoolExecutor(max_workers=2) as pool:
        second = list(pool.map(deliver, batches, [later, later]))
    assert sum(second) == 2
    with tenant_context(organisation):
        assert BulkSendHour.objects.get(hour=t0.replace(minute=0)).invitations == 4
        assert OutboundEmail.objects.filter(campaign=campaign, kind="invitation").count() == 6
        assert not InvitationBatch.objects.filter(campaign=campaign,
                                                  next_at__isnull=False).exists()
