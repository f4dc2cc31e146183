"""An organiser moves a time slot: its people's calendars follow.

Moving a slot raises its ``sequence`` (the iCalendar SEQUENCE of its pledges' events) and
sends every confirmed person an update carrying the new REQUEST, which calendars apply to
the event they already hold (same UID, higher SEQUENCE). A person holding an offered place
is told the new time with their offer, whose time limit is set again against the new start
by the waiting list's rule (``waitlist.offer_expiry``; too close to the start, the place
is given at once). The reminders that fall due again at the new time are forgotten so that
they are sent then.

The slot may not start before the campaign's mobilisation deadline (people are still
joining until then). The campaign's own times follow its slots: they become the span from
its first slot's start to its last slot's end, so moving the only slot of an action by two
hours moves the action, and its page says so.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Max, Min
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.tenancy import enqueue_on_commit

from .. import links
from ..models import Campaign, EmailKind, Pledge, Slot
from .message_schedule import _invitation, _pledge_with_context, _queue_pledge_message
from .message_texts import CampaignFacts
from .reminders import reminders_reset_for_moved_slot
from .waitlist import offer_expiry
from .waitlist_notices import seat_offer_queue


def slot_move(*, slot: Slot, starts_at: datetime, ends_at: datetime) -> Slot:
    """Give a slot new times, not before its campaign's mobilisation deadline (the
    campaign's times become the span of its slots); its confirmed people are sent the
    updated calendar invitation, those holding an offered place the new time with their
    offer, its time limit set again."""
    errors: dict[str, list[str]] = {}
    if ends_at <= starts_at:
        errors["ends_at"] = [_("The end must be after the start.")]
    now = timezone.now()
    if starts_at <= now:
        errors["starts_at"] = [_("Choose a start in the future.")]
    if errors:
        raise DomainError(errors)
    with transaction.atomic():
        # The campaign first, as ``campaign_postpone`` takes them: no deadlock between them.
        campaign = Campaign.objects.select_for_update().get(pk=slot.campaign_id)
        slot = Slot.objects.select_for_update().get(pk=slot.pk)
        slot.campaign = campaign
        if slot.campaign.status not in (Campaign.Status.DRAFT, Campaign.Status.OPEN,
                                        Campaign.Status.SUCCEEDED):
            raise DomainError({"slot": [_("This action is over: its time slots can no "
                                          "longer be moved.")]})
        if slot.starts_at <= now:
            raise DomainError({"slot": [_("This time slot has begun: it can no longer be "
                                          "moved.")]})
        if starts_at < campaign.mobilisation_deadline:
            deadline = formats.date_format(timezone.localtime(campaign.mobilisation_deadline),
                                           "DATETIME_FORMAT")
            raise DomainError({"starts_at": [_(
                "Choose a start after the mobilisation deadline (%(deadline)s).") % {
                "deadline": deadline}]})
        if (starts_at, ends_at) == (slot.starts_at, slot.ends_at):
            return slot
        slot.starts_at, slot.ends_at = starts_at, ends_at
        slot.sequence += 1
        slot.save(update_fields=["starts_at", "ends_at", "sequence"])
        _campaign_span_follow(campaign)
        reminders_reset_for_moved_slot(slot=slot, now=now)
        for pledge_id in slot.pledges.filter(status=Pledge.Status.CONFIRMED).values_list(
                "pk", flat=True):
            _notify(pledge_id)
        _offers_move(slot, now=now)
    return slot


def _notify(pledge_id: int, name: str = "notify_slot_moved") -> None:
    # By the task's registered name: the tasks module imports the services.
    enqueue_on_commit("engagement.tasks.notify_about_pledge", name, pledge_id)


def _campaign_span_follow(campaign: Campaign) -> None:
    span = Slot.objects.filter(campaign=campaign).aggregate(start=Min("starts_at"),
                                                            end=Max("ends_at"))
    if (span["start"], span["end"]) != (campaign.starts_at, campaign.ends_at):
        campaign.starts_at, campaign.ends_at = span["start"], span["end"]
        campaign.save(update_fields=["starts_at", "ends_at"])


def _offers_move(slot: Slot, *, now: datetime) -> None:
    """The offered places of a moved slot: their time limit by the waiting list's rule
    against the new start; too close to it, the place is given at once."""
    expires = offer_expiry(starts_at=slot.starts_at, now=now)
    for pledge in slot.pledges.select_for_update().filter(status=Pledge.Status.OFFERED):
        if expires is None:
            pledge.status, pledge.confirmed_at = Pledge.Status.CONFIRMED, now
            pledge.offer_expires_at = None
            pledge.save(update_fields=["status", "confirmed_at", "offer_expires_at"])
            _notify(pledge.pk, "notify_promoted")
        else:
            pledge.offer_expires_at = expires
            pledge.save(update_fields=["offer_expires_at"])
            _notify(pledge.pk)


def slot_moved_notify(*, pledge_id: int) -> None:
    """The update to one confirmed person: the new date and the REQUEST with the slot's
    new SEQUENCE; to one holding an offered place: the new date with the offer and its
    new time limit (once per pledge and sequence)."""
    pledge = _pledge_with_context(pledge_id)
    if pledge is not None and pledge.status == Pledge.Status.OFFERED:
        seat_offer_queue(pledge, sequence=pledge.slot.sequence)
        return
    if pledge is None or pledge.status != Pledge.Status.CONFIRMED:
        return
    _queue_pledge_message(EmailKind.SLOT_MOVED, pledge, CampaignFacts(pledge.slot.campaign),
                          link=lambda: links.manage_url(pledge.participant),
                          sequence=pledge.slot.sequence, calendar=_invitation(pledge))
