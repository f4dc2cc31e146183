"""Crowdtiming pledges: capacity enforced by the database, waiting list, promotion."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.errors import DomainError
from engagement.models import Campaign, Participant, Pledge, Slot
from engagement.services import pledge_cancel, pledge_create
from tenants.models import Organisation

from ..factories import CampaignFactory, ParticipantFactory, ProgrammeFactory, SlotFactory


def make_slot(capacity: int, *, status=Campaign.Status.OPEN, deadline_in_days=5) -> Slot:
    programme = ProgrammeFactory(name="Beach", starts_on=date(2027, 1, 1),
                                 ends_on=date(2027, 12, 31))
    return SlotFactory(capacity=capacity, campaign=CampaignFactory(
        programme=programme, code=f"c{Campaign.objects.count() + 1}x", title="Clean-up",
        participant_target=40,
        mobilisation_deadline=timezone.now() + timedelta(days=deadline_in_days),
        # Freed places given at once (tests/engagement/test_waitlist.py has the offers).
        freed_seats=Campaign.FreedSeats.PROMOTE, status=status))


def person(n) -> Participant:
    return ParticipantFactory(email=f"p{n}@example.test", first_name=f"P{n}")


@pytest.mark.django_db
def test_full_slot_waitlists_and_cancellation_promotes_in_order(org_a):
    with tenant_context(org_a):
        slot = make_slot(3)
        a = pledge_create(slot=slot, participant=person(1), companions=1)  # 2 seats
        b = pledge_create(slot=slot, participant=person(2))  # 1 seat: full
        c = pledge_create(slot=slot, participant=person(3), companions=2)  # party of 3
        d = pledge_create(slot=slot, participant=person(4))
        assert [p.status for p in (a, b, c, d)] == ["confirmed", "confirmed", "waitlisted",
                                                    "waitlisted"]
        slot.refresh_from_db()
        assert slot.confirmed_seats == 3
        # b frees one seat: c (a party of 3) does not fit, d (next that fits) goes in.
        assert [p.pk for p in pledge_cancel(pledge=b)] == [d.pk]
        # a frees two seats: c still does not fit and keeps its place in the queue.
        assert pledge_cancel(pledge=a) == []
        # d leaves too: three seats, c goes in.
        assert [p.pk for p in pledge_cancel(pledge=d)] == [c.pk]
        slot.refresh_from_db()
        assert slot.confirmed_seats == 3
        assert pledge_cancel(pledge=d) == []  # cancelling twice changes nothing


@pytest.mark.django_db
def test_refusals_are_clear(org_a):
    with tenant_context(org_a):
        slot = make_slot(10)
        someone = person(1)
        pledge_create(slot=slot, participant=someone)
        with pytest.raises(DomainError) as twice:
            pledge_create(slot=slot, participant=someone)
        assert "already pledged" in twice.value.errors["slot"][0]
        closed = make_slot(10, status=Campaign.Status.SUCCEEDED)
        with pytest.raises(DomainError) as excinfo:
            pledge_create(slot=closed, participant=someone)
        assert "not open" in excinfo.value.errors["slot"][0]
        late = make_slot(10, deadline_in_days=-1)
        with pytest.raises(DomainError) as excinfo:
            pledge_create(slot=late, participant=someone)
        assert "deadline has passed" in excinfo.value.errors["slot"][0]
        with pytest.raises(DomainError) as excinfo:
            pledge_create(slot=slot, participant=person(2), companions=50)
        assert "companions" in excinfo.value.errors


@pytest.mark.django_db
def test_the_database_refuses_an_over_filled_slot(org_a):
    with tenant_context(org_a):
        slot = make_slot(2)
        with pytest.raises(IntegrityError), transaction.atomic():
            Slot.objects.filter(pk=slot.pk).update(confirmed_seats=3)


@pytest.fixture
def busy_slot(committed):
    organisation = Organisation.objects.get(slug="testco")
    with tenant_context(organisation):
        slot = make_slot(50)
        people = Participant.objects.bulk_create(
            Participant(email=f"crowd{n}@example.test") for n in range(300))
    yield organisation, slot, people
    with tenant_context(organisation):
        programme = slot.campaign.programme
        Pledge.objects.filter(slot__campaign__programme=programme).delete()
        Campaign.objects.filter(programme=programme).delete()
        programme.delete()
        Participant.objects.filter(email__startswith="crowd").delete()


def test_300_simultaneous_pledges_on_50_seats(busy_slot):
    organisation, slot, people = busy_slot

    def pledge(participant):
        try:
            with tenant_context(organisation):
                return pledge_create(slot=slot, participant=participant).status
        finally:
            connection.close()  # each thread has its own connection

    with ThreadPoolExecutor(max_workers=30) as pool:
        statuses = list(pool.map(pledge, people))
    assert statuses.count("confirmed") == 50
    assert statuses.count("waitlisted") == 250
    with tenant_context(organisation):
        slot.refresh_from_db()
        assert slot.confirmed_seats == 50
        assert Pledge.objects.filter(slot=slot).count() == 300  # nothing lost
        assert Pledge.objects.filter(slot=slot, status="confirmed").count() == 50
        first_waiting = Pledge.objects.filter(slot=slot, status="waitlisted").order_by(
            "created_at", "id").first()
        leaving = Pledge.objects.filter(slot=slot, status="confirmed").first()
        assert pledge_cancel(pledge=leaving) == [first_waiting]
