"""Billing writes: Stripe customers, checkout and portal, subscription sync from Stripe,
dunning, usage meter events, consultant time, and the catalogue sync."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import stripe
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.roles import Role
from core.tenancy import call_on_commit
from tenants.models import Membership, Organisation

from . import stripe_api
from .catalogue import INTERVALS, item_for_lookup_key, options, plans
from .models import BillingAccount, ConsultantTime, StripeEvent, Subscription, UsageReport

LIVE_STATUSES = ("active", "trialing", "past_due", "unpaid")


def _stripe_error(exc: stripe.StripeError) -> DomainError:
    """Stripe's refusal, for the person who clicked: what happened, and that nothing was
    charged twice (every write to Stripe carries an idempotency key)."""
    message = getattr(exc, "user_message", None) or _(
        "The payment service did not answer as expected. Nothing was charged; please try "
        "again in a moment.")
    return DomainError({"billing": [str(message)]})


# ---- customers, checkout, portal ---------------------------------------------------------

def ensure_customer(*, organisation: Organisation, email: str = "") -> BillingAccount:
    """The organisation's Stripe customer, created once (the idempotency key makes a retry
    after a timeout return the same customer instead of a second one)."""
    from tenants.services import require_verified

    require_verified(organisation)  # no billing to an address nobody confirmed
    account, _created = BillingAccount.objects.get_or_create(organisation=organisation)
    if account.stripe_customer_id:
        return account
    owner = Membership.objects.filter(organisation=organisation, role=Role.OWNER).select_related(
        "user").first()
    billing_email = email or account.billing_email or (owner.user.email if owner else "")
    params = {"name": organisation.name, "email": billing_email,
              "metadata": {"organisation": organisation.slug}}
    if account.vat_number:
        params["tax_id_data"] = [{"type": "eu_vat", "value": account.vat_number}]
    try:
        customer = stripe_api.client().v1.customers.create(
            params=params, options={"idempotency_key": f"customer-{organisation.pk}"})
    except stripe.StripeError as exc:
        raise _stripe_error(exc) from exc
    account.stripe_customer_id = customer.id
    account.billing_email = billing_email
    account.save(update_fields=["stripe_customer_id", "billing_email"])
    return account


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
                   option_codes: list[str], success_url: str, cancel_url: str) -> str:
    """A Stripe Checkout session (subscription mode) for a plan and options; its URL."""
    errors: dict[str, list[str]] = {}
    if plan not in plans():
        errors["plan"] = [_("Choose a plan.")]
    if interval not in INTERVALS:
        errors["interval"] = [_("Choose monthly or yearly.")]
    unknown = set(option_codes) - set(options())
    if unknown:
        errors["options"] = [_("Unknown option(s): %(codes)s.") % {
            "codes": ", ".join(sorted(unknown))}]
    if errors:
        raise DomainError(errors)
    account = ensure_customer(organisation=organisation)
    items = [plans()[plan], *(options()[code] for code in option_codes)]
    keys = [item.lookup_key(interval) for item in items]
    ids = price_ids(keys)
    line_items = [{"price": ids[item.lookup_key(interval)]} if item.metered else
                  {"price": ids[item.lookup_key(interval)], "quantity": 1} for item in items]
    try:
        session = stripe_api.client().v1.checkout.sessions.create(params={
            "mode": "subscription", "customer": account.stripe_customer_id,
            "line_items": line_items, "success_url": success_url, "cancel_url": cancel_url,
            "client_reference_id": organisation.slug,
            "subscription_data": {"metadata": {"organisation": organisation.slug}},
        })
    except stripe.StripeError as exc:
        raise _stripe_error(exc) from exc
    return session.url


def portal_url(*, organisation: Organisation, return_url: str) -> str:
    account = ensure_customer(organisation=organisation)
    try:
        session = stripe_api.client().v1.billing_portal.sessions.create(params={
            "customer": account.stripe_customer_id, "return_url": return_url})
    except stripe.StripeError as exc:
        raise _stripe_error(exc) from exc
    return session.url


def invoices(*, organisation: Organisation) -> list:
    account = BillingAccount.objects.filter(organisation=organisation).first()
    if account is None or not account.stripe_customer_id:
        return []
    try:
        return [invoice.to_dict() for invoice in stripe_api.client().v1.invoices.list(params={
            "customer": account.stripe_customer_id, "limit": 24}).data]
    except stripe.StripeError as exc:
        raise _stripe_error(exc) from exc


# ---- subscription state (from Stripe, never from an event's payload alone) -------------

def _period_end(subscription) -> datetime | None:
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
        plan, option_codes, interval = "", [], "month"
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
        record.stripe_subscription_id = stripe_sub["id"]
        record.plan = plan
        record.options = sorted(option_codes)
        record.interval = interval
        record.stripe_status = stripe_sub["status"]
        record.current_period_end = _period_end(stripe_sub)
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
                call_on_commit(_tell_owners_payment_failed, organisation.pk)
    return record


def _organisation_status(record: Subscription, previous: str, now: datetime) -> str:
    if record.stripe_status in ("active", "trialing"):
        return Organisation.Status.ACTIVE
    if record.stripe_status in ("past_due", "unpaid"):
        if previous == Organisation.Status.SUSPENDED:
            return previous  # suspension lifts only when paying again
        return Organisation.Status.PAST_DUE
    # canceled, incomplete_expired…: nothing paid for; data kept, read-only
    return Organisation.Status.SUSPENDED if previous != Organisation.Status.TRIAL else previous


def _tell_owners_payment_failed(organisation_id: int) -> None:
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


def suspend_overdue(*, now: datetime | None = None) -> list[Organisation]:
    """Past the grace period, an unpaid organisation becomes read-only (data kept)."""
    now = now or timezone.now()
    limit = now - timedelta(days=settings.BILLING_GRACE_DAYS)
    suspended = []
    for record in Subscription.objects.filter(
            past_due_since__lte=limit,
            organisation__status=Organisation.Status.PAST_DUE).select_related("organisation"):
        organisation = record.organisation
        organisation.status = Organisation.Status.SUSPENDED
        organisation.save(update_fields=["status"])
        suspended.append(organisation)
    return suspended


# ---- webhooks -------------------------------------------------------------------------------

# Stripe's own tolerance: a signed delivery is accepted five minutes either side of its
# timestamp. The library checks only the past; a timestamp in the future is refused here
# too, so a captured signature cannot be prepared to be replayed later.
WEBHOOK_TOLERANCE_SECONDS = 300
_EVENT_ID_MAX = StripeEvent._meta.get_field("event_id").max_length
_EVENT_TYPE_MAX = StripeEvent._meta.get_field("type").max_length


def _signed_timestamp(signature: str) -> int:
    for item in signature.split(","):
        key, _sep, value = item.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit():
            return int(value)
    raise stripe.SignatureVerificationError("no timestamp in the signature", signature)


def event_record(*, payload: bytes, signature: str,
                 now: float | None = None) -> tuple[StripeEvent, bool]:
    """Verify a webhook's signature and its time window, then store the event once.
    Returns (event, is_new); raises ValueError (a malformed event: not an object with a
    string ``id`` and ``type``) or stripe.SignatureVerificationError (a bad signature, or a
    timestamp more than five minutes away from now) when it must be refused."""
    import time

    stripe.WebhookSignature.verify_header(payload, signature, settings.STRIPE_WEBHOOK_SECRET,
                                          tolerance=WEBHOOK_TOLERANCE_SECONDS)
    now = time.time() if now is None else now
    if abs(now - _signed_timestamp(signature)) > WEBHOOK_TOLERANCE_SECONDS:
        raise stripe.SignatureVerificationError("timestamp outside the tolerance zone",
                                                signature)
    data = json.loads(payload)  # signed, so Stripe's; still checked before it is stored
    if not isinstance(data, dict):
        raise ValueError("a webhook event is a JSON object")
    event_id, event_type = data.get("id"), data.get("type")
    for value, longest in ((event_id, _EVENT_ID_MAX), (event_type, _EVENT_TYPE_MAX)):
        if not isinstance(value, str) or not 0 < len(value) <= longest:
            raise ValueError("a webhook event has a string id and type")
    record, created = StripeEvent.objects.get_or_create(
        event_id=event_id, defaults={"type": event_type, "payload": data})
    return record, created


def _customer_of(payload: dict) -> str | None:
    obj = payload.get("data", {}).get("object", {})
    if obj.get("object") == "customer":
        return obj.get("id")
    return obj.get("customer")


def event_process(*, event_id: str) -> str:
    """Apply one stored event: find the organisation, then read its state from Stripe."""
    with transaction.atomic():
        record = StripeEvent.objects.select_for_update().get(event_id=event_id)
        if record.processed_at is not None:
            return "already processed"
        record.attempts += 1
        record.save(update_fields=["attempts"])
    customer = _customer_of(record.payload)
    account = BillingAccount.objects.filter(stripe_customer_id=customer).select_related(
        "organisation").first() if customer else None
    outcome = "ignored: unknown customer"
    if account is not None:
        subscription_sync(organisation=account.organisation)
        outcome = "synced"
    StripeEvent.objects.filter(pk=record.pk).update(processed_at=timezone.now(), last_error="")
    return outcome


# ---- usage ---------------------------------------------------------------------------------

def usage_report(*, organisation: Organisation, active_participants: int,
                 day=None) -> UsageReport | None:
    """Report active participants beyond the plan's quota to Stripe's meter, once per
    organisation and day (the identifier makes a retry a no-op). The meter sums its events
    over the billing month, so each day reports only the billable people added since the
    month's previous reports."""
    from .entitlements import entitlements_for

    day = day or timezone.localdate()
    rights = entitlements_for(organisation)
    if "extra_participants" not in rights.options:
        return None
    quota = rights.limit("participants")
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
    account = ensure_customer(organisation=organisation)
    meter = options()["extra_participants"].metered
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


# ---- consultant time -------------------------------------------------------------------------

HOURLY_RATE_CENTS = 12000


def consultant_time_log(*, consultant, organisation: Organisation, worked_on, minutes: int,
                        description: str) -> ConsultantTime:

    errors: dict[str, list[str]] = {}
    _check_consultant_time(errors, consultant=consultant, organisation=organisation,
                           worked_on=worked_on, minutes=minutes, description=description)
    return ConsultantTime.objects.create(consultant=consultant, organisation=organisation,
                                         worked_on=worked_on, minutes=minutes,
                                         description=description.strip())


def _time_entry_for_change(*, entry_id: int, consultant) -> ConsultantTime:
    """The consultant's own entry, locked; one error for "not there" and "not yours".
    Billing locks the same row before it bills it, so a correction and the bill never
    cross: whichever comes second sees the other's result."""
    from django.utils.formats import date_format

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


def consultant_time_update(*, entry_id: int, consultant, organisation: Organisation,
                           worked_on, minutes: int, description: str) -> ConsultantTime:
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


def consultant_time_delete(*, entry_id: int, consultant) -> None:
    """Delete an entry that is not billed yet."""
    with transaction.atomic():
        _time_entry_for_change(entry_id=entry_id, consultant=consultant).delete()


def consultant_time_bill(*, organisation: Organisation) -> list[ConsultantTime]:
    """Turn the organisation's unbilled time into invoice items, exactly once: each row's
    idempotency key makes a retry after a failure return the same item, and a row is
    marked billed in the same transaction that records the item's id."""
    billed = []
    account = ensure_customer(organisation=organisation)
    for row in ConsultantTime.objects.filter(organisation=organisation, billed_at__isnull=True
                                             ).order_by("worked_on", "pk"):
        with transaction.atomic():
            # Deleted or billed since the list was read: nothing to bill.
            row = ConsultantTime.objects.select_for_update().filter(pk=row.pk).first()
            if row is None or row.billed_at is not None:
                continue
            amount = round(HOURLY_RATE_CENTS * row.minutes / 60)
            try:
                item = stripe_api.client().v1.invoice_items.create(
                    params={"customer": account.stripe_customer_id, "currency": "eur",
                            "amount": amount,
                            "description": f"{row.worked_on:%d/%m/%Y} · {row.minutes} min · "
                                           f"{row.description}"[:250],
                            "metadata": {"consultant_time": str(row.pk)}},
                    options={"idempotency_key": f"consultant-time-{row.pk}"})
            except stripe.StripeError as exc:
                raise _stripe_error(exc) from exc
            row.stripe_invoice_item_id = item.id
            row.billed_at = timezone.now()
            row.save(update_fields=["stripe_invoice_item_id", "billed_at"])
            billed.append(row)
    return billed


# ---- catalogue sync -------------------------------------------------------------------------

@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def catalogue_sync() -> SyncReport:
    """Create or update Stripe products and prices from the catalogue, found by lookup key.
    Running it twice changes nothing the second time."""
    report = SyncReport()
    client = stripe_api.client().v1
    for item in [*plans().values(), *options().values()]:
        product_id = f"fullmobs_{item.kind}_{item.code}"
        name = item.name["en"]
        try:
            product = client.products.retrieve(product_id).to_dict()
            if product["name"] != name or product.get("description") != item.description["en"]:
                client.products.update(product_id, params={
                    "name": name, "description": item.description["en"]})
                report.updated.append(f"product {product_id}")
            else:
                report.unchanged.append(f"product {product_id}")
        except stripe.InvalidRequestError:
            client.products.create(params={"id": product_id, "name": name,
                                           "description": item.description["en"],
                                           "metadata": {"code": item.code, "kind": item.kind}})
            report.created.append(f"product {product_id}")
        wanted = _wanted_prices(client, item, product_id)
        existing = {p["lookup_key"]: p for p in (price.to_dict() for price in client.prices.list(
            params={"lookup_keys": list(wanted), "limit": 100}).data)}
        for key, params in wanted.items():
            price = existing.get(key)
            if price is not None and price["unit_amount"] == params["unit_amount"]:
                report.unchanged.append(f"price {key}")
                continue
            # Stripe prices are immutable: a new amount is a new price taking the key over.
            client.prices.create(params={**params, "lookup_key": key,
                                         "transfer_lookup_key": price is not None})
            (report.updated if price is not None else report.created).append(f"price {key}")
    return report


def _wanted_prices(client, item, product_id: str) -> dict[str, dict]:
    if item.metered:
        meters = [m.to_dict() for m in client.billing.meters.list(params={"limit": 100}).data]
        meter = next((m for m in meters if m["event_name"] == item.metered["event_name"]), None)
        if meter is None:
            meter = client.billing.meters.create(params={
                "display_name": item.name["en"], "event_name": item.metered["event_name"],
                "default_aggregation": {"formula": "sum"}}).to_dict()
        return {item.lookup_key(): {
            "product": product_id, "currency": "eur", "unit_amount": item.metered["unit_amount"],
            "recurring": {"interval": "month", "usage_type": "metered", "meter": meter["id"]}}}
    return {item.lookup_key(interval): {
        "product": product_id, "currency": "eur", "unit_amount": cents,
        "recurring": {"interval": interval}} for interval, cents in item.prices.items()}


VAT_PATTERN = r"^[A-Z]{2}[0-9A-Z]{2,13}$"


def billing_details_update(*, organisation: Organisation, billing_email: str,
                           vat_number: str) -> BillingAccount:
    """The address invoices go to and the EU VAT number, here and on the Stripe customer."""
    import re

    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

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
            raise _stripe_error(exc) from exc
    account.save(update_fields=["billing_email", "vat_number"])
    return account


def _check_consultant_time(errors: dict, *, consultant, organisation, worked_on, minutes,
                           description) -> None:
    """The rules of a consultant time entry, for logging it and correcting it alike; raises
    ``DomainError`` with ``errors`` (which may already hold others) when one is broken."""
    from tenants.models import ConsultantAssignment

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
