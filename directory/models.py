"""The public directory of actions (public schema): the one place where an organisation's
campaigns appear outside its own schema, and only the fields its public campaign page
already publishes (docs/architecture.md, "What crosses schemas: the public index")."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DirectoryChoice(models.Model):
    """An organisation's choice to list its public campaigns in the directory. No row, or
    ``listed`` false, means not listed: nothing is published until an owner chooses it
    (docs/decisions.md, "The directory of actions: off until chosen")."""

    organisation = models.OneToOneField("tenants.Organisation", on_delete=models.CASCADE,
                                        primary_key=True, related_name="directory_choice")
    listed = models.BooleanField(
        _("list our public campaigns in the Fullmobs directory"), default=False)
    chosen_at = models.DateTimeField(default=timezone.now)
    chosen_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")


class ListedCampaign(models.Model):
    """One public campaign as its organisation publishes it. Written only by
    ``directory.services`` on the commit of the organisation's own campaign and pledge
    services; never a participant, never a text the public page does not show."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        SUCCEEDED = "succeeded", _("Target reached")
        FAILED = "failed", _("Target missed")
        COMPLETED = "completed", _("Completed")

    organisation = models.ForeignKey("tenants.Organisation", on_delete=models.CASCADE,
                                     related_name="listed_campaigns")
    # The campaign's id in its organisation's schema: no foreign key can reach it.
    campaign_id = models.PositiveIntegerField()
    title_fr = models.CharField(max_length=200, blank=True)
    title_en = models.CharField(max_length=200, blank=True)
    organiser = models.CharField(max_length=150)
    place = models.CharField(max_length=300, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    mobilisation_deadline = models.DateTimeField()
    # The organisation's time zone: the times are shown as its campaign page shows them.
    time_zone = models.CharField(max_length=64, default="Europe/Paris")
    participant_target = models.PositiveIntegerField()
    mobilised = models.PositiveIntegerField(default=0)
    # The theme of the methodology template the programme was made from ("" without one).
    theme = models.CharField(max_length=30, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    public_url = models.URLField(max_length=300)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "campaign_id"],
                                    name="listed_campaign_once"),
            # A place on the map is a pair, inside the globe, or nothing.
            models.CheckConstraint(
                condition=(Q(latitude__isnull=True, longitude__isnull=True)
                           | Q(latitude__gte=-90, latitude__lte=90,
                               longitude__gte=-180, longitude__lte=180)),
                name="listed_campaign_coordinates_pair"),
            models.CheckConstraint(condition=Q(participant_target__gt=0),
                                   name="listed_campaign_target_positive"),
            models.CheckConstraint(condition=~Q(title_fr="", title_en=""),
                                   name="listed_campaign_has_title"),
        ]
        indexes = [
            models.Index(fields=["ends_at"], name="listed_campaign_ends"),
            models.Index(fields=["theme", "starts_at"], name="listed_campaign_theme"),
        ]

    def __str__(self) -> str:
        return self.title_fr or self.title_en

    def title(self, lang: str) -> str:
        """The title in ``lang``, or the other language's when only that one was written."""
        if lang == "fr":
            return self.title_fr or self.title_en
        return self.title_en or self.title_fr

    @property
    def progress_percent(self) -> int:
        return min(100, round(100 * self.mobilised / self.participant_target))

    @property
    def target_reached(self) -> bool:
        return self.mobilised >= self.participant_target

    @property
    def results_url(self) -> str:
        """The public results page of an action whose outcome is decided ("" otherwise)."""
        if self.status not in ("succeeded", "failed", "completed"):
            return ""
        return f"{self.public_url.rstrip('/')}/results/"
