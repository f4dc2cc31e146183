"""Programmes: a copy of a methodology template version, steps, messages, levers,
indicators and survey, which later library edits never change."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.formats import number_format
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

from .bilingual import BilingualContent, bilingual_constraints

# The most people a target or a slot can count. Far above any real action (a city-wide
# campaign is tens of thousands), far below PostgreSQL's integer (2,147,483,647): a number
# past it is a typing slip or a probe, refused with a message on the field rather than
# reaching the database as an "integer out of range" error.
PEOPLE_MAX = 1_000_000


@deconstructible(path="engagement.models.AtMostValidator")
class AtMostValidator(MaxValueValidator):
    """A maximum whose message writes the limit the reader's way (1,000,000 / 1 000 000)."""

    message = _("Enter a number no larger than %(limit)s.")

    def __call__(self, value):
        if value is not None and self.compare(self.clean(value), self.limit_value):
            raise ValidationError(self.message, code=self.code, params={
                "limit": number_format(self.limit_value, force_grouping=True),
                "value": value})


def at_most_people() -> AtMostValidator:
    return AtMostValidator(PEOPLE_MAX)


class Programme(BilingualContent):
    """A mobilisation programme run by the organisation (a series of campaigns). ``name``
    and ``description`` are in ``content_language`` (``engagement.bilingual``)."""

    TRANSLATED_FIELDS = {"name": 200, "description": None}

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    starts_on = models.DateField(_("start date"))
    ends_on = models.DateField(_("end date"))
    action_date = models.DateField(
        _("action date"), null=True, blank=True,
        help_text=_("The day of the main action; the checklist's due dates count from it."))
    participant_target = models.PositiveIntegerField(_("participant target"), default=0,
                                                     validators=[at_most_people()])
    # References from a tenant schema to the public schema are checked by PostgreSQL (the
    # foreign key refuses deleting a version in use); Django's cascade collector must not
    # look for them, as it runs in the public schema where tenant tables do not exist.
    template_version = models.ForeignKey(
        TemplateVersion, null=True, blank=True, on_delete=models.DO_NOTHING,
        related_name="+", verbose_name=_("methodology version"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="programme_ends_after_start"
            ),
            *bilingual_constraints("programme"),
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
    # Snapshotted from the template: the same measure at both moments is a pair.
    measure = models.SlugField(max_length=50, blank=True)

    class Meta:
        ordering = ["moment", "position"]
