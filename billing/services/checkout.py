"""Buying online: a Stripe Checkout session for a plan and options, the customer portal,
and the invoices Stripe keeps."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import stripe
from django.utils.translation import gettext as _

from core.errors import DomainError
from tenants.models import Organisation

from .. import stripe_api
from ..catalogue import INTERVALS, buyer_language, options, plans
from ..models import BillingAccount
from .customers import customer_ensure, online_payment_check, stripe_refusal

if TYPE_CHECKING:
    from stripe.params.checkout import SessionCreateParamsLineItem


def price_ids(lookup_keys: list[str]) -> dict[str, str]:
    prices = stripe_api.client().v1.prices.list(params={"lookup_keys": lookup_keys, "limit": 100})
    found = {price["lookup_key"]: price["id"] for price in prices.data}
    missing = set(lookup_keys) - set(found)
    if missing:
        raise DomainError({"billing": [_("The catalogue is not synchronised with the payment "
                                         "service yet (missing: %(keys)s).") % {
            "keys": ", ".join(sorted(missing))}]})
    return found


def checkout_start(*, organisation: Organisation, plan: str, interval: str,
                   option_codes: list[str], success_url: str, cancel_url: str,
                   locale: str = "auto") -> str:
    """A Stripe Checkout session (subscription mode) for a plan and options; its URL.

    The page speaks ``locale`` (the buyer's language); the products are the organisation's
    language's (they stay on its invoices). Stripe Tax computes the VAT from the address and
    VAT number the buyer confirms there (reverse charge for EU businesses outside France),
    and both are saved on the customer for the invoices that follow."""
    errors: dict[str, list[str]] = {}
    if not plan and organisation.mobilises_for_free:
        # On the free plan, options are bought alone.
        if not option_codes:
            errors["options"] = [_("Choose at least one option.")]
    elif plan not in plans():
        errors["plan"] = [_("Choose a plan.")]
    if interval not in INTERVALS:
        errors["interval"] = [_("Choose monthly or yearly.")]
    unknown = set(option_codes) - set(options())
    if unknown:
        errors["options"] = [_("Unknown option(s): %(codes)s.") % {
            "codes": ", ".join(sorted(unknown))}]
    if errors:
        raise DomainError(errors)
    account = customer_ensure(organisation=organisation)
    assert account.stripe_customer_id is not None  # customer_ensure made it
    online_payment_check(account)
    items = [*([plans()[plan]] if plan else []), *(options()[code] for code in option_codes)]
    language = buyer_language(organisation.locale)
    keys = [item.lookup_key(interval, language) for item in items]
    ids = price_ids(keys)
    line_items: list[SessionCreateParamsLineItem] = [
        {"price": ids[key]} if item.metered else {"price": ids[key], "quantity": 1}
        for item, key in zip(items, keys, strict=True)]
    try:
        session = stripe_api.client().v1.checkout.sessions.create(params={
            "mode": "subscription", "customer": account.stripe_customer_id,
            "line_items": line_items, "success_url": success_url, "cancel_url": cancel_url,
            "client_reference_id": organisation.slug,
            "subscription_data": {"metadata": {"organisation": organisation.slug}},
            "locale": checkout_locale(locale), "automatic_tax": {"enabled": True},
            "tax_id_collection": {"enabled": True}, "billing_address_collection": "required",
            # What the buyer confirms there is saved on the customer (Stripe Tax needs it
            # with tax_id_collection); the webhooks copy it back to the billing account
            # (services.customers.billing_details_pull).
            "customer_update": {"address": "auto", "name": "auto"},
        })
    except stripe.StripeError as exc:
        raise stripe_refusal(exc) from exc
    assert session.url is not None  # a hosted checkout page always has one
    return session.url


def checkout_locale(language: str) -> Literal["auto", "en", "fr"]:
    """Stripe's name for a language Fullmobs speaks ("auto": the browser's)."""
    return "fr" if language[:2] == "fr" else "en" if language[:2] == "en" else "auto"


def portal_url(*, organisation: Organisation, return_url: str, locale: str = "auto") -> str:
    """The customer portal, in the buyer's language."""
    account = customer_ensure(organisation=organisation)
    assert account.stripe_customer_id is not None  # customer_ensure made it
    try:
        session = stripe_api.client().v1.billing_portal.sessions.create(params={
            "customer": account.stripe_customer_id, "return_url": return_url,
            "locale": checkout_locale(locale)})
    except stripe.StripeError as exc:
        raise stripe_refusal(exc) from exc
    return session.url


def invoices(*, organisation: Organisation) -> list[dict[str, Any]]:
    account = BillingAccount.objects.filter(organisation=organisation).first()
    if account is None or not account.stripe_customer_id:
        return []
    try:
        return [invoice.to_dict() for invoice in stripe_api.client().v1.invoices.list(params={
            "customer": account.stripe_customer_id, "limit": 24}).data]
    except stripe.StripeError as exc:
        raise stripe_refusal(exc) from exc
