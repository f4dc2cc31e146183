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
    billing_email = models.EmailField(_("billing e-mail"), blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=30, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.organisation} ({self.stripe_customer_id or 'no customer yet'})"


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

    class Meta:
        ordering = ["-worked_on", "-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(minutes__gt=0, minutes__lte=24 * 60),
                                   name="consultant_time_minutes_in_a_day"),
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
