"""An organiser moves a time slot: the people holding an offered place are told with their
offer, whose time limit is set again against the new start; the new times are checked
against the mobilisation deadline, and the campaign's times follow its slots."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation
from django_tenants.utils import tenant_context

from core.errors import DomainError
from engagement.models import OutboundEmail, Pledge
from engagement.services import campaign_join, pledge_cancel
from engagement.services.slot_changes import slot_move
from engagement.services.waitlist import OFFER_TIME
from engagement.services.waitlist_notices import offer_url

from ..factories import make_campaign


def offered_place(capture, *, starts_in=timedelta(days=10)):
    """A one-place slot: Léa confirmed, then cancelled; Sam, waiting, is offered it."""
    campaign = make_campaign(capacity=1, starts_in=starts_in, deadline_in=timedelta(hours=1))
    slot = campaign.slots.get()
    with capture(execute=True):
        [lea] = campaign_join(campaign=campaign, email="lea@example.test", slot_ids=[slot.pk])
        [sam] = campaign_join(campaign=campaign, email="sam@example.test", slot_ids=[slot.pk])
        pledge_cancel(pledge=lea)
    sam.refresh_from_db()
    assert sam.status == Pledge.Status.OFFERED
    return campaign, slot, sam


@pytest.mark.django_db
def test_an_offered_place_is_told_the_new_time_with_a_new_time_limit(
        org_a, eager, django_capture_on_commit_callbacks):
    with tenant_context(org_a):
        campaign, slot, sam = offered_place(django_capture_on_commit_callbacks,
                                            starts_in=timedelta(hours=30))
        first_limit = sam.offer_expires_at
        # Moved ten hours earlier: 20 hours left, so half of them to confirm.
        before = timezone.now()
        with django_capture_on_commit_callbacks(execute=True):
            slot_move(slot=slot, starts_at=slot.starts_at - timedelta(hours=10),
                      ends_at=slot.ends_at - timedelta(hours=10))
        after = timezone.now()
        sam.refresh_from_db()
        slot.refresh_from_db()
        assert sam.status == Pledge.Status.OFFERED
        assert sam.offer_expires_at != first_limit
        assert before + (slot.starts_at - after) / 2 <= sam.offer_expires_at
        assert sam.offer_expires_at <= after + (slot.starts_at - before) / 2
        assert sam.offer_expires_at < before + OFFER_TIME
        [first, moved] = OutboundEmail.objects.filter(
            kind="seat_offered", participant=sam.participant).order_by("pk")
        assert moved.subject == f"New time for the place offered to you: {campaign.title}"
        assert "have moved the time slot of the place offered to you" in moved.body
        assert offer_url(sam) in moved.body
        assert not OutboundEmail.objects.filter(kind="slot_moved").exists()  # Léa left


@pytest.mark.django_db
def test_an_offered_place_moved_close_to_its_start_is_given_at_once(
        org_a, eager, django_capture_on_commit_callbacks):
    with tenant_context(org_a):
        _campaign, slot, sam = offered_place(django_capture_on_commit_callbacks,
                                             starts_in=timedelta(hours=30))
        soon = timezone.now() + timedelta(minutes=90)
        with django_capture_on_commit_callbacks(execute=True):
            slot_move(slot=slot, starts_at=soon, ends_at=soon + timedelta(hours=2))
        sam.refresh_from_db()
        assert (sam.status, sam.offer_expires_at) == (Pledge.Status.CONFIRMED, None)
        assert OutboundEmail.objects.filter(kind="pledge_promoted",
                                            participant=sam.participant).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "words"), [
    ("en", "Choose a start after the mobilisation deadline"),
    ("fr", "Choisissez un début après la date limite de mobilisation"),
])
def test_a_slot_may_not_start_before_the_mobilisation_deadline(org_a, lang, words):
    with tenant_context(org_a):
        campaign = make_campaign(starts_in=timedelta(days=10), deadline_in=timedelta(days=5))
        slot = campaign.slots.get()
        early = campaign.mobilisation_deadline - timedelta(hours=1)
        with translation.override(lang), pytest.raises(DomainError) as refused:
            slot_move(slot=slot, starts_at=early, ends_at=early + timedelta(hours=2))
        assert list(refused.value.errors) == ["starts_at"]
        assert words in refused.value.errors["starts_at"][0]
        with pytest.raises(DomainError) as backwards:
            slot_move(slot=slot, starts_at=slot.ends_at, ends_at=slot.starts_at)
        assert "ends_at" in backwards.value.errors
        slot.refresh_from_db()
        assert slot.sequence == 0


@pytest.mark.django_db
def test_the_campaigns_times_follow_its_slots(org_a):
    with tenant_context(org_a):
        campaign = make_campaign(starts_in=timedelta(days=10))
        slot = campaign.slots.get()
        later = slot.starts_at + timedelta(hours=2)
        slot_move(slot=slot, starts_at=later, ends_at=later + timedelta(hours=3))
        campaign.refresh_from_db()
        assert (campaign.starts_at, campaign.ends_at) == (later, later + timedelta(hours=3))
