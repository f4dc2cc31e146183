"""Crowdtiming pledges: capacity enforced by the database, waiting list, promotion."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.tenancy import enqueue_on_commit

from ..models import Campaign, Participant, Pledge, Slot
from .activity import participant_touch
from .directory import campaign_directory_count_on_commit
from .quota import participant_quota_claim
from .waitlist import seats_free_up

MAX_COMPANIONS = 20
# A confirmed person cancelling less than this before their slot: the organisers are told.
LATE_CANCELLATION = timedelta(hours=48)


def pledge_create(*, slot: Slot, participant: Participant, companions: int = 0,
                  companion_names: str = "") -> Pledge:
    """Pledge time to a slot: confirmed while seats remain, otherwise on the waiting list.

    The seat count moves in one conditional UPDATE (``… WHERE confirmed_seats + n <=
    capacity``): PostgreSQL serialises concurrent pledges on the slot row and re-checks the
    condition for each, and a CHECK constraint backs it, so a slot is never over-filled,
    however many people pledge at once.
    """
    errors: dict[str, list[str]] = {}
    campaign = slot.campaign
    if campaign.status != Campaign.Status.OPEN:
        errors["slot"] = [_("This campaign is not open for pledges.")]
    elif timezone.now() >= campaign.mobilisation_deadline:
        errors["slot"] = [_("The mobilisation deadline has passed.")]
    if not 0 <= companions <= MAX_COMPANIONS:
        errors["companions"] = [_("Bring between 0 and %(max)s companions.") % {
            "max": MAX_COMPANIONS}]
    if errors:
        raise DomainError(errors)
    seats = 1 + companions
    try:
        with transaction.atomic():
            # The plan's participants quota (services.quota), under its lock until commit;
            # lock order: the quota's lock, then the slot row.
            participant_quota_claim(participant_id=participant.pk)
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE engagement_slot SET confirmed_seats = confirmed_seats + %s "
                    "WHERE id = %s AND confirmed_seats + %s <= capacity RETURNING id",
                    [seats, slot.pk, seats])
                confirmed = cursor.fetchone() is not None
            now = timezone.now()
            pledge = Pledge.objects.create(
                slot=slot, participant=participant, companions=companions,
                companion_names=companion_names.strip()[:300],
                status=Pledge.Status.CONFIRMED if confirmed else Pledge.Status.WAITLISTED,
                created_at=now, confirmed_at=now if confirmed else None)
    except IntegrityError as exc:
        # The partial unique index: this participant already holds a live pledge here.
        raise DomainError({"slot": [_("You have already pledged to this time slot.")]}) from exc
    participant_touch(participant_id=participant.pk, now=now)
    _notify_on_commit("notify_pledge", pledge.pk)
    if confirmed:  # the campaign's count moved
        campaign_directory_count_on_commit(campaign)
    return pledge


def _notify_on_commit(name: str, pledge_id: int) -> None:
    """The participant is told after the commit, by a worker (tasks.notify_about_pledge),
    in the schema of the transaction that made the pledge: the request does not wait for
    the e-mail to be composed."""
    # By the task's registered name: the tasks module imports the services.
    enqueue_on_commit("engagement.tasks.notify_about_pledge", name, pledge_id)


def pledge_cancel(*, pledge: Pledge) -> list[Pledge]:
    """Cancel a pledge (a confirmed one, or a place offered to it); its places go to the
    waiting list in order, offered or given at once as the campaign chose
    (``services.waitlist``). Returns the pledges promoted (confirmed at once).

    A confirmed person is sent the calendar cancellation; the organisers are alerted of a
    cancellation less than ``LATE_CANCELLATION`` before the slot."""
    promoted: list[Pledge] = []
    with transaction.atomic():
        # Lock order: slot, then pledges (as pledge_create's UPDATE does), so concurrent
        # cancellations and pledges on one slot cannot deadlock.
        slot = Slot.objects.select_for_update().get(pk=pledge.slot_id)
        pledge = Pledge.objects.select_for_update().get(pk=pledge.pk)
        if pledge.status == Pledge.Status.CANCELLED:
            return promoted
        # The action is over: its record stays as it was, and nobody on the waiting list
        # of a past event is promoted or e-mailed.
        if Campaign.objects.filter(pk=slot.campaign_id, status__in=(
                Campaign.Status.COMPLETED, Campaign.Status.FAILED)).exists():
            raise DomainError({"pledge": [_("This action is over: its pledges can no "
                                            "longer be cancelled.")]})
        was_confirmed = pledge.status == Pledge.Status.CONFIRMED
        if pledge.status in (Pledge.Status.CONFIRMED, Pledge.Status.OFFERED):
            slot.confirmed_seats -= pledge.seats  # an offer holds its places too
        now = timezone.now()
        pledge.status, pledge.cancelled_at = Pledge.Status.CANCELLED, now
        pledge.offer_expires_at = None
        pledge.save(update_fields=["status", "cancelled_at", "offer_expires_at"])
        campaign = Campaign.objects.get(pk=slot.campaign_id)
        promoted = [moved for moved in seats_free_up(slot=slot, campaign=campaign, now=now)
                    if moved.status == Pledge.Status.CONFIRMED]
        slot.save(update_fields=["confirmed_seats"])
        if was_confirmed or promoted:  # the campaign's count moved
            campaign_directory_count_on_commit(campaign)
        if was_confirmed:
            _notify_on_commit("notify_cancelled", pledge.pk)
            if now < slot.starts_at < now + LATE_CANCELLATION:
                _notify_on_commit("alert_late_cancellation", pledge.pk)
    return promoted
