"""Campaigns, their slots, teams and recorded impact."""

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .bilingual import BilingualContent, bilingual_constraints
from .programmes import Programme, ProgrammeIndicator, at_most_people


def _short_code() -> str:
    import secrets

    return secrets.token_urlsafe(6).replace("-", "x").replace("_", "y").lower()[:8]


def _referral_code() -> str:
    import secrets

    return secrets.token_urlsafe(9)


class Team(models.Model):
    """A department, site team or neighbourhood that participants belong to."""

    class Kind(models.TextChoices):
        DEPARTMENT = "department", _("Department")
        NEIGHBOURHOOD = "neighbourhood", _("Neighbourhood")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices,
                            default=Kind.DEPARTMENT)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="team_name_ci_unique")]

    def __str__(self) -> str:
        return self.name


class Campaign(BilingualContent):
    """One action of a programme: a target of participants to reach by a deadline.
    ``title`` and ``description`` are in ``content_language``; ``localized()`` reads them
    in the reader's language (``engagement.bilingual``)."""

    TRANSLATED_FIELDS = {"title": 200, "description": None}

    class Visibility(models.TextChoices):
        INTERNAL = "internal", _("Internal to the organisation")
        PUBLIC = "public", _("Public")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        SUCCEEDED = "succeeded", _("Target reached")
        FAILED = "failed", _("Target missed")
        COMPLETED = "completed", _("Completed")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="campaigns")
    code = models.SlugField(_("short address"), max_length=12, unique=True,
                            default=_short_code)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True,
                                   help_text=_("Markdown: **bold**, lists, links."))
    place = models.CharField(_("place"), max_length=300, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    participant_target = models.PositiveIntegerField(_("participant target"),
                                                     validators=[at_most_people()])
    mobilisation_deadline = models.DateTimeField(_("mobilisation deadline"))
    visibility = models.CharField(_("visibility"), max_length=10, choices=Visibility.choices,
                                  default=Visibility.INTERNAL)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.DRAFT)
    # The per-campaign opt-out of the public directory of actions: a public campaign is
    # listed there only while its organisation lists its campaigns and this stays true.
    listed_in_directory = models.BooleanField(
        _("show in the Fullmobs directory of actions"), default=True, db_default=True,
        help_text=_("Only for a public campaign, while your organisation lists its public "
                    "campaigns in the directory (Settings)."))
    closed_at = models.DateTimeField(null=True, blank=True)
    # When it was opened for pledges (campaign_open): the start of its pledge trajectory,
    # which the lab's forecast reads from here to the mobilisation deadline.
    opened_at = models.DateTimeField(null=True, blank=True)
    checkin_secret = models.CharField(max_length=32, default=_referral_code, editable=False)
    # A party bringing more companions than this waits for an organiser's approval before
    # it takes places (the public form lets anyone announce up to 20 companions).
    party_approval_above = models.PositiveSmallIntegerField(
        _("companions without approval"), default=5,
        help_text=_("A larger group waits for an organiser's approval before it takes "
                    "places."))
    created_at = models.DateTimeField(default=timezone.now)
    # A failed campaign relaunched as a new one (campaign_relaunch): the old one stays
    # failed and points at its successor.
    relaunched_as = models.OneToOneField("self", null=True, blank=True,
                                         on_delete=models.SET_NULL,
                                         related_name="relaunched_from")

    class FreedSeats(models.TextChoices):
        OFFER = "offer", _("Offer them to the next person, who confirms")
        PROMOTE = "promote", _("Give them to the next person automatically")

    # What a seat freed by a cancellation becomes (docs/decisions.md, "waiting list"): an
    # offer the next person on the waiting list confirms within a time limit, or a place
    # given to them at once.
    freed_seats = models.CharField(_("freed places"), max_length=10,
                                   choices=FreedSeats.choices, default=FreedSeats.OFFER)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")),
                                   name="campaign_ends_after_start"),
            models.CheckConstraint(condition=Q(mobilisation_deadline__lte=F("starts_at")),
                                   name="campaign_deadline_before_start"),
            models.CheckConstraint(condition=Q(participant_target__gt=0),
                                   name="campaign_target_positive"),
            *bilingual_constraints("campaign"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN and timezone.now() < self.mobilisation_deadline


class Slot(models.Model):
    """A time window of a campaign with a capacity. ``confirmed_seats`` counts confirmed
    participants and their companions; the database refuses any row where it exceeds the
    capacity, so no code path (or race) can over-fill a slot."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    capacity = models.PositiveIntegerField(_("capacity"), validators=[at_most_people()])
    confirmed_seats = models.PositiveIntegerField(default=0, editable=False)
    # The iCalendar SEQUENCE of the slot's invitations: moved by one each time the slot's
    # times change, so calendars replace the event instead of adding another.
    sequence = models.PositiveIntegerField(default=0, editable=False)
    # Skills-based volunteering: the hours given in this slot are valued at the skill's
    # rate instead of the organisation's hour value (a pledge can name its own skill).
    skill = models.ForeignKey("engagement.Skill", null=True, blank=True,
                              on_delete=models.PROTECT, related_name="slots",
                              verbose_name=_("skill (skills-based volunteering)"))

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gt=0), name="slot_capacity_positive"),
            models.CheckConstraint(condition=Q(confirmed_seats__lte=F("capacity")),
                                   name="slot_never_over_capacity"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")),
                                   name="slot_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600

    @property
    def seats_left(self) -> int:
        return self.capacity - self.confirmed_seats


class ImpactRecord(models.Model):
    """A measured result of a campaign for one of its programme's indicators."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="impacts")
    indicator = models.ForeignKey(ProgrammeIndicator, on_delete=models.PROTECT,
                                  related_name="records")
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey("tenants.User", null=True, blank=True,
                                    on_delete=models.DO_NOTHING, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["indicator__position"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "indicator"],
                                    name="one_impact_record_per_indicator"),
            models.CheckConstraint(condition=Q(value__gte=0), name="impact_value_positive"),
        ]
