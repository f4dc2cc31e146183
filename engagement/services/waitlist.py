"""The waiting list: each person's position, and what a freed place becomes.

A campaign chooses (``Campaign.freed_seats``) between **offering** a freed place to the
next person on the waiting list, who confirms it through their signed link within a time
limit, and **promoting** them at once (what every campaign did before the choice existed).

An offer holds its places: the pledge's status becomes ``offered`` and its seats are counted
in the slot's ``confirmed_seats``, so nobody else can take them (the slot's CHECK
constraint still holds) until the person confirms (the pledge is confirmed, nothing moves)
or the offer lapses (the pledge is cancelled, the places go to the next person).

**Time limit**: ``OFFER_TIME`` (24 hours), but never more than half the time left before
the slot starts, and at least ``OFFER_MIN``; with less than ``PROMOTE_WITHIN`` left there
is no time for a round trip by e-mail, and the place is given at once.

**Races.** Every change locks the slot row first, then the pledge (the lock order of
``pledge_create`` and ``pledge_cancel``), and the decisive write is conditional: a
confirmation updates the row only ``WHERE status = 'offered' AND offer_expires_at > now``,
a lapse only ``WHERE status = 'offered' AND offer_expires_at <= now``. Two confirmations:
the second finds the pledge confirmed and answers as the first did. A confirmation and the
lapse at the same moment: whichever takes the slot's lock first decides, and the other
finds nothing to do.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.tenancy import enqueue_on_commit

from ..models import Campaign, Pledge, Slot

OFFER_TIME = timedelta(hours=24)
OFFER_MIN = timedelta(hours=1)
PROMOTE_WITHIN = timedelta(hours=2)
TAKING_PLACE = (Campaign.Status.OPEN, Campaign.Status.SUCCEEDED)


def _notify_on_commit(name: str, pledge_id: int) -> None:
    # By the task's registered name: the tasks module imports the services.
    enqueue_on_commit("engagement.tasks.notify_about_pledge", name, pledge_id)


def offer_expiry(*, starts_at: datetime, now: datetime) -> datetime | None:
    """When an offer made ``now`` lapses; None when the slot is too close for an offer
    (the place is given at once)."""
    left = starts_at - now
    if left < PROMOTE_WITHIN:
        return None
    return now + max(OFFER_MIN, min(OFFER_TIME, left / 2))


def seats_free_up(*, slot: Slot, campaign: Campaign, now: datetime,
                  passed_over: Iterable[int] = ()) -> list[Pledge]:
    """Give the slot's free places to the waiting list in order (a party too large for the
    places left is passed over, not the whole queue): offered or confirmed, as the campaign
    chose. The caller holds the slot's lock and saves ``slot.confirmed_seats``. Returns
    the pledges that moved."""
    if campaign.status not in TAKING_PLACE or slot.starts_at <= now:
        return []
    expires = (offer_expiry(starts_at=slot.starts_at, now=now)
               if campaign.freed_seats == Campaign.FreedSeats.OFFER else None)
    moved: list[Pledge] = []
    waiting = (slot.pledges.select_for_update().filter(status=Pledge.Status.WAITLISTED)
               .exclude(pk__in=list(passed_over)).order_by("created_at", "id"))
    for candidate in waiting:
        if slot.confirmed_seats + candidate.seats > slot.capacity:
            continue
        slot.confirmed_seats += candidate.seats
        if expires is None:
            candidate.status, candidate.confirmed_at = Pledge.Status.CONFIRMED, now
            candidate.save(update_fields=["status", "confirmed_at"])
            _notify_on_commit("notify_promoted", candidate.pk)
        else:
            candidate.status, candidate.offer_expires_at = Pledge.Status.OFFERED, expires
            candidate.save(update_fields=["status", "offer_expires_at"])
            _notify_on_commit("notify_offered", candidate.pk)
        moved.append(candidate)
    return moved


def pledge_offer_accept(*, pledge: Pledge) -> Pledge:
    """The person takes the place offered to them (from their signed page). Accepting
    twice answers the same; a lapsed offer is refused."""
    now = timezone.now()
    with transaction.atomic():
        Slot.objects.select_for_update().get(pk=pledge.slot_id)  # lock order: slot first
        # Only a live offer, for an action still taking place that has not begun.
        taken = Pledge.objects.filter(
            pk=pledge.pk, status=Pledge.Status.OFFERED, offer_expires_at__gt=now,
            slot__starts_at__gt=now, slot__campaign__status__in=TAKING_PLACE,
        ).update(status=Pledge.Status.CONFIRMED, confirmed_at=now, offer_expires_at=None)
        pledge = Pledge.objects.select_related("slot__campaign").get(pk=pledge.pk)
        if not taken and pledge.status != Pledge.Status.CONFIRMED:
            raise DomainError({"pledge": [_(
                "This offer has lapsed: the place went to the next person on the waiting "
                "list.")]})
        if taken:
            _notify_on_commit("notify_promoted", pledge.pk)
    return pledge


def offers_expire(*, now: datetime) -> int:
    """Lapse the offers past their time limit, each place going to the next person (the
    schedule runs this); returns how many lapsed."""
    lapsed = 0
    due = (Pledge.objects.filter(status=Pledge.Status.OFFERED, offer_expires_at__lte=now)
           .values_list("pk", "slot_id"))
    for pledge_id, slot_id in list(due):
        with transaction.atomic():
            slot = Slot.objects.select_for_update().select_related("campaign").get(pk=slot_id)
            pledge = Pledge.objects.select_for_update().get(pk=pledge_id)
            if not Pledge.objects.filter(
                    pk=pledge_id, status=Pledge.Status.OFFERED, offer_expires_at__lte=now,
            ).update(status=Pledge.Status.CANCELLED, cancelled_at=now, offer_expires_at=None):
                continue  # confirmed (or cancelled) meanwhile
            slot.confirmed_seats -= pledge.seats
            seats_free_up(slot=slot, campaign=slot.campaign, now=now, passed_over=[pledge_id])
            slot.save(update_fields=["confirmed_seats"])
            _notify_on_commit("notify_offer_lapsed", pledge_id)
            lapsed += 1
    return lapsed


def waitlist_positions(pledges: Iterable[Pledge]) -> dict[int, int]:
    """Each waiting pledge's place in its slot's queue (1 is next), in one query."""
    slot_ids = {p.slot_id for p in pledges if p.status == Pledge.Status.WAITLISTED}
    if not slot_ids:
        return {}
    ranked = (Pledge.objects.filter(slot_id__in=slot_ids, status=Pledge.Status.WAITLISTED)
              .annotate(position=Window(RowNumber(), partition_by=[F("slot_id")],
                                        order_by=[F("created_at").asc(), F("id").asc()]))
              .values_list("pk", "position"))
    return dict(ranked)
