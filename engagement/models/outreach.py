"""Reaching people in numbers: bulk invitations and their hourly allowance, and what
happened to a campaign that missed its target (postponed, relaunched)."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .campaigns import Campaign


class InvitationBatch(models.Model):
    """One "invite them all" by an organiser: the audience chosen, the lever and channel
    recorded on each of its invitations, and how many people it reached."""

    class Audience(models.TextChoices):
        ALL = "all", _("Every participant")
        IMPORTED = "imported", _("People from imported lists")
        TEAM = "team", _("A team")
        SITE = "site", _("A site")
        NEVER_PLEDGED = "never_pledged", _("People who have never pledged")
        CAMPAIGN = "campaign", _("The people of an earlier campaign")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE,
                                 related_name="invitation_batches")
    organiser = models.ForeignKey("tenants.User", null=True, blank=True,
                                  on_delete=models.DO_NOTHING, related_name="+")
    audience = models.CharField(_("audience"), max_length=15, choices=Audience.choices)
    audience_label = models.CharField(_("audience"), max_length=200, blank=True)
    channel = models.CharField(_("channel"), max_length=12)
    lever_code = models.SlugField(_("lever"), max_length=50)
    invited = models.PositiveIntegerField(default=0)
    # Delivery under the hourly cap: the invitations are all recorded at once; their
    # e-mails leave in pk order, as many an hour as the allowance gives. ``sent`` of them
    # are composed, up to the invitation ``sent_through`` (its pk); ``next_at`` is when
    # the rest go out (empty once all are sent).
    sent = models.PositiveIntegerField(default=0)
    sent_through = models.PositiveBigIntegerField(default=0)
    next_at = models.DateTimeField(null=True, blank=True)
    # A lever experiment's variant sends its own wording instead of the programme's
    # invitation: {"subject_fr", "subject_en", "body_fr", "body_en"} (empty: the programme's).
    wording = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(sent__lte=F("invited")),
                                              name="invitation_batch_sent_within_invited")]
        indexes = [models.Index(fields=["next_at"], name="invitation_batch_next_at",
                                condition=Q(next_at__isnull=False))]


class BulkSendHour(models.Model):
    """How many bulk invitations the organisation sent in one clock hour. The hourly cap
    (``settings.BULK_INVITATIONS_PER_HOUR``) is taken by one conditional UPDATE, as a
    slot's seats are: concurrent sends serialise on the hour's row and none can pass the
    cap between a check and a write."""

    hour = models.DateTimeField(unique=True)
    invitations = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(invitations__gte=0),
                                              name="bulk_send_hour_not_negative")]


class CampaignEvent(models.Model):
    """What happened to a campaign after its target was missed (or about to be): its
    history on the organiser's page."""

    class Kind(models.TextChoices):
        POSTPONED = "postponed", _("Postponed")
        RELAUNCHED = "relaunched", _("Relaunched as a new campaign")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    by = models.ForeignKey("tenants.User", null=True, blank=True,
                           on_delete=models.DO_NOTHING, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    previous_starts_at = models.DateTimeField()
    new_starts_at = models.DateTimeField()
    previous_deadline = models.DateTimeField()
    new_deadline = models.DateTimeField()
    relaunch = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    people_told = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-at", "-pk"]
