"""Test data of an organisation's schema (call them inside ``tenant_context``).

The factories give every field a plain default; a test names only what it is about:
``CampaignFactory(status=Campaign.Status.DRAFT)``, ``SlotFactory(capacity=3)`` (with its
campaign and programme), ``PledgeFactory(slot=slot, participant=someone)``.
``make_campaign`` is the usual set-up of the engagement tests: an open public campaign in
ten days with one slot; ``make_campaign_with_slot`` and ``make_pledge`` that of the reports
tests, which place actions in the past.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from engagement.models import Campaign, Participant, Pledge, Programme, Slot


class ProgrammeFactory(DjangoModelFactory):
    class Meta:
        model = Programme

    name = "Programme"
    starts_on = date(2020, 1, 1)
    ends_on = date(2035, 12, 31)


class CampaignFactory(DjangoModelFactory):
    """An open (internal) campaign starting in ten days, for ``hours`` hours (3), whose
    mobilisation deadline is in five days. No slot: see SlotFactory and make_campaign."""

    class Meta:
        model = Campaign

    class Params:
        hours = 3

    programme = factory.SubFactory(ProgrammeFactory)
    title = "Beach clean-up"
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=10))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=o.hours))
    participant_target = 5
    mobilisation_deadline = factory.LazyFunction(lambda: timezone.now() + timedelta(days=5))
    status = Campaign.Status.OPEN


class SlotFactory(DjangoModelFactory):
    """The whole length of its campaign."""

    class Meta:
        model = Slot

    campaign = factory.SubFactory(CampaignFactory)
    starts_at = factory.SelfAttribute("campaign.starts_at")
    ends_at = factory.SelfAttribute("campaign.ends_at")
    capacity = 10


class ParticipantFactory(DjangoModelFactory):
    class Meta:
        model = Participant

    email = factory.Sequence(lambda n: f"participant{n}@example.test")


class PledgeFactory(DjangoModelFactory):
    """A confirmed pledge row as it stands (``pledge_create`` would refuse a past deadline
    or a full slot; tests of those rules call the service)."""

    class Meta:
        model = Pledge

    slot = factory.SubFactory(SlotFactory)
    participant = factory.SubFactory(ParticipantFactory)
    status = Pledge.Status.CONFIRMED


def make_campaign(*, capacity: int = 10, target: int = 5, status=Campaign.Status.OPEN,
                  visibility=Campaign.Visibility.PUBLIC, starts_in=timedelta(days=10),
                  deadline_in=timedelta(days=5), hours: int = 3, programme=None,
                  description: str = "Bring gloves.") -> Campaign:
    """A campaign at the Prado beach with one slot; its deadline is its start when
    ``deadline_in`` is not before ``starts_in``."""
    start = timezone.now() + starts_in
    campaign = CampaignFactory(
        programme=programme or ProgrammeFactory(), description=description,
        place="Plage du Prado", starts_at=start, hours=hours, participant_target=target,
        mobilisation_deadline=timezone.now() + deadline_in if deadline_in < starts_in
        else start, status=status, visibility=visibility)
    SlotFactory(campaign=campaign, capacity=capacity)
    return campaign


def make_campaign_with_slot(programme: Programme, *, days: int, hours: int,
                            status: str = Campaign.Status.COMPLETED) -> tuple[Campaign, Slot]:
    """A campaign starting ``days`` from now (negative: over), its deadline the day before,
    with one slot of 50 places."""
    start = timezone.now() + timedelta(days=days)
    slot = SlotFactory(capacity=50, campaign=CampaignFactory(
        programme=programme, title=f"Action {days}", starts_at=start, hours=hours,
        mobilisation_deadline=start - timedelta(days=1), status=status))
    return slot.campaign, slot


def make_pledge(slot: Slot, participant: Participant, *, hours: int = 0, **fields) -> Pledge:
    """A pledge (confirmed unless ``status`` says otherwise) of ``hours`` hours given."""
    return PledgeFactory(slot=slot, participant=participant, hours_given=Decimal(hours),
                         **fields)
