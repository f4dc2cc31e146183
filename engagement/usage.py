"""What engagement tells billing: each organisation's active participants of the month,
counted in its schema and handed to billing's usage report (billing.services.usage_report),
which bills those beyond the plan's quota. Billing sits below engagement and never counts
engagement's rows itself.

The worker imports this module through CELERY_IMPORTS (config/settings/celery.py)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from celery import shared_task
from django.utils import timezone
from django_tenants.utils import schema_context

from billing.codes import Option
from billing.entitlements import entitlements_for
from billing.services import usage_report
from core.tenancy import current_organisation, for_each_ready_organisation
from core.zones import organisation_zone

from .models import Participant


def month_start(day: date | None = None) -> datetime:
    """Midnight on the first of ``day``'s month (default: this month) in the current
    organisation's time zone: an aware instant, so the counts compare ``created_at`` with
    it as stored and PostgreSQL uses the column's index (a ``__date`` lookup converts
    every row first)."""
    zone = ZoneInfo(organisation_zone(current_organisation()))
    day = day or timezone.localdate(timezone=zone)
    return datetime.combine(day.replace(day=1), time.min, tzinfo=zone)


def active_participants_count(*, day: date) -> int:
    """People with a pledge made since the first of ``day``'s month, in this schema."""
    return Participant.objects.filter(pledges__created_at__gte=month_start(day)
                                      ).distinct().count()


@shared_task
def report_usage_for_all_organisations() -> int:
    """Daily: count each organisation's active participants in its schema, report them."""
    return for_each_ready_organisation(
        report_usage,
        where=lambda organisation: Option.EXTRA_PARTICIPANTS
        in entitlements_for(organisation).options)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def report_usage() -> None:
    organisation = current_organisation()
    today = timezone.localdate(timezone=ZoneInfo(organisation_zone(organisation)))
    active = active_participants_count(day=today)
    with schema_context("public"):
        usage_report(organisation=organisation, active_participants=active, day=today)
