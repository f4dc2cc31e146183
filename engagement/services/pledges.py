"""Crowdtiming pledges: capacity enforced by the database, waiting list, promotion."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.tenancy import enqueue_on_commit

from ..models import Campaign, Invitation, Participant, Pledge, Slot
from .activity import participant_touch
from .directory import campaign_directory_count_on_commit
from .quota import participant_quota_claim
from .rows import insert_sql, mark_saved
from .waitlist import seats_free_up

MAX_COMPANIONS = 20
# Takes the seats if they are free; a row returned when it did (parameters: seats, slot,
# seats).
SEATS_TAKE = ("UPDATE engagement_slot SET confirmed_seats = confirmed_seats + %s "
              "WHERE id = %s AND confirmed_seats + %s <= capacity RETURNING id")
# A confirmed person cancelling less than this before their slot: the organisers are told.
LATE_CANCELLATION = timedelta(hours=48)


def pledge_create(*, slot: Slot, participant: Participant, companions: int = 0,
                  companion_names: str = "", invitation: Invitation | None = None,
                  participant_new: bool = False) -> Pledge:
    """Pledge time to a slot: confirmed while seats remain, otherwise on the waiting list.

    The seat count moves in one conditional UPDATE (``… WHERE confirmed_seats + n <=
    capacity``): PostgreSQL serialises concurrent pledges on the slot row and re-checks the
    condition for each, and a CHECK constraint backs it, so a slot is never over-filled,
    however many people pledge at once.

    The UPDATE and the pledge's INSERT are one statement (the UPDATE in a ``WITH``, the
    pledge confirmed when it took the seats): the slot row, locked by the UPDATE until the
    commit, is the one every sign-up to this slot waits for, so nothing else is done while
    it is held. ``invitation`` is the link the person came through (the snowball);
    ``participant_new`` says the participant was created in this transaction (no pledge
    yet, and their last action is now already).
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
    now = timezone.now()
    pledge = Pledge(slot=slot, participant=participant, invitation=invitation,
                    companions=companions, companion_names=companion_names.strip()[:300],
                    status=Pledge.Status.CONFIRMED, created_at=now, confirmed_at=now)
    taken = "EXISTS (SELECT FROM seat)"
    insert, params = insert_sql(pledge, overrides={
        "status": (f"CASE WHEN {taken} THEN %s ELSE %s END",
                   [Pledge.Status.CONFIRMED, Pledge.Status.WAITLISTED]),
        "confirmed_at": (f"CASE WHEN {taken} THEN %s::timestamptz END", [now])})
    try:
        # A new participant holds no pledge: no savepoint is needed to tell "already
        # pledged" from other errors.
        with transaction.atomic(savepoint=not participant_new):
            # The plan's participants quota (services.quota), under its lock until commit;
            # lock order: the quota's lock, then the slot row.
            participant_quota_claim(participant_id=participant.pk)
            if not participant_new:
                participant_touch(participant_id=participant.pk, now=now)
            # The model's columns, values as parameters (services.rows).
            statement = f"WITH seat AS ({SEATS_TAKE}) {insert} RETURNING id, status"  # noqa: S608
            with connection.cursor() as cursor:
                cursor.execute(statement, [seats, slot.pk, seats, *params])
                pledge_id, pledge.status = cursor.fetchone()
    except IntegrityError as exc:
        # The partial unique index: this participant already holds a live pledge here.
        raise DomainError({"slot": [_("You have already pledged to this time slot.")]}) from exc
    mark_saved(pledge, pledge_id)
    confirmed = pledge.status == Pledge.Status.CONFIRMED
    if not confirmed:
        pledge.confirmed_at = None
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
