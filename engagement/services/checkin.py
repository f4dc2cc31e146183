"""Check-in on the day: hours given are recorded per pledge."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.services import DomainError

from ..models import Campaign, Pledge

# Check-in opens this long before a slot starts and stays open this long after it ends.
EARLY = timedelta(hours=2)
LATE = timedelta(hours=12)


def pledge_check_in(*, pledge: Pledge, by_user=None, hours: Decimal | None = None,
                    now=None) -> Pledge:
    """Mark a confirmed pledge as attended and record its hours (the slot's length for the
    participant and each companion, unless an organiser gives another figure)."""
    now = now or timezone.now()
    with transaction.atomic():
        pledge = Pledge.objects.select_for_update().select_related("slot__campaign").get(
            pk=pledge.pk)
        slot = pledge.slot
        errors: dict[str, list[str]] = {}
        if pledge.status != Pledge.Status.CONFIRMED:
            errors["pledge"] = [_("Only a confirmed pledge can be checked in.")]
        elif slot.campaign.status not in (Campaign.Status.SUCCEEDED, Campaign.Status.OPEN,
                                          Campaign.Status.COMPLETED):
            errors["pledge"] = [_("This campaign is not taking place.")]
        elif by_user is None and not (slot.starts_at - EARLY <= now <= slot.ends_at + LATE):
            errors["pledge"] = [_("Check-in opens two hours before your time slot.")]
        if hours is not None and (hours < 0 or hours > 24 * pledge.seats):
            errors["hours"] = [_("Enter the hours given, between 0 and 24 per person.")]
        if errors:
            raise DomainError(errors)
        pledge.attendance = Pledge.Attendance.ATTENDED
        pledge.checked_in_at = pledge.checked_in_at or now
        pledge.checked_in_by = by_user or pledge.checked_in_by
        pledge.hours_given = (hours if hours is not None else (
            Decimal(str(slot.hours)) * pledge.seats)).quantize(Decimal("0.01"))
        pledge.save(update_fields=["attendance", "checked_in_at", "checked_in_by",
                                   "hours_given"])
    return pledge


def pledge_mark_no_show(*, pledge: Pledge) -> Pledge:
    if pledge.status != Pledge.Status.CONFIRMED:
        raise DomainError({"pledge": [_("Only a confirmed pledge can be marked.")]})
    pledge.attendance = Pledge.Attendance.NO_SHOW
    pledge.hours_given = Decimal(0)
    pledge.save(update_fields=["attendance", "hours_given"])
    return pledge


def pledge_undo_no_show(*, pledge: Pledge) -> Pledge:
    """A no-show marked by mistake (or the person arrived late): back to "not yet", so that
    an organiser can check them in."""
    with transaction.atomic():
        pledge = Pledge.objects.select_for_update().get(pk=pledge.pk)
        if pledge.attendance != Pledge.Attendance.NO_SHOW:
            raise DomainError({"pledge": [_("Only a no-show can be undone.")]})
        pledge.attendance = Pledge.Attendance.PENDING
        pledge.hours_given = Decimal(0)
        pledge.save(update_fields=["attendance", "hours_given"])
    return pledge
