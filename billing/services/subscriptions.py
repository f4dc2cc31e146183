"""The subscription's state, always read from Stripe (never from an event's payload alone),
and dunning: a failed payment told to the owners, read-only past the grace period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.roles import Role
from core.tenancy import call_on_commit
from tenants.models import Membership, Organisation

from .. import stripe_api
from ..catalogue import item_for_lookup_key
from ..models import BillingAccount, Subscription

LIVE_STATUSES = ("active", "trialing", "past_due", "unpaid")


def _period_end(subscription: dict[str, Any]) -> datetime | None:
    value = subscription.get("current_period_end")
    if value is None:
        items = subscription.get("items", {}).get("data", [])
        value = items[0].get("current_period_end") if items else None
    return datetime.fromtimestamp(value, tz=UTC) if value else None


def subscription_sync(*, organisation: Organisation, now: datetime | None = None
                      ) -> Subscription | None:
    """Read the customer's current subscription from Stripe and apply it: plan, options,
    status and dunning. Whatever order webhooks arrive in, the result is Stripe's state."""
    now = now or timezone.now()
    account = BillingAccount.objects.filter(organisation=organisation).first()
    if account is None or not account.stripe_customer_id:
        return None
    listed = stripe_api.client().v1.subscriptions.list(params={
        "customer": account.stripe_customer_id, "status": "all", "limit": 20})
    current = sorted((s.to_dict() for s in listed.data),
                     key=lambda s: (s["status"] in LIVE_STATUSES, s["created"]), reverse=True)
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
        record, _created = Subscription.objects.select_for_update().get_or_create(
            organisation=organisation)
        previous_status = organisation.status
        if not current:
            return record
        stripe_sub = current[0]
        plan, interval = "", "month"
        option_codes: list[str] = []
        for item in stripe_sub["items"]["data"]:
            price = item["price"]
            catalogue_item = item_for_lookup_key(price.get("lookup_key") or "")
            if catalogue_item is None:
                continue
            if catalogue_item.kind == "plan":
                plan = catalogue_item.code
                interval = (price.get("recurring") or {}).get("interval", "month")
            else:
                option_codes.append(catalogue_item.code)
                if not plan and not catalogue_item.metered:
                    # Options alone (on the free plan): their prices' interval.
                    interval = (price.get("recurring") or {}).get("interval", interval)
        record.stripe_subscription_id = stripe_sub["id"]
        record.plan = plan
        record.options = sorted(option_codes)
        record.interval = interval
        record.stripe_status = stripe_sub["status"]
        record.current_period_end = _period_end(stripe_sub)
        record.collection_method = stripe_sub.get("collection_method") or "charge_automatically"
        record.days_until_due = stripe_sub.get("days_until_due")
        record.synced_at = now
        status = _organisation_status(record, previous_status, now)
        if status == Organisation.Status.PAST_DUE and record.past_due_since is None:
            record.past_due_since = now
        elif status == Organisation.Status.ACTIVE:
            record.past_due_since = None
        record.save()
        if status != previous_status:
            organisation.status = status
            organisation.save(update_fields=["status"])
            if status == Organisation.Status.PAST_DUE:
                call_on_commit(payment_failure_tell_owners, organisation.pk)
    return record


def _organisation_status(record: Subscription, previous: str, now: datetime) -> str:
    if record.stripe_status in ("active", "trialing"):
        return Organisation.Status.ACTIVE
    if record.stripe_status in ("past_due", "unpaid"):
        if previous == Organisation.Status.SUSPENDED:
            return previous  # suspension lifts only when paying again
        return Organisation.Status.PAST_DUE
    # canceled, incomplete_expired…: nothing paid for; data kept, read-only
    if record.organisation.mobilises_for_free:
        # Back to the free plan alone: nothing is owed and nothing turns read-only.
        return Organisation.Status.ACTIVE
    return Organisation.Status.SUSPENDED if previous != Organisation.Status.TRIAL else previous


def payment_failure_tell_owners(organisation_id: int) -> None:
    organisation = Organisation.objects.get(pk=organisation_id)
    if not organisation.is_verified:
        return  # billing mails never go to an address nobody confirmed
    for membership in Membership.objects.filter(organisation=organisation, role=Role.OWNER
                                                ).select_related("user"):
        with translation.override(membership.user.preferred_language or organisation.locale):
            send_mail(
                subject=_("Fullmobs: the payment for %(name)s failed") % {
                    "name": organisation.name},
                message=_("Hello,\n\nThe last payment for %(name)s's Fullmobs subscription "
                          "failed. Please update the payment method from the billing page:\n"
                          "%(url)s\n\nWithout payment within %(days)s days, the space becomes "
                          "read-only (nothing is deleted).\n\n— Fullmobs") % {
                    "name": organisation.name, "url": organisation.absolute_url("/billing/"),
                    "days": settings.BILLING_GRACE_DAYS},
                from_email=None, recipient_list=[membership.user.email])


def overdue_organisations_suspend(*, now: datetime | None = None) -> list[Organisation]:
    """Past the grace period, an unpaid organisation becomes read-only (data kept)."""
    now = now or timezone.now()
    limit = now - timedelta(days=settings.BILLING_GRACE_DAYS)
    suspended: list[Organisation] = []
    for record in Subscription.objects.filter(
            past_due_since__lte=limit,
            organisation__status=Organisation.Status.PAST_DUE).select_related("organisation"):
        organisation = record.organisation
        organisation.status = Organisation.Status.SUSPENDED
        organisation.save(update_fields=["status"])
        suspended.append(organisation)
    return suspended
