"""Alerts to organisers (owners and managers, in their language): the target reached, a
slot under-filled three days before, a late cancellation; each once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.roles import Role
from engagement.models import OrganiserAlert, OrganiserAlertMute, OutboundEmail, Participant
from engagement.services import campaign_join, pledge_cancel
from engagement.services.organiser_alerts import organiser_alerts_queue

from ..conftest import make_member, tenant_client
from ..factories import ParticipantFactory, PledgeFactory, make_campaign


def alerts(**filters) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(kind="organiser_alert", **filters)
                .order_by("to_email"))


@pytest.fixture
def organisers(org_a, owner_a):
    manager = make_member(org_a, Role.MANAGER, "gestion@testco.test")
    manager.preferred_language = "fr"
    manager.save(update_fields=["preferred_language"])
    owner_a.preferred_language = "en"
    owner_a.save(update_fields=["preferred_language"])
    make_member(org_a, Role.VIEWER, "viewer@testco.test")
    return owner_a, manager


@pytest.mark.django_db
def test_target_reached_is_told_once_to_owners_and_managers_in_their_language(
        org_a, organisers, eager, django_capture_on_commit_callbacks):
    owner, manager = organisers
    with tenant_context(org_a):
        campaign = make_campaign(target=2, capacity=10)
        slot = campaign.slots.get()
        for name in ("ana", "bob", "cyd"):  # the third one raises nothing new
            with django_capture_on_commit_callbacks(execute=True):
                campaign_join(campaign=campaign, email=f"{name}@example.test",
                              slot_ids=[slot.pk])
        assert OrganiserAlert.objects.filter(campaign=campaign).count() == 1
        english, french = sorted(alerts(campaign=campaign),
                                 key=lambda e: e.to_email != owner.email)
        assert (english.to_email, french.to_email) == (owner.email, manager.email)
        assert english.subject == f"Target reached: {campaign.title}"
        assert french.subject == f"Objectif atteint : {campaign.title}"
        assert f"/campaigns/{campaign.pk}/" in english.body
        assert "viewer@testco.test" not in {e.to_email for e in alerts()}
        assert organiser_alerts_queue(now=timezone.now()) == 0  # the safety net adds nothing


@pytest.mark.django_db
def test_slots_under_filled_three_days_before_are_told_once(org_a, organisers):
    with tenant_context(org_a):
        now = timezone.now()
        thin = make_campaign(capacity=10, target=40, starts_in=timedelta(days=2),
                             deadline_in=timedelta(days=1))
        half = make_campaign(capacity=10, target=40, starts_in=timedelta(days=2),
                             deadline_in=timedelta(days=1))
        later = make_campaign(capacity=10, target=40, starts_in=timedelta(days=5))
        for campaign, taken in ((thin, 4), (half, 5), (later, 0)):
            for _n in range(taken):
                PledgeFactory(slot=campaign.slots.get(), participant=ParticipantFactory())
            campaign.slots.update(confirmed_seats=taken)
        assert organiser_alerts_queue(now=now) == 1
        assert organiser_alerts_queue(now=now) == 0
        [alert] = OrganiserAlert.objects.filter(kind="slot_underfilled")
        assert alert.slot == thin.slots.get()
        french = alerts(to_email="gestion@testco.test")[0]
        assert "4 places prises sur 10" in french.body
        # Two days later the other campaign is within three days: told then.
        assert organiser_alerts_queue(now=now + timedelta(days=2, hours=1)) == 1


@pytest.mark.django_db
def test_a_cancellation_under_48_hours_is_told_once(org_a, organisers, eager,
                                                    django_capture_on_commit_callbacks):
    with tenant_context(org_a):
        soon = make_campaign(capacity=10, starts_in=timedelta(hours=30),
                             deadline_in=timedelta(hours=20))
        later = make_campaign(capacity=10, starts_in=timedelta(days=3))
        lea = Participant.objects.create(email="lea@example.test", first_name="Léa",
                                         last_name="Martin")
        early, late = (PledgeFactory(slot=c.slots.get(), participant=lea, companions=1,
                                     confirmed_at=timezone.now()) for c in (later, soon))
        for campaign in (soon, later):
            campaign.slots.update(confirmed_seats=2)
        with django_capture_on_commit_callbacks(execute=True):
            pledge_cancel(pledge=early)
            pledge_cancel(pledge=late)
        [alert] = OrganiserAlert.objects.filter(kind="late_cancellation")
        assert alert.pledge == late
        english = alerts(campaign=soon, to_email="owner@testco.test")[0]
        assert english.subject.startswith(f"Late cancellation: {soon.title}")
        assert "Léa Martin has cancelled their places (for 2 people)" in english.body
        assert "0 of 10 places taken" in english.body
        # The person was sent the calendar cancellation, both times.
        assert OutboundEmail.objects.filter(kind="pledge_cancelled", participant=lea).count() == 2


@pytest.mark.django_db
def test_a_member_mutes_the_alerts_on_their_page(org_a, organisers, viewer_a, owner_b):
    owner, manager = organisers
    client = tenant_client(org_a, manager)
    page = client.get("/alerts/", HTTP_ACCEPT_LANGUAGE="fr")
    assert page.status_code == 200 and "M’envoyer ces alertes" in page.content.decode()
    assert client.post("/alerts/", {}).status_code == 302  # the switch off
    with tenant_context(org_a):
        campaign = make_campaign(target=1)
        PledgeFactory(slot=campaign.slots.get(), participant=ParticipantFactory())
        assert organiser_alerts_queue(now=timezone.now()) == 1
        assert {e.to_email for e in alerts()} == {owner.email}
        assert "/alerts/" in alerts()[0].body
    client.post("/alerts/", {"alerts": "on"})
    with tenant_context(org_a):
        assert not OrganiserAlertMute.objects.exists()
    # Viewers are not sent alerts and have no such page; nor has another organisation.
    assert tenant_client(org_a, viewer_a).get("/alerts/").status_code in (403, 404)
    assert tenant_client(org_a, owner_b).get("/alerts/").status_code in (302, 403, 404)


@pytest.mark.django_db
def test_a_moved_slot_is_told_under_filled_again_at_its_new_date(org_a, organisers):
    from engagement.services.slot_changes import slot_move

    with tenant_context(org_a):
        now = timezone.now()
        campaign = make_campaign(capacity=10, target=40, starts_in=timedelta(days=2),
                                 deadline_in=timedelta(days=1))
        slot = campaign.slots.get()
        assert organiser_alerts_queue(now=now) == 1
        # Moved a day later (within the action): still under-filled, told again at once.
        slot_move(slot=slot, starts_at=slot.starts_at + timedelta(hours=2),
                  ends_at=slot.ends_at + timedelta(hours=2))
        assert organiser_alerts_queue(now=now) == 1
        assert organiser_alerts_queue(now=now) == 0
        keys = set(OrganiserAlert.objects.filter(kind="slot_underfilled")
                   .values_list("dedupe_key", flat=True))
        assert keys == {f"slot_underfilled:campaign:{campaign.pk}:slot:{slot.pk}",
                        f"slot_underfilled:campaign:{campaign.pk}:slot:{slot.pk}:sequence:1"}


@pytest.mark.django_db
def test_the_target_safety_net_is_one_query_whatever_the_campaigns(
        org_a, organisers, django_assert_max_num_queries):
    with tenant_context(org_a):
        reached = make_campaign(target=2, capacity=10, starts_in=timedelta(days=20))
        PledgeFactory(slot=reached.slots.get(), participant=ParticipantFactory(),
                      companions=1)
        for _n in range(6):  # under their target: nothing to tell, nothing to count apart
            short = make_campaign(target=5, capacity=10, starts_in=timedelta(days=20))
            PledgeFactory(slot=short.slots.get(), participant=ParticipantFactory(),
                          companions=1)
        # The under-filled slots, the campaigns reached, then the alert: its row, the
        # recipients and their two e-mails (with their own lookups), whatever the campaigns.
        with django_assert_max_num_queries(19):
            assert organiser_alerts_queue(now=timezone.now()) == 1
        assert OrganiserAlert.objects.get(kind="target_reached").campaign == reached
        with django_assert_max_num_queries(2):  # was one more per open campaign
            assert organiser_alerts_queue(now=timezone.now()) == 0


@pytest.mark.django_db
def test_a_postponed_slot_is_told_under_filled_again(org_a, organisers):
    from engagement.services.campaign_recovery import campaign_postpone

    with tenant_context(org_a):
        now = timezone.now()
        campaign = make_campaign(capacity=10, target=40, starts_in=timedelta(days=2),
                                 deadline_in=timedelta(days=1))
        assert organiser_alerts_queue(now=now) == 1
        campaign_postpone(campaign=campaign, starts_at=campaign.starts_at + timedelta(hours=12),
                          mobilisation_deadline=campaign.mobilisation_deadline, by_user=None)
        assert campaign.slots.get().sequence == 1
        assert organiser_alerts_queue(now=now) == 1
        assert organiser_alerts_queue(now=now) == 0
