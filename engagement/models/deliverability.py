"""Addresses that providers reported undeliverable, and the provider events already seen.

A hard bounce, a spam complaint or a provider's refusal marks the address at once; soft
bounces are counted and mark it only at ``settings.EMAIL_SOFT_BOUNCE_LIMIT`` in a row (a
delivery in between starts the count again). The outbox sends nothing to a marked address
(``OutboundEmail.Status.BOUNCED``) until an organiser clears the mark.
"""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .messages import OutboundEmail


class EmailDeliverability(models.Model):
    """What the e-mail provider said about one address (stored lower-case)."""

    PERSONAL_FIELDS = ("email", "detail")

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", _("The address does not exist (bounce)")
        COMPLAINT = "complaint", _("The person marked an e-mail as spam")
        REJECTED = "rejected", _("The e-mail provider refuses to send to it")
        SOFT_BOUNCES = "soft_bounces", _("Repeated temporary failures")

    email = models.EmailField(_("e-mail address"), unique=True)
    soft_bounces = models.PositiveSmallIntegerField(default=0)
    undeliverable_since = models.DateTimeField(_("undeliverable since"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices, blank=True)
    # The receiving server's or the provider's own words, as reported.
    detail = models.CharField(max_length=500, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-undeliverable_since"]
        constraints = [
            # A mark always says why; no reason without a mark.
            models.CheckConstraint(
                condition=Q(undeliverable_since__isnull=True, reason="")
                | Q(undeliverable_since__isnull=False) & ~Q(reason=""),
                name="deliverability_mark_has_reason"),
            models.CheckConstraint(condition=Q(email=Lower("email")),
                                   name="deliverability_email_lower"),
        ]

    def __str__(self) -> str:
        return self.email


class EmailEvent(models.Model):
    """A provider's tracking event, stored once: the unique key makes a webhook delivered
    twice (providers retry) change nothing the second time."""

    provider = models.CharField(max_length=30)
    # The provider's event id, or a digest of the event when it gives none.
    event_key = models.CharField(max_length=128)
    event_type = models.CharField(max_length=20)
    occurred_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    outbound_email = models.ForeignKey(OutboundEmail, null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="events")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "event_key"],
                                               name="email_event_once")]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_type}"
