"""The organisation's Stripe customer and its billing details, and the refusal shown when
Stripe fails (every module of billing.services that calls Stripe uses it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, TypedDict, Unpack, cast

import stripe
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.roles import Role
from tenants.models import Membership, Organisation
from tenants.services import require_verified

from .. import stripe_api
from ..catalogue import buyer_language
from ..models import BillingAccount, Subscription
from ..vat import (
    EU_COUNTRIES,
    online_payment_taxes,
    stripe_tax_exempt,
    vat_country,
    vat_number_normalise,
    vat_number_shape_ok,
)

if TYPE_CHECKING:
    from stripe.params import CustomerCreateParams, CustomerUpdateParams


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
    account, _created = BillingAccount.objects.get_or_create(
        organisation=organisation, defaults={"customer_kind": _default_kind(organisation)})
    if account.stripe_customer_id:
        return account
    owner = Membership.objects.filter(organisation=organisation, role=Role.OWNER).select_related(
        "user").first()
    billing_email = email or account.billing_email or (owner.user.email if owner else "")
    account.billing_email = billing_email
    details = customer_params(account)
    if not details["invoice_settings"].get("custom_fields"):
        del details["invoice_settings"]
    params = cast("CustomerCreateParams", {
        **details, "metadata": {"organisation": organisation.slug}})
    if account.vat_number:
        params["tax_id_data"] = [{"type": "eu_vat", "value": account.vat_number}]
    try:
        customer = stripe_api.client().v1.customers.create(
            params=params, options={"idempotency_key": f"customer-{organisation.pk}"})
    except stripe.StripeError as exc:
        raise stripe_refusal(exc) from exc
    account.stripe_customer_id = customer.id
    account.save(update_fields=["stripe_customer_id", "billing_email"])
    return account


def _default_kind(organisation: Organisation) -> str:
    return {"local_authority": BillingAccount.CustomerKind.PUBLIC_BODY,
            "association": BillingAccount.CustomerKind.ASSOCIATION}.get(
        organisation.kind, BillingAccount.CustomerKind.COMPANY)


def customer_params(account: BillingAccount, *, purchase_order: str | None = None
                    ) -> CustomerUpdateParams:
    """What the Stripe customer carries from the billing details: the name and address
    invoices are made out to (Stripe Tax reads the address), the language of its invoices
    and e-mails, and the fields printed on every invoice (a public body's SIRET and Chorus
    Pro service code, the purchase-order number of its order)."""
    organisation = account.organisation
    if purchase_order is None:  # the current order's, kept on the subscription
        purchase_order = Subscription.objects.filter(organisation=organisation).values_list(
            "purchase_order", flat=True).first() or ""
    # The language of the products on its invoices (checkout and ordering use the same).
    language = buyer_language(organisation.locale)
    fields: list[tuple[str, str]] = []
    with translation.override(language):
        if account.siret:
            fields.append((_("SIRET"), account.siret))
        if account.chorus_service_code:
            fields.append((_("Service code"), account.chorus_service_code))
        if purchase_order:
            fields.append((_("Purchase order"), purchase_order))
    params: CustomerUpdateParams = {
        "name": account.legal_name or organisation.name, "email": account.billing_email,
        "preferred_locales": [language],
        # The VAT treatment quotes give too (billing.vat): no VAT in Guyane and Mayotte.
        "tax_exempt": cast("Literal['exempt', 'none', 'reverse']",
                           stripe_tax_exempt(account.country)),
        "invoice_settings": {"custom_fields": [
            {"name": name[:40], "value": value[:140]} for name, value in fields] or ""},
    }
    if account.details_complete:
        params["address"] = {"line1": account.address_line1, "line2": account.address_line2,
                             "postal_code": account.postal_code, "city": account.city,
                             "country": account.country}
    return params


class BillingDetails(TypedDict, total=False):
    customer_kind: str
    legal_name: str
    address_line1: str
    address_line2: str
    postal_code: str
    city: str
    country: str
    siret: str
    chorus_service_code: str


VAT_PATTERN = r"^[A-Z]{2}[0-9A-Z]{2,13}$"
TEXT_LIMITS = {"legal_name": 200, "address_line1": 200, "address_line2": 200,
               "postal_code": 20, "city": 100, "chorus_service_code": 100}


def billing_details_update(*, organisation: Organisation, billing_email: str,
                           vat_number: str, **details: Unpack[BillingDetails]
                           ) -> BillingAccount:
    """Who invoices and quotes are made out to (kind, legal name, address, VAT number,
    SIRET and Chorus Pro service code for public bodies) and where they are sent, here and
    on the Stripe customer. Every field is checked before anything is written."""
    billing_email = (billing_email or "").strip().lower()
    vat_number = vat_number_normalise(vat_number)
    values = {name: " ".join(str(value or "").split()) for name, value in details.items()}
    kind = values.get("customer_kind") or BillingAccount.CustomerKind.COMPANY
    country = (values.get("country") or "FR").upper()
    siret = "".join(values.get("siret", "").split())
    errors: dict[str, list[str]] = {}
    try:
        validate_email(billing_email)
    except ValidationError:
        errors["billing_email"] = [_("Enter a valid e-mail address.")]
    if kind not in BillingAccount.CustomerKind.values:
        errors["customer_kind"] = [_("Choose a company, a public body or an association.")]
    for name, required in (("legal_name", _("Enter the legal name invoices are made out to.")),
                           ("address_line1", _("Enter the street address.")),
                           ("postal_code", _("Enter the postcode.")),
                           ("city", _("Enter the city."))):
        if name in details and not values.get(name):
            errors[name] = [required]
    for name, limit in TEXT_LIMITS.items():
        if len(values.get(name, "")) > limit:
            errors[name] = [_("At most %(limit)s characters.") % {"limit": limit}]
    if "country" in details and not (len(country) == 2 and country.isalpha()):
        errors["country"] = [_("Choose a country.")]
    if vat_number:
        if not vat_number_shape_ok(vat_number):
            errors["vat_number"] = [_(
                "This is not an EU VAT number: it starts with the country's two letters, "
                "such as FR40303265045 or DE123456789.")]
        elif "country" in details and vat_country(vat_number) != country \
                and country in EU_COUNTRIES:
            errors["vat_number"] = [_("This VAT number is from another country than the "
                                      "address: check both.")]
    if siret and not (siret.isdigit() and len(siret) == 14):
        errors["siret"] = [_("A SIRET has 14 digits.")]
    if errors:
        raise DomainError(errors)
    with transaction.atomic():
        account, _created = BillingAccount.objects.select_for_update().get_or_create(
            organisation=organisation, defaults={"customer_kind": _default_kind(organisation)})
        previous_vat = account.vat_number
        account.billing_email, account.vat_number = billing_email, vat_number
        changed = ["billing_email", "vat_number"]
        for name in BillingDetails.__annotations__:
            if name in details:
                value = {"customer_kind": kind, "country": country, "siret": siret}.get(
                    name, values.get(name, ""))
                setattr(account, name, value)
                changed.append(name)
        account.save(update_fields=changed)
        if account.stripe_customer_id and stripe_api.configured():
            _customer_update(account, previous_vat=previous_vat)
    return account


def _customer_update(account: BillingAccount, *, previous_vat: str) -> None:
    """The Stripe customer follows the details (inside the caller's transaction: when
    Stripe refuses, nothing is saved here either)."""
    assert account.stripe_customer_id is not None
    try:
        client = stripe_api.client().v1
        client.customers.update(account.stripe_customer_id, params=customer_params(account))
        if account.vat_number != previous_vat:
            for tax_id in client.customers.tax_ids.list(account.stripe_customer_id).data:
                if tax_id.type == "eu_vat":
                    client.customers.tax_ids.delete(account.stripe_customer_id, tax_id.id)
            if account.vat_number:
                client.customers.tax_ids.create(account.stripe_customer_id, params={
                    "type": "eu_vat", "value": account.vat_number})
    except stripe.StripeError as exc:
        raise stripe_refusal(exc) from exc


def billing_details_pull(*, account: BillingAccount) -> BillingAccount:
    """The billing details Checkout may have changed on the Stripe customer (it saves the
    name, address and VAT number the buyer confirms there, ``customer_update`` "auto", which
    Stripe Tax needs with ``tax_id_collection``), copied back so that quotes, the billing
    page and the next update to Stripe read what the invoices carry. Read from Stripe
    (events arrive out of order), under the account's row lock."""
    assert account.stripe_customer_id is not None
    try:
        customer = stripe_api.client().v1.customers.retrieve(
            account.stripe_customer_id, params={"expand": ["tax_ids"]})
    except stripe.StripeError as exc:
        raise stripe_refusal(exc) from exc
    values: dict[str, str] = {}
    if customer.name:
        values["legal_name"] = customer.name[:200]
    address = customer.address.to_dict() if customer.address is not None else {}
    if address.get("line1") and address.get("country"):
        values.update({
            "address_line1": str(address["line1"])[:200],
            "address_line2": str(address.get("line2") or "")[:200],
            "postal_code": str(address.get("postal_code") or "")[:20],
            "city": str(address.get("city") or "")[:100],
            "country": str(address["country"]).upper()})
    tax_ids = customer.tax_ids.data if customer.tax_ids else []
    values["vat_number"] = next((vat_number_normalise(t.value) for t in tax_ids
                                 if t.type == "eu_vat"), "")
    with transaction.atomic():
        account = BillingAccount.objects.select_for_update().get(pk=account.pk)
        changed = [name for name, value in values.items() if getattr(account, name) != value]
        for name in changed:
            setattr(account, name, values[name])
        if changed:
            account.save(update_fields=changed)
    return account


def online_payment_check(account: BillingAccount) -> None:
    """Refuse paying online where Stripe Tax would not apply the VAT a quote gives
    (billing.vat.online_payment_taxes); the pages turn it into a prefilled offer."""
    if account.details_complete and not online_payment_taxes(account.country):
        raise DomainError({"billing": [_(
            "Paying online cannot apply the VAT of the French overseas departments yet "
            "(8.5 %): ask us for an offer, and we make out your invoices with it.")]})
