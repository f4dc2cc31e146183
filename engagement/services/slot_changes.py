"""An organiser moves a time slot: its people's calendars follow.

Moving a slot raises its ``sequence`` (the iCalendar SEQUENCE of its pledges' events) and
sends every confirmed person an update carrying the new REQUEST, which calendars apply to
the event they already hold (same UID, higher SEQUENCE). The reminders that fall due again
at the new time are forgotten so that they are sent then.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.tenancy import enqueue_on_commit

from .. import links
from ..models import Campaign, EmailKind, Pledge, Slot
from .message_schedule import _invitation, _pledge_with_context, _queue_pledge_message
from .message_texts import CampaignFacts
from .reminders import reminders_reset_for_moved_slot


def slot_move(*, slot: Slot, starts_at: datetime, ends_at: datetime) -> Slot:
    """Give a slot new times (within its campaign's action); its confirmed people are sent
    the updated calendar invitation."""
    errors: dict[str, list[str]] = {}
    if ends_at <= starts_at:
        errors["ends_at"] = [_("The end must be after the start.")]
    now = timezone.now()
    if starts_at <= now:
        errors["starts_at"] = [_("Choose a start in the future.")]
    if errors:
        raise DomainError(errors)
    with transaction.atomic():
        slot = Slot.objects.select_for_update().select_related("campaign").get(pk=slot.pk)
        if slot.campaign.status not in (Campaign.Status.DRAFT, Campaign.Status.OPEN,
                                        Campaign.Status.SUCCEEDED):
            raise DomainError({"slot": [_("This action is over: its time slots can no "
                                          "longer be moved.")]})
        if slot.starts_at <= now:
            raise DomainError({"slot": [_("This time slot has begun: it can no longer be "
                                          "moved.")]})
        if (starts_at, ends_at) == (slot.starts_at, slot.ends_at):
            return slot
        slot.starts_at, slot.ends_at = starts_at, ends_at
        slot.sequence += 1
        slot.save(update_fields=["starts_at", "ends_at", "sequence"])
        reminders_reset_for_moved_slot(slot=slot, now=now)
        for pledge_id in slot.pledges.filter(status=Pledge.Status.CONFIRMED).values_list(
                "pk", flat=True):
            # By the task's registered name: the tasks module imports the services.
            enqueue_on_commit("engagement.tasks.notify_about_pledge", "notify_slot_moved",
                              pledge_id)
    return slot


def slot_moved_notify(*, pledge_id: int) -> None:
    """The update to one confirmed person: the new date and the REQUEST with the slot's
    new SEQUENCE (once per pledge and sequence)."""
    pledge = _pledge_with_context(pledge_id)
    if pledge is None or pledge.status != Pledge.Status.CONFIRMED:
        return
    _queue_pledge_message(EmailKind.SLOT_MOVED, pledge, CampaignFacts(pledge.slot.campaign),
                          link=lambda: links.manage_url(pledge.participant),
                          sequence=pledge.slot.sequence, calendar=_invitation(pledge))
