"""The organisation's Stripe customer and its billing details, and the refusal shown when
Stripe fails (every module of billing.services that calls Stripe uses it)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import stripe
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.roles import Role
from tenants.models import Membership, Organisation
from tenants.services import require_verified

from .. import stripe_api
from ..models import BillingAccount

if TYPE_CHECKING:
    from stripe.params import CustomerCreateParams


def stripe_refusal(exc: stripe.StripeError) -> DomainError:
    """Stripe's refusal, for the person who clicked: what happened, and that nothing was
    charged twice (every write to Stripe carries an idempotency key)."""
    message = getattr(exc, "user_message", None) or _(
        "The payment service did not answer as expected. Nothing was charged; please try "
        "again in a moment.")
    return DomainError({"billing": [str(message)]})


def customer_ensure(*, organisation: Organisation, email: str = "") -> BillingAccount:
    """The organisation's Stripe customer, created once (the idempotency key makes a retry
    after a timeout return the same customer instead of a second one)."""
    require_verified(organisation)  # no billing to an address nobody confirmed
    account, _created = BillingAccount.objects.get_or_create(organisation=organisation)
    if account.stripe_customer_id:
        return account
    owner = Membership.objects.filter(organisation=organisation, role=Role.OWNER).select_related(
        "user").first()
    billing_email = email or account.billing_email or (owner.user.email if owner else "")
    params: CustomerCreateParams = {"name": organisation.name, "email": billing_email,
              "metadata": {"organisation": organisation.slug}}
    if account.vat_number:
        params["tax_id_data"] = [{"type": "eu_vat", "value": account.vat_number}]
    try:
        customer = stripe_api.client().v1.customers.create(
            params=params, options={"idempotency_key": f"customer-{organisation.pk}"})
    except stripe.StripeError as exc:
        raise stripe_refusal(exc) from exc
    account.stripe_customer_id = customer.id
    account.billing_email = billing_email
    account.save(update_fields=["stripe_customer_id", "billing_email"])
    return account


VAT_PATTERN = r"^[A-Z]{2}[0-9A-Z]{2,13}$"


def billing_details_update(*, organisation: Organisation, billing_email: str,
                           vat_number: str) -> BillingAccount:
    """The address invoices go to and the EU VAT number, here and on the Stripe customer."""
    billing_email = (billing_email or "").strip().lower()
    vat_number = re.sub(r"[\s.-]", "", vat_number or "").upper()
    errors: dict[str, list[str]] = {}
    try:
        validate_email(billing_email)
    except ValidationError:
        errors["billing_email"] = [_("Enter a valid e-mail address.")]
    if vat_number and not re.match(VAT_PATTERN, vat_number):
        errors["vat_number"] = [_("Enter an EU VAT number such as FR40303265045.")]
    if errors:
        raise DomainError(errors)
    account, _created = BillingAccount.objects.get_or_create(organisation=organisation)
    previous_vat = account.vat_number
    account.billing_email, account.vat_number = billing_email, vat_number
    if account.stripe_customer_id and stripe_api.configured():
        try:
            client = stripe_api.client().v1
            client.customers.update(account.stripe_customer_id,
                                    params={"email": billing_email})
            if vat_number and vat_number != previous_vat:
                client.customers.tax_ids.create(account.stripe_customer_id,
                                                params={"type": "eu_vat", "value": vat_number})
        except stripe.StripeError as exc:
            raise stripe_refusal(exc) from exc
    account.save(update_fields=["billing_email", "vat_number"])
    return account
