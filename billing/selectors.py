"""Reads of billing that pages share."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import groupby

from django.utils import timezone

from tenants.models import Organisation

from .models import ConsultantTime, Quote
from .services.consultant_time import pack_allocation, pack_minutes_per_month


@dataclass(frozen=True)
class StatementEntry:
    entry: ConsultantTime
    pack_minutes: int

    @property
    def beyond_minutes(self) -> int:
        return self.entry.minutes - self.pack_minutes


@dataclass(frozen=True)
class StatementMonth:
    month: date
    included_minutes: int
    entries: list[StatementEntry] = field(default_factory=list)

    @property
    def logged_minutes(self) -> int:
        return sum(row.entry.minutes for row in self.entries)

    @property
    def covered_minutes(self) -> int:
        return sum(row.pack_minutes for row in self.entries)

    @property
    def left_minutes(self) -> int:
        return max(0, self.included_minutes - self.covered_minutes)

    @property
    def beyond_minutes(self) -> int:
        return self.logged_minutes - self.covered_minutes


def accompaniment_statement(*, organisation: Organisation, months: int = 12
                            ) -> list[StatementMonth]:
    """The accompaniment hours of the last ``months`` months, newest first: included by
    the pack, logged by consultants (who, when, what), covered, left and beyond: the
    current month while the pack is held, and every month with time logged. A past
    month's included hours are those its bill covered."""
    allowance = pack_minutes_per_month(organisation)
    today = timezone.localdate()
    first = _months_back(today.replace(day=1), months - 1)
    rows = (ConsultantTime.objects.filter(organisation=organisation, worked_on__gte=first)
            .select_related("consultant").order_by("worked_on", "pk"))
    by_month = {month: list(entries) for month, entries in
                groupby(rows, key=lambda row: row.worked_on.replace(day=1))}
    statement = []
    for month in _months(first, today.replace(day=1)):
        entries = by_month.get(month, [])
        # The current month always (what is left now); past ones when time was logged.
        if not entries and (month != today.replace(day=1) or not allowance):
            continue
        # The pack held today counts for this month only: a past month shows what its
        # bill covered (entries' pack_minutes), whether the pack was held then or not,
        # never today's allowance.
        billed_pack = sum(e.pack_minutes for e in entries if e.billed_at)
        included = max(allowance, billed_pack) if month == today.replace(day=1) \
            else billed_pack
        covered = pack_allocation(entries, included)
        statement.append(StatementMonth(
            month=month, included_minutes=included,
            entries=[StatementEntry(entry=e, pack_minutes=covered[e.pk]) for e in entries]))
    return statement[::-1]


def quotes_of(organisation: Organisation) -> list[Quote]:
    return list(Quote.objects.filter(organisation=organisation).order_by("-created_at")[:10])


def _months_back(month: date, count: int) -> date:
    for _ in range(count):
        month = (month - timedelta(days=1)).replace(day=1)
    return month


def _months(first: date, last: date) -> Iterator[date]:
    month = first
    while month <= last:
        yield month
        month = (month + timedelta(days=32)).replace(day=1)
