"""Billing (public schema): Stripe customers and subscriptions, webhooks, usage, consultant
time. The plan catalogue itself is data (billing/catalogue.yaml)."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BillingAccount(models.Model):
    """An organisation as a Stripe customer."""

    organisation = models.OneToOneField("tenants.Organisation", on_delete=models.CASCADE,
                                        related_name="billing")
    stripe_customer_id = models.CharField(max_length=100, unique=True, null=True, blank=True)
    class CustomerKind(models.TextChoices):
        COMPANY = "company", _("Company")
        PUBLIC_BODY = "public_body", _("Public body")
        ASSOCIATION = "association", _("Association")

    billing_email = models.EmailField(_("billing e-mail"), blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=30, blank=True)
    # What invoices and quotes are made out to (billing.services.customers).
    customer_kind = models.CharField(_("kind"), max_length=20, choices=CustomerKind.choices,
                                     default=CustomerKind.COMPANY)
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    address_line1 = models.CharField(_("address"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address (continued)"), max_length=200, blank=True)
    postal_code = models.CharField(_("postcode"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="FR")
    # French public bodies: invoices are filed on Chorus Pro under the SIRET and, when the
    # body uses one, its service code.
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    chorus_service_code = models.CharField(_("Chorus Pro service code"), max_length=100,
                                           blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.organisation} ({self.stripe_customer_id or 'no customer yet'})"

    @property
    def details_complete(self) -> bool:
        """Enough to make out a quote or an invoice to."""
        return bool(self.legal_name and self.address_line1 and self.postal_code
                    and self.city and self.country)


class Subscription(models.Model):
    """What the organisation pays for, as last read from Stripe (never from an event's
    payload alone: events may arrive out of order)."""

    organisation = models.OneToOneField("tenants.Organisation", on_delete=models.CASCADE,
                                        related_name="subscription")
    stripe_subscription_id = models.CharField(max_length=100, unique=True, null=True,
                                              blank=True)
    plan = models.CharField(max_length=30, blank=True)
    options = ArrayField(models.CharField(max_length=30), default=list, blank=True)
    interval = models.CharField(max_length=10, default="month")
    stripe_status = models.CharField(max_length=30, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    past_due_since = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(default=timezone.now)
    # "charge_automatically" (card, SEPA debit through Checkout) or "send_invoice" (bank
    # transfer against an invoice, the way public bodies pay), as Stripe says.
    collection_method = models.CharField(max_length=30, default="charge_automatically")
    days_until_due = models.PositiveSmallIntegerField(null=True, blank=True)
    purchase_order = models.CharField(_("purchase-order number"), max_length=100, blank=True)

    def __str__(self) -> str:
        return f"{self.organisation}: {self.plan} {self.options} ({self.stripe_status})"


class StripeEvent(models.Model):
    """Every webhook event, stored once by its id (a replay is acknowledged, not redone)."""

    event_id = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"


class ConsultantTime(models.Model):
    """Accompaniment time a consultant spent with a client; billed once as an invoice
    item on the client's Stripe customer."""

    consultant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    organisation = models.ForeignKey("tenants.Organisation", on_delete=models.PROTECT,
                                     related_name="consultant_time")
    worked_on = models.DateField(_("date"))
    minutes = models.PositiveIntegerField(_("minutes"))
    description = models.CharField(_("what was done"), max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    stripe_invoice_item_id = models.CharField(max_length=100, blank=True)
    billed_at = models.DateTimeField(null=True, blank=True)
    # The part of ``minutes`` the accompaniment pack's hours of that month covered, fixed
    # when the entry is billed (only the rest is invoiced).
    pack_minutes = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-worked_on", "-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(minutes__gt=0, minutes__lte=24 * 60),
                                   name="consultant_time_minutes_in_a_day"),
            models.CheckConstraint(condition=Q(pack_minutes__lte=models.F("minutes")),
                                   name="consultant_time_pack_within_minutes"),
        ]

    def __str__(self) -> str:
        return f"{self.consultant} · {self.organisation} · {self.worked_on} · {self.minutes} min"


class UsageReport(models.Model):
    """One meter event a day per organisation: the billable participants added that day
    (active participants of the month beyond the plan's quota, minus those already
    reported this month)."""

    organisation = models.ForeignKey("tenants.Organisation", on_delete=models.CASCADE,
                                     related_name="usage_reports")
    day = models.DateField()
    active_participants = models.PositiveIntegerField()
    billable = models.PositiveIntegerField()
    identifier = models.CharField(max_length=120, unique=True)
    reported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "day"],
                                               name="one_usage_report_per_day")]

    def __str__(self) -> str:
        return f"{self.organisation} {self.day}: {self.billable}"


class OfferRequest(models.Model):
    """Someone asks Fullmobs for a demo or an offer (a quote): a visitor of the public
    site, or an owner whose space cannot pay online. Fullmobs staff are told by e-mail,
    sent by a worker once the request is committed."""

    class Kind(models.TextChoices):
        DEMO = "demo", _("A demo")
        OFFER = "offer", _("An offer (a quote)")

    kind = models.CharField(_("what you would like"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("your name"), max_length=150)
    organisation_name = models.CharField(_("organisation"), max_length=200)
    email = models.EmailField(_("e-mail"))
    message = models.TextField(_("message"), max_length=3000, blank=True)
    # What an owner asked for from the billing page (catalogue codes, checked on the way in).
    plan = models.CharField(max_length=30, blank=True)
    options = ArrayField(models.CharField(max_length=30), default=list, blank=True)
    organisation = models.ForeignKey("tenants.Organisation", on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="offer_requests")
    language = models.CharField(max_length=10, default="en")
    created_at = models.DateTimeField(default=timezone.now)
    staff_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.organisation_name} · {self.email}"


class Quote(models.Model):
    """A numbered quote an owner downloads before ordering (a PDF made from this row): the
    catalogue's lines and the VAT as they were on the day, valid 30 days."""

    organisation = models.ForeignKey("tenants.Organisation", on_delete=models.CASCADE,
                                     related_name="quotes")
    number = models.CharField(max_length=30, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    valid_until = models.DateField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    language = models.CharField(max_length=10, default="fr")
    plan = models.CharField(max_length=30)
    options = ArrayField(models.CharField(max_length=30), default=list, blank=True)
    interval = models.CharField(max_length=10, default="year")
    # Who it is made out to, as the billing details read that day.
    customer = models.JSONField(default=dict)
    # [{"code", "kind", "amount"}] in cents, excluding VAT.
    lines = models.JSONField(default=list)
    subtotal = models.PositiveIntegerField()
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    vat = models.PositiveIntegerField()
    total = models.PositiveIntegerField()
    vat_note = models.CharField(max_length=30, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(total=models.F("subtotal")
                                                          + models.F("vat")),
                                              name="quote_total_is_subtotal_plus_vat")]

    def __str__(self) -> str:
        return f"{self.number} · {self.organisation}"


class QuotaReachedNotice(models.Model):
    """The owners were told that the month's participants filled the plan's quota: one
    row per organisation and month, so they are told once (the unique constraint holds
    it, whichever join took the last place)."""

    organisation = models.ForeignKey("tenants.Organisation", on_delete=models.CASCADE,
                                     related_name="quota_notices")
    month = models.DateField()
    participants = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "month"],
                                               name="one_quota_notice_a_month")]

    def __str__(self) -> str:
        return f"{self.organisation} {self.month:%Y-%m}: {self.participants}"


class QuotaNoticeEmail(models.Model):
    """One owner's e-mail about a ``QuotaReachedNotice``: queued once (``dedupe_key``
    ``quota:<notice>:<user>`` is unique), sent once (``sent_at`` under the row's lock)."""

    notice = models.ForeignKey(QuotaReachedNotice, on_delete=models.CASCADE,
                               related_name="emails")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    dedupe_key = models.CharField(max_length=60, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.dedupe_key
