"""The waiting list: positions, freed places offered with a time limit (then the next
person), or given at once when the campaign says so; races decided by the database."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context
from icalendar import Calendar

from core.errors import DomainError
from engagement import links
from engagement.models import Campaign, OutboundEmail, Participant, Pledge, Slot
from engagement.services import pledge_cancel, pledge_create
from engagement.services.waitlist import (
    OFFER_TIME,
    offer_expiry,
    offers_expire,
    pledge_offer_accept,
    waitlist_positions,
)
from tenants.models import Organisation

from ..conftest import tenant_client
from ..factories import ParticipantFactory, make_campaign


def person(name: str, language: str = "en") -> Participant:
    return ParticipantFactory(email=f"{name.lower()}@example.test", first_name=name,
                              language=language)


def full_slot(capacity: int = 1, *, starts_in=timedelta(days=10), freed_seats="offer"):
    campaign = make_campaign(capacity=capacity, starts_in=starts_in,
                             deadline_in=min(timedelta(days=5), starts_in))
    campaign.freed_seats = freed_seats
    campaign.save(update_fields=["freed_seats"])
    return campaign.slots.get()


def emails(**filters) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(**filters).order_by("id"))


@pytest.mark.django_db
def test_each_waiting_person_sees_their_position_on_their_page_and_in_the_email(
        org_a, eager, django_capture_on_commit_callbacks):
    with tenant_context(org_a):
        slot = full_slot()
        with django_capture_on_commit_callbacks(execute=True):
            pledge_create(slot=slot, participant=person("Ana"))
            bob = pledge_create(slot=slot, participant=person("Bob"))
            cyd = pledge_create(slot=slot, participant=person("Cyd", "fr"))
        assert waitlist_positions([bob, cyd]) == {bob.pk: 1, cyd.pk: 2}
        [french] = emails(kind="pledge_waitlisted", participant=cyd.participant)
        assert "Vous êtes numéro 2 sur la liste d’attente." in french.body
        assert "temps limité pour la confirmer" in french.body
        [english] = emails(kind="pledge_waitlisted", participant=bob.participant)
        assert "You are number 1 on the waiting list." in english.body
        token = links.participant_token(cyd.participant)
    page = tenant_client(org_a).get(f"/me/{token}/", HTTP_ACCEPT_LANGUAGE="fr")
    assert "Vous êtes numéro 2 sur la liste d’attente." in page.content.decode()


@pytest.mark.django_db
def test_a_freed_place_is_offered_then_confirmed_through_the_signed_link(
        org_a, eager, django_capture_on_commit_callbacks):
    with tenant_context(org_a):
        slot = full_slot()
        ana = pledge_create(slot=slot, participant=person("Ana"))
        bob = pledge_create(slot=slot, participant=person("Bob"))
        with django_capture_on_commit_callbacks(execute=True):
            assert pledge_cancel(pledge=ana) == []  # offered, not promoted
        bob.refresh_from_db()
        slot.refresh_from_db()
        assert bob.status == Pledge.Status.OFFERED and slot.confirmed_seats == 1
        assert abs(bob.offer_expires_at - (timezone.now() + OFFER_TIME)) < timedelta(minutes=1)
        # The place is held: a newcomer goes on the waiting list.
        assert pledge_create(slot=slot, participant=person("Dan")).status == "waitlisted"
        [offer] = emails(kind="seat_offered")
        assert offer.participant == bob.participant
        link = re.search(r"Confirm it here: (\S+)", offer.body).group(1)
        path = link.split("localhost", 1)[1].lstrip(":0123456789")
        assert path.endswith(f"/pledges/{bob.pk}/offer/")
        stranger = links.participant_token(person("Eve"))
    client = tenant_client(org_a)
    page = client.get(path)
    assert page.status_code == 200 and "Confirm my place" in page.content.decode()
    # Someone else's link does not reach Bob's offer.
    assert client.get(f"/me/{stranger}/pledges/{bob.pk}/offer/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(path).status_code == 302
    assert client.post(path).status_code == 302  # twice: the same answer, nothing more
    with tenant_context(org_a):
        bob.refresh_from_db()
        assert bob.status == Pledge.Status.CONFIRMED and bob.offer_expires_at is None
        [confirmed] = emails(kind="pledge_promoted")
        assert Calendar.from_ical(confirmed.calendar)["method"] == "REQUEST"
        slot.refresh_from_db()
        assert slot.confirmed_seats == 1


@pytest.mark.django_db
def test_an_offer_not_confirmed_in_time_goes_to_the_next_person(
        org_a, eager, django_capture_on_commit_callbacks):
    with tenant_context(org_a):
        slot = full_slot()
        ana = pledge_create(slot=slot, participant=person("Ana"))
        bob = pledge_create(slot=slot, participant=person("Bob"))
        cyd = pledge_create(slot=slot, participant=person("Cyd"))
        with django_capture_on_commit_callbacks(execute=True):
            pledge_cancel(pledge=ana)
        bob.refresh_from_db()
        assert offers_expire(now=bob.offer_expires_at - timedelta(seconds=1)) == 0
        with django_capture_on_commit_callbacks(execute=True):
            assert offers_expire(now=bob.offer_expires_at + timedelta(seconds=1)) == 1
        bob.refresh_from_db()
        cyd.refresh_from_db()
        assert bob.status == Pledge.Status.CANCELLED and cyd.status == Pledge.Status.OFFERED
        assert [e.participant for e in emails(kind="offer_expired")] == [bob.participant]
        assert [e.participant for e in emails(kind="seat_offered")] == [bob.participant,
                                                                        cyd.participant]
        with pytest.raises(DomainError) as refused:
            pledge_offer_accept(pledge=bob)
        assert "pledge" in refused.value.errors
        slot.refresh_from_db()
        assert slot.confirmed_seats == 1


@pytest.mark.django_db
def test_offer_time_limits_and_the_campaign_that_gives_places_at_once(org_a):
    now = timezone.now()
    assert offer_expiry(starts_at=now + timedelta(days=5), now=now) == now + timedelta(hours=24)
    assert offer_expiry(starts_at=now + timedelta(hours=10), now=now) == now + timedelta(hours=5)
    assert offer_expiry(starts_at=now + timedelta(hours=2, minutes=30),
                        now=now) == now + timedelta(hours=1, minutes=15)
    assert offer_expiry(starts_at=now + timedelta(hours=1), now=now) is None
    with tenant_context(org_a):
        # An hour before the start: no time for an offer, the place is given.
        close = full_slot(starts_in=timedelta(hours=1))
        first = pledge_create(slot=close, participant=person("Ana"))
        waiting = pledge_create(slot=close, participant=person("Bob"))
        assert pledge_cancel(pledge=first) == [waiting]
        # The organiser chose "give at once".
        given = full_slot(freed_seats=Campaign.FreedSeats.PROMOTE)
        first = pledge_create(slot=given, participant=person("Cyd"))
        waiting = pledge_create(slot=given, participant=person("Dan"))
        assert [p.pk for p in pledge_cancel(pledge=first)] == [waiting.pk]


@pytest.mark.django_db
def test_the_database_refuses_an_offer_without_a_time_limit(org_a):
    from django.db import IntegrityError, transaction

    with tenant_context(org_a):
        slot = full_slot()
        pledge = pledge_create(slot=slot, participant=person("Ana"))
        with pytest.raises(IntegrityError), transaction.atomic():
            Pledge.objects.filter(pk=pledge.pk).update(status=Pledge.Status.OFFERED)


@pytest.fixture
def offered(committed):
    """A committed slot whose one place is offered to Bob; removed afterwards."""
    organisation = Organisation.objects.get(slug="testco")
    with tenant_context(organisation):
        slot = full_slot()
        campaign = slot.campaign
        ana = pledge_create(slot=slot, participant=person("Race-ana"))
        bob = pledge_create(slot=slot, participant=person("Race-bob"))
        pledge_cancel(pledge=ana)
        bob.refresh_from_db()
        assert bob.status == Pledge.Status.OFFERED
    yield organisation, slot, bob
    with tenant_context(organisation):
        programme = campaign.programme
        OutboundEmail.objects.filter(campaign=campaign).delete()
        campaign.delete()
        programme.delete()
        Participant.objects.filter(email__startswith="race-").delete()


def _race(organisation, *jobs):
    start = threading.Barrier(len(jobs))

    def run(job):
        try:
            with tenant_context(organisation):
                start.wait(timeout=10)
                try:
                    return job()
                except DomainError as exc:
                    return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))


def test_two_confirmations_at_once_confirm_once(offered, eager):
    organisation, slot, bob = offered
    results = _race(organisation, lambda: pledge_offer_accept(pledge=bob),
                    lambda: pledge_offer_accept(pledge=bob))
    assert all(isinstance(r, Pledge) and r.status == "confirmed" for r in results)
    with tenant_context(organisation):
        assert Slot.objects.get(pk=slot.pk).confirmed_seats == 1
        assert OutboundEmail.objects.filter(kind="pledge_promoted",
                                            participant=bob.participant).count() == 1


def test_a_confirmation_racing_the_lapse_ends_one_way_only(offered, eager):
    organisation, slot, bob = offered
    later = bob.offer_expires_at + timedelta(seconds=1)
    accepted, lapsed = _race(organisation, lambda: pledge_offer_accept(pledge=bob),
                             lambda: offers_expire(now=later))
    with tenant_context(organisation):
        bob.refresh_from_db()
        if isinstance(accepted, Pledge):
            assert bob.status == "confirmed" and lapsed == 0
        else:
            assert bob.status == "cancelled" and lapsed == 1
        live = Pledge.objects.filter(slot=slot, status__in=["confirmed", "offered"])
        assert Slot.objects.get(pk=slot.pk).confirmed_seats == sum(p.seats for p in live)


@pytest.mark.django_db
def test_the_api_sets_how_freed_places_go_and_shows_offers(org_a, manager_a):
    with tenant_context(org_a):
        slot = full_slot()
        ana = pledge_create(slot=slot, participant=person("Ana"))
        bob = pledge_create(slot=slot, participant=person("Bob"))
        pledge_cancel(pledge=ana)
    client = tenant_client(org_a, manager_a)
    url = f"/api/v1/campaigns/{slot.campaign_id}/"
    refused = client.patch(url, {"freed_seats": "lottery"}, content_type="application/json")
    assert refused.status_code == 400 and "freed_seats" in refused.json()["errors"]
    changed = client.patch(url, {"freed_seats": "promote"}, content_type="application/json")
    assert changed.status_code == 200 and changed.json()["freed_seats"] == "promote"
    offered = client.get(f"/api/v1/pledges/{bob.pk}/").json()
    assert offered["status"] == "offered" and offered["offer_expires_at"]


@pytest.mark.django_db
def test_an_offer_for_an_action_that_failed_cannot_be_taken(org_a):
    with tenant_context(org_a):
        slot = full_slot()
        ana = pledge_create(slot=slot, participant=person("Ana"))
        bob = pledge_create(slot=slot, participant=person("Bob"))
        pledge_cancel(pledge=ana)
        Campaign.objects.filter(pk=slot.campaign_id).update(status=Campaign.Status.FAILED)
        with pytest.raises(DomainError):
            pledge_offer_accept(pledge=bob)
        bob.refresh_from_db()
        assert bob.status == Pledge.Status.OFFERED
