"""Tenant-schema data: each organisation's own mobilisation programmes.

A programme made from a methodology template keeps a snapshot of the version it was made
from (steps, messages, levers, indicators, survey): later edits of the library never change
a running programme. It remembers the version, so a newer one can be offered and applied.
"""

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from methodology.models import (
    Bilingual,
    MessageKind,
    OwnerRole,
    PhaseCode,
    QuestionKind,
    SurveyMoment,
    TemplateVersion,
)


class Programme(models.Model):
    """A mobilisation programme run by the organisation (a series of campaigns)."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    starts_on = models.DateField(_("start date"))
    ends_on = models.DateField(_("end date"))
    action_date = models.DateField(
        _("action date"), null=True, blank=True,
        help_text=_("The day of the main action; the checklist's due dates count from it."))
    participant_target = models.PositiveIntegerField(_("participant target"), default=0)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Paris")
    template_version = models.ForeignKey(
        TemplateVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("methodology version"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="programme_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ProgrammeStep(Bilingual, models.Model):
    class Status(models.TextChoices):
        TODO = "todo", _("To do")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        SKIPPED = "skipped", _("Not applicable")

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="steps")
    key = models.SlugField(max_length=60)
    phase_code = models.CharField(max_length=20, choices=PhaseCode.choices)
    phase_title_fr = models.CharField(max_length=200)
    phase_title_en = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField()
    title_fr = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    guidance_fr = models.TextField(blank=True)
    guidance_en = models.TextField(blank=True)
    owner_role = models.CharField(max_length=20, choices=OwnerRole.choices)
    due_offset_days = models.IntegerField()
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.TODO)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["programme", "key"],
                                               name="programme_step_key_unique")]

    def __str__(self) -> str:
        return self.title_en

    @property
    def is_closed(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.SKIPPED)

    @property
    def is_overdue(self) -> bool:
        return not self.is_closed and self.due_at < timezone.now()


class ProgrammeMessage(Bilingual, models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=20, choices=MessageKind.choices)
    subject_fr = models.CharField(max_length=250)
    subject_en = models.CharField(max_length=250)
    body_fr = models.TextField()
    body_en = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["programme", "kind"],
                                               name="programme_message_kind_unique")]


class ProgrammeLever(Bilingual, models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="levers")
    code = models.SlugField(max_length=50)
    position = models.PositiveSmallIntegerField()
    name_fr = models.CharField(max_length=120)
    name_en = models.CharField(max_length=120)
    note_fr = models.TextField(blank=True)
    note_en = models.TextField(blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["programme", "code"],
                                               name="programme_lever_unique")]


class ProgrammeIndicator(Bilingual, models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE,
                                  related_name="indicators")
    code = models.SlugField(max_length=50)
    position = models.PositiveSmallIntegerField()
    unit = models.CharField(max_length=20)
    label_fr = models.CharField(max_length=120)
    label_en = models.CharField(max_length=120)
    sdg = models.PositiveSmallIntegerField()
    target_per_participant = models.DecimalField(max_digits=10, decimal_places=2, null=True,
                                                 blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["programme", "code"],
                                               name="programme_indicator_unique")]


class ProgrammeSurveyQuestion(Bilingual, models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE,
                                  related_name="survey_questions")
    moment = models.CharField(max_length=20, choices=SurveyMoment.choices)
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=QuestionKind.choices)
    text_fr = models.TextField()
    text_en = models.TextField()

    class Meta:
        ordering = ["moment", "position"]


class Campaign(models.Model):
    """One action of a programme: a target of participants to reach by a deadline."""

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
    code = models.SlugField(_("short address"), max_length=12, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    place = models.CharField(_("place"), max_length=300, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    participant_target = models.PositiveIntegerField(_("participant target"))
    mobilisation_deadline = models.DateTimeField(_("mobilisation deadline"))
    visibility = models.CharField(max_length=10, choices=Visibility.choices,
                                  default=Visibility.INTERNAL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")),
                                   name="campaign_ends_after_start"),
            models.CheckConstraint(condition=Q(mobilisation_deadline__lte=F("starts_at")),
                                   name="campaign_deadline_before_start"),
        ]

    def __str__(self) -> str:
        return self.title


class Slot(models.Model):
    """A time window of a campaign with a capacity. ``confirmed_seats`` counts confirmed
    participants and their companions; the database refuses any row where it exceeds the
    capacity, so no code path (or race) can over-fill a slot."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    capacity = models.PositiveIntegerField(_("capacity"))
    confirmed_seats = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["starts_at"]
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


class Participant(models.Model):
    """Someone who gives time; no login, reached through signed links."""

    email = models.EmailField(_("e-mail address"))
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    language = models.CharField(_("language"), max_length=5, default="fr")
    team = models.CharField(_("team or department"), max_length=100, blank=True)
    site = models.CharField(_("site"), max_length=100, blank=True)
    neighbourhood = models.CharField(_("neighbourhood"), max_length=100, blank=True)
    postcode = models.CharField(_("postcode"), max_length=12, blank=True)
    age_band = models.CharField(_("age band"), max_length=10, blank=True)
    consent_to_contact = models.BooleanField(_("agrees to be contacted"), default=False)
    source = models.CharField(_("source"), max_length=30, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"),
                                               name="participant_email_ci_unique")]

    def __str__(self) -> str:
        return self.email


class Pledge(models.Model):
    """A participant's commitment of time to a slot, with companions who come along."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        WAITLISTED = "waitlisted", _("On the waiting list")
        CANCELLED = "cancelled", _("Cancelled")

    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="pledges")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE,
                                    related_name="pledges")
    companions = models.PositiveSmallIntegerField(_("companions"), default=0)
    companion_names = models.CharField(_("companions' first names"), max_length=300,
                                       blank=True)
    status = models.CharField(max_length=12, choices=Status.choices)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["slot", "participant"],
                condition=~Q(status="cancelled"),
                name="one_live_pledge_per_slot"),
            models.CheckConstraint(condition=Q(companions__lte=20),
                                   name="pledge_companions_at_most_20"),
        ]

    def __str__(self) -> str:
        return f"{self.participant} → {self.slot} ({self.status})"

    @property
    def seats(self) -> int:
        return 1 + self.companions
