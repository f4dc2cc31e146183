"""Requests for a demo or an offer (a quote): the way to buy when paying online is not
available, and the public site's "Request a demo" form. Writes, like billing.services: one
transaction, a DomainError naming each refused field, the e-mail to Fullmobs staff queued
after commit and composed by a worker."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.tenancy import enqueue_on_commit
from tenants.models import Organisation, User

from .catalogue import options, plans
from .models import OfferRequest

logger = logging.getLogger(__name__)

MESSAGE_MAX = 3000


def offer_request_create(*, kind: str, name: str, organisation_name: str, email: str,
                         message: str = "", plan: str = "", option_codes=(),
                         organisation: Organisation | None = None,
                         language: str = "en") -> OfferRequest:
    name, organisation_name = (name or "").strip(), (organisation_name or "").strip()
    email, message = (email or "").strip().lower(), (message or "").strip()
    option_codes = sorted(set(option_codes or ()))
    errors: dict[str, list[str]] = {}
    if kind not in OfferRequest.Kind.values:
        errors["kind"] = [_("Choose a demo or an offer.")]
    if not name:
        errors["name"] = [_("Enter your name.")]
    elif len(name) > 150:
        errors["name"] = [_("Your name is too long (150 characters at most).")]
    if not organisation_name:
        errors["organisation_name"] = [_("Enter the name of your organisation.")]
    elif len(organisation_name) > 200:
        errors["organisation_name"] = [
            _("The organisation's name is too long (200 characters at most).")]
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [_("Enter a valid e-mail address, such as name@example.org.")]
    if len(message) > MESSAGE_MAX:
        errors["message"] = [_("Your message is too long (3,000 characters at most).")]
    if plan and plan not in plans():
        errors["plan"] = [_("Choose a plan.")]
    unknown = [code for code in option_codes if code not in options()]
    if unknown:
        errors["options"] = [_("Choose options from the list.")]
    if errors:
        raise DomainError(errors)
    with transaction.atomic():
        record = OfferRequest.objects.create(
            kind=kind, name=name, organisation_name=organisation_name, email=email,
            message=message, plan=plan, options=option_codes, organisation=organisation,
            language=(language or "en")[:10])
        # By its registered name: billing.tasks imports this module.
        enqueue_on_commit("billing.tasks.notify_staff_of_offer_request", record.pk)
    return record


def staff_addresses() -> list[str]:
    """Fullmobs staff who answer requests: active staff logins, else the MANAGERS setting."""
    addresses = list(User.objects.filter(is_staff=True, is_active=True)
                     .order_by("email").values_list("email", flat=True))
    # MANAGERS is a list of (name, address) pairs here (the stubs follow Django 6's strings).
    return addresses or [address for _name, address in settings.MANAGERS]  # type: ignore[str-unpack]


def offer_request_notify_staff(*, offer_request_id: int) -> bool:
    """E-mail staff once about a request (a retried task finds it already told)."""
    with transaction.atomic():
        record = (OfferRequest.objects.select_for_update(of=("self",))
                  .select_related("organisation")
                  .filter(pk=offer_request_id, staff_notified_at__isnull=True).first())
        if record is None:
            return False
        recipients = staff_addresses()
        if not recipients:
            logger.warning("Offer request %s: no staff address to tell.", record.pk)
            return False
        # Staff read these in the team's working language; the requester's is stated.
        lines = [
            f"Kind: {record.get_kind_display()}",
            f"Name: {record.name}",
            f"Organisation: {record.organisation_name}",
            f"E-mail: {record.email}",
            f"Language: {record.language}",
        ]
        if record.organisation_id:
            assert record.organisation is not None
            lines.append(f"Fullmobs space: {record.organisation.absolute_url('/')}")
        if record.plan:
            lines.append(f"Plan: {plans()[record.plan].name['en']}")
        if record.options:
            lines.append("Options: " + ", ".join(
                options()[code].name["en"] for code in record.options if code in options()))
        if record.message:
            lines += ["", record.message]
        send_mail(subject=f"Fullmobs: {record.get_kind_display()} requested by "
                          f"{record.organisation_name}",
                  message="\n".join(lines), from_email=None, recipient_list=recipients)
        record.staff_notified_at = timezone.now()
        record.save(update_fields=["staff_notified_at"])
    return True
