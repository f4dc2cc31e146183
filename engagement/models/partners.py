"""A campaign's partner association (the one that runs the action on the day, shown with
its logo on the campaign page and in reports) and the links that let the partner read the
campaign's aggregate figures."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .campaigns import Campaign


class CampaignPartner(models.Model):
    """One partner per campaign. The logo is a bounded copy of what was uploaded
    (``tenants.services.bounded_image``), stored under the organisation's own prefix."""

    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE, related_name="partner")
    name = models.CharField(_("partner's name"), max_length=150)
    website = models.URLField(_("partner's website"), max_length=300, blank=True)
    logo = models.ImageField(_("partner's logo"), upload_to="partners/", blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class PartnerLink(models.Model):
    """A link the organiser shares with the partner: it opens a read-only page of the
    campaign's aggregate figures. Only the SHA-256 of its token is kept (the token is shown
    once, when made); a revoked link answers 404. One live link per campaign (a partial
    unique index): making a new one revokes the old in the same transaction."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE,
                                 related_name="partner_links")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey("tenants.User", null=True, blank=True,
                                   on_delete=models.DO_NOTHING, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign"], condition=Q(revoked_at__isnull=True),
                                    name="one_live_partner_link_per_campaign"),
        ]

    def __str__(self) -> str:
        return f"partner link of campaign {self.campaign_id}"
