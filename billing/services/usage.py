"""Usage-based billing: active participants beyond the plan's quota, reported to Stripe's
meter. Engagement counts the participants (engagement.usage) and calls this."""

from __future__ import annotations

from datetime import date

import stripe
from django.utils import timezone

from tenants.models import Organisation

from .. import stripe_api
from ..catalogue import options
from ..codes import Limit, Option
from ..entitlements import entitlements_for
from ..models import UsageReport
from .customers import customer_ensure


def usage_report(*, organisation: Organisation, active_participants: int,
                 day: date | None = None) -> UsageReport | None:
    """Report active participants beyond the plan's quota to Stripe's meter, once per
    organisation and day (the identifier makes a retry a no-op). The meter sums its events
    over the billing month, so each day reports only the billable people added since the
    month's previous reports."""
    day = day or timezone.localdate()
    rights = entitlements_for(organisation)
    if Option.EXTRA_PARTICIPANTS not in rights.options:
        return None
    quota = rights.limit(Limit.PARTICIPANTS)
    month_to_date = max(0, active_participants - quota) if quota is not None else 0
    already = sum(UsageReport.objects.filter(
        organisation=organisation, day__gte=day.replace(day=1), day__lt=day
    ).values_list("billable", flat=True))
    billable = max(0, month_to_date - already)
    identifier = f"usage-{organisation.slug}-{day.isoformat()}"
    report, _created = UsageReport.objects.get_or_create(
        organisation=organisation, day=day,
        defaults={"active_participants": active_participants, "billable": billable,
                  "identifier": identifier})
    if report.reported_at is not None:
        return report
    account = customer_ensure(organisation=organisation)
    assert account.stripe_customer_id is not None  # customer_ensure made it
    meter = options()[Option.EXTRA_PARTICIPANTS].metered
    assert meter is not None  # the option is metered in catalogue.yaml
    try:
        stripe_api.client().v1.billing.meter_events.create(params={
            "event_name": meter["event_name"], "identifier": report.identifier,
            "payload": {"stripe_customer_id": account.stripe_customer_id,
                        "value": str(report.billable)}})
    except stripe.InvalidRequestError as exc:
        # Stripe refuses an identifier it has already recorded: that report went through.
        if "identifier" not in str(exc).lower():
            raise
    report.reported_at = timezone.now()
    report.save(update_fields=["reported_at"])
    return report
