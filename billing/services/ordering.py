"""Buying without Checkout, the way public bodies buy: a numbered quote first (a PDF made
from a ``Quote``), then an order paid by bank transfer against an invoice, with the
buyer's purchase-order number printed on it and payment terms."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

import stripe
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from tenants.models import Organisation, User

from .. import stripe_api
from ..catalogue import INTERVALS, Item, buyer_language, options, plans
from ..models import BillingAccount, Quote, Subscription
from ..vat import vat_treatment
from .checkout import price_ids
from .customers import (
    customer_ensure,
    customer_params,
    online_payment_check,
    stripe_refusal,
)
from .subscriptions import LIVE_STATUSES, subscription_sync

if TYPE_CHECKING:
    from stripe.params import SubscriptionCreateParamsItem

logger = logging.getLogger(__name__)

QUOTE_VALID_DAYS = 30
# Payment terms offered: 30 days is the rule for the French State and local authorities
# (Code de la commande publique, R. 2192-10), 60 days the most a business may agree.
PAYMENT_TERMS = (30, 45, 60)
PURCHASE_ORDER_MAX = 100


def _check_order(errors: dict[str, list[str]], *, plan: str, interval: str,
                 option_codes: list[str]) -> list[Item]:
    if plan not in plans():
        errors["plan"] = [_("Choose a plan.")]
    if interval not in INTERVALS:
        errors["interval"] = [_("Choose monthly or yearly.")]
    if set(option_codes) - set(options()):
        errors["options"] = [_("Choose options from the list.")]
    if errors:
        raise DomainError(errors)
    return [plans()[plan], *(options()[code] for code in sorted(set(option_codes)))]


def _account_with_details(organisation: Organisation) -> BillingAccount:
    account = BillingAccount.objects.filter(organisation=organisation).first()
    if account is None or not account.details_complete:
        raise DomainError({"billing": [_(
            "Fill in the billing details first (legal name and address): quotes and "
            "invoices are made out to them.")]})
    return account


def quote_create(*, organisation: Organisation, plan: str, interval: str,
                 option_codes: list[str], language: str, user: User | None = None) -> Quote:
    """A numbered quote for a plan and options, valid 30 days, with the VAT the invoice
    will carry (billing.vat). Metered options are listed at their unit price, outside
    the total (what they cost depends on the month)."""
    items = _check_order({}, plan=plan, interval=interval, option_codes=option_codes)
    account = _account_with_details(organisation)
    lines = [{"code": item.code, "kind": item.kind,
              "amount": 0 if item.metered else item.prices[interval],
              "metered": bool(item.metered)} for item in items]
    subtotal = sum(0 if item.metered else item.prices[interval] for item in items)
    # The rule Stripe applies to the invoices: the VAT number counts whatever the kind
    # (the customer's eu_vat tax id, billing.services.customers).
    treatment = vat_treatment(country=account.country, vat_number=account.vat_number)
    vat = treatment.amount(subtotal)
    today = timezone.localdate()
    with transaction.atomic():
        quote = Quote.objects.create(
            organisation=organisation, number=f"pending-{uuid.uuid4().hex[:20]}",
            valid_until=today + timedelta(days=QUOTE_VALID_DAYS), created_by=user,
            language=buyer_language(language), plan=plan, options=sorted(set(option_codes)),
            interval=interval, lines=lines, subtotal=subtotal, vat_rate=treatment.rate,
            vat=vat, total=subtotal + vat, vat_note=treatment.note,
            customer={"kind": account.customer_kind, "legal_name": account.legal_name,
                      "address_line1": account.address_line1,
                      "address_line2": account.address_line2,
                      "postal_code": account.postal_code, "city": account.city,
                      "country": account.country, "vat_number": account.vat_number,
                      "siret": account.siret,
                      "chorus_service_code": account.chorus_service_code})
        # Numbered from the row's id: unique and increasing, never reused (a quote needs
        # no gap-free series, unlike an invoice).
        quote.number = f"FM-{today:%Y}-{quote.pk:05d}"
        quote.save(update_fields=["number"])
    return quote


def subscription_order_by_invoice(*, organisation: Organisation, plan: str, interval: str,
                                  option_codes: list[str], purchase_order: str,
                                  days_until_due: int) -> Subscription:
    """Subscribe without Checkout: Stripe sends each invoice (``send_invoice``) to be paid
    by bank transfer within ``days_until_due`` days, taxed by Stripe Tax, with the
    purchase-order number printed on it (the customer's invoice custom fields: Stripe's
    subscriptions have none of their own)."""
    errors: dict[str, list[str]] = {}
    purchase_order = " ".join((purchase_order or "").split())
    if len(purchase_order) > PURCHASE_ORDER_MAX:
        errors["purchase_order"] = [_("At most %(limit)s characters.") % {
            "limit": PURCHASE_ORDER_MAX}]
    if days_until_due not in PAYMENT_TERMS:
        errors["days_until_due"] = [_("Choose 30, 45 or 60 days.")]
    items = _check_order(errors, plan=plan, interval=interval, option_codes=option_codes)
    online_payment_check(_account_with_details(organisation))
    account = customer_ensure(organisation=organisation)
    assert account.stripe_customer_id is not None  # customer_ensure made it
    language = buyer_language(organisation.locale)
    keys = [item.lookup_key(interval, language) for item in items]
    ids = price_ids(keys)
    line_items: list[SubscriptionCreateParamsItem] = [
        {"price": ids[key]} if item.metered else {"price": ids[key], "quantity": 1}
        for item, key in zip(items, keys, strict=True)]
    with transaction.atomic():
        # Two orders at once: the second waits here for the first to be recorded, then
        # finds its subscription. Rows locked in subscription_sync's order (organisation,
        # then subscription), the billing account between them.
        Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
        account = BillingAccount.objects.select_for_update().get(pk=account.pk)
        current = Subscription.objects.select_for_update().filter(
            organisation=organisation).first()
        if current is not None and current.stripe_subscription_id \
                and current.stripe_status in LIVE_STATUSES:
            raise DomainError({"billing": [_(
                "You already have a subscription: change it from the subscription "
                "management page, or ask us for an offer.")]})
        _stripe_subscribe(account, line_items=line_items, purchase_order=purchase_order,
                          days_until_due=days_until_due)
        Subscription.objects.update_or_create(organisation=organisation, defaults={
            "purchase_order": purchase_order, "days_until_due": days_until_due,
            "collection_method": "send_invoice"})
        record = subscription_sync(organisation=organisation)
    assert record is not None  # the customer exists
    return record


def _stripe_subscribe(account: BillingAccount, *, line_items: list[SubscriptionCreateParamsItem],
                      purchase_order: str, days_until_due: int) -> None:
    """The customer's invoice fields with the order's purchase order, then the
    subscription. Its idempotency key is this attempt's: the client's own retries of a
    timeout reuse it (one subscription), while a new attempt after a refusal is not
    answered with the refusal Stripe keeps 24 hours under a key; two attempts cannot both
    subscribe (the caller holds the account's lock). When Stripe refuses, the customer's
    fields go back to the current order's."""
    assert account.stripe_customer_id is not None
    organisation = account.organisation
    client = stripe_api.client().v1
    try:
        client.customers.update(account.stripe_customer_id,
                                params=customer_params(account, purchase_order=purchase_order))
        client.subscriptions.create(params={
            "customer": account.stripe_customer_id, "items": line_items,
            "collection_method": "send_invoice", "days_until_due": days_until_due,
            "automatic_tax": {"enabled": True},
            "metadata": {"organisation": organisation.slug, "purchase_order": purchase_order},
        }, options={"idempotency_key": f"order-{organisation.pk}-{uuid.uuid4().hex}"})
    except stripe.StripeError as exc:
        try:
            client.customers.update(account.stripe_customer_id,
                                    params=customer_params(account))
        except stripe.StripeError:
            logger.warning("Stripe customer %s keeps the refused order's invoice fields "
                           "until its next update", account.stripe_customer_id)
        raise stripe_refusal(exc) from exc
