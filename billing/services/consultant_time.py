"""Consultants' accompaniment time: logged and corrected by the consultant, billed once as
Stripe invoice items at month end."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import stripe
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.errors import DomainError
from tenants.models import ConsultantAssignment, Organisation, User

from .. import stripe_api
from ..catalogue import options
from ..codes import Option
from ..entitlements import entitlements_for
from ..models import ConsultantTime
from .customers import customer_ensure, stripe_refusal

HOURLY_RATE_CENTS = 12000


def consultant_time_log(*, consultant: User, organisation: Organisation, worked_on: date,
                        minutes: int, description: str) -> ConsultantTime:

    errors: dict[str, list[str]] = {}
    _check_consultant_time(errors, consultant=consultant, organisation=organisation,
                           worked_on=worked_on, minutes=minutes, description=description)
    return ConsultantTime.objects.create(consultant=consultant, organisation=organisation,
                                         worked_on=worked_on, minutes=minutes,
                                         description=description.strip())


def _time_entry_for_change(*, entry_id: int, consultant: User) -> ConsultantTime:
    """The consultant's own entry, locked; one error for "not there" and "not yours".
    Billing locks the same row before it bills it, so a correction and the bill never
    cross: whichever comes second sees the other's result."""
    entry = ConsultantTime.objects.select_for_update().filter(
        pk=entry_id, consultant=consultant).select_related("organisation").first()
    if entry is None:
        raise ConsultantTime.DoesNotExist
    if entry.billed_at is not None:
        raise DomainError({"entry": [_(
            "This time was billed on %(date)s: it is on the client's invoice and can no "
            "longer be changed. Log a new entry to add time.") % {
                "date": date_format(timezone.localtime(entry.billed_at), "SHORT_DATE_FORMAT")}]})
    return entry


def consultant_time_update(*, entry_id: int, consultant: User, organisation: Organisation,
                           worked_on: date, minutes: int, description: str) -> ConsultantTime:
    """Correct an entry that is not billed yet."""

    with transaction.atomic():
        entry = _time_entry_for_change(entry_id=entry_id, consultant=consultant)
        errors: dict[str, list[str]] = {}
        _check_consultant_time(errors, consultant=consultant, organisation=organisation,
                               worked_on=worked_on, minutes=minutes, description=description)
        entry.organisation, entry.worked_on, entry.minutes = organisation, worked_on, minutes
        entry.description = description.strip()
        entry.save(update_fields=["organisation", "worked_on", "minutes", "description"])
    return entry


def consultant_time_delete(*, entry_id: int, consultant: User) -> None:
    """Delete an entry that is not billed yet."""
    with transaction.atomic():
        _time_entry_for_change(entry_id=entry_id, consultant=consultant).delete()


def pack_minutes_per_month(organisation: Organisation) -> int:
    """The consultant time a month of the accompaniment pack covers (0 without it)."""
    if Option.ACCOMPANIMENT_PACK not in entitlements_for(organisation).options:
        return 0
    return (options()[Option.ACCOMPANIMENT_PACK].hours_per_month or 0) * 60


def pack_allocation(entries: Iterable[ConsultantTime], allowance: int) -> dict[int, int]:
    """How the pack's minutes of one month cover its entries (``entries``: the month's,
    in the order worked): billed entries keep what they were billed with; the minutes left
    go to unbilled ones in order. The statement and the bill both divide a month so."""
    entries = list(entries)
    remaining = allowance - sum(entry.pack_minutes for entry in entries if entry.billed_at)
    covered: dict[int, int] = {}
    for entry in entries:
        if entry.billed_at:
            covered[entry.pk] = entry.pack_minutes
        else:
            covered[entry.pk] = max(0, min(entry.minutes, remaining))
            remaining -= covered[entry.pk]
    return covered


def pack_cover(*, organisation: Organisation, row: ConsultantTime) -> int:
    """How much of an unbilled entry the pack covers (see ``pack_allocation``)."""
    month = row.worked_on.replace(day=1)
    following = (month + timedelta(days=32)).replace(day=1)
    entries = ConsultantTime.objects.filter(
        organisation=organisation, worked_on__gte=month, worked_on__lt=following
    ).order_by("worked_on", "pk")
    return pack_allocation(entries, pack_minutes_per_month(organisation))[row.pk]


def consultant_time_bill(*, organisation: Organisation) -> list[ConsultantTime]:
    """Turn the organisation's unbilled time into invoice items, exactly once: each row's
    idempotency key makes a retry after a failure return the same item, and a row is
    marked billed in the same transaction that records the item's id.

    Time the accompaniment pack covers (its hours of the entry's month) is not invoiced:
    the entry is marked billed with those minutes in ``pack_minutes`` and only the rest,
    if any, becomes an invoice item."""
    billed: list[ConsultantTime] = []
    account = customer_ensure(organisation=organisation)
    assert account.stripe_customer_id is not None  # customer_ensure made it
    row: ConsultantTime | None
    for row in ConsultantTime.objects.filter(organisation=organisation, billed_at__isnull=True
                                             ).order_by("worked_on", "pk"):
        with transaction.atomic():
            # Deleted or billed since the list was read: nothing to bill.
            row = ConsultantTime.objects.select_for_update().filter(pk=row.pk).first()
            if row is None or row.billed_at is not None:
                continue
            row.pack_minutes = pack_cover(organisation=organisation, row=row)
            beyond = row.minutes - row.pack_minutes
            if beyond:
                try:
                    item = stripe_api.client().v1.invoice_items.create(
                        params={"customer": account.stripe_customer_id, "currency": "eur",
                                "amount": round(HOURLY_RATE_CENTS * beyond / 60),
                                "description": f"{row.worked_on:%d/%m/%Y} · {beyond} min · "
                                               f"{row.description}"[:250],
                                "metadata": {"consultant_time": str(row.pk)}},
                        options={"idempotency_key": f"consultant-time-{row.pk}"})
                except stripe.StripeError as exc:
                    raise stripe_refusal(exc) from exc
                row.stripe_invoice_item_id = item.id
            row.billed_at = timezone.now()
            row.save(update_fields=["stripe_invoice_item_id", "billed_at", "pack_minutes"])
            billed.append(row)
    return billed


def _check_consultant_time(errors: dict[str, list[str]], *, consultant: User,
                           organisation: Organisation, worked_on: date | None,
                           minutes: int | None, description: str | None) -> None:
    """The rules of a consultant time entry, for logging it and correcting it alike; raises
    ``DomainError`` with ``errors`` (which may already hold others) when one is broken."""
    if not consultant.is_consultant or not ConsultantAssignment.objects.filter(
            consultant=consultant, organisation=organisation).exists():
        errors["organisation"] = [_("You do not accompany this organisation.")]
    if not minutes or minutes <= 0 or minutes > 24 * 60:
        errors["minutes"] = [_("Enter between 1 and 1440 minutes.")]
    if not (description or "").strip():
        errors["description"] = [_("This field is required.")]
    if worked_on and worked_on > timezone.localdate():
        errors["worked_on"] = [_("Time cannot be logged in the future.")]
    if errors:
        raise DomainError(errors)
