"""The methodology library (public schema): templates, their immutable published versions,
and the catalogues of levers and impact indicators they draw on."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.i18n import language, other

from . import document


def _choices(values):
    return [(value, value.replace("_", " ")) for value in values]


class Bilingual:
    """``obj.tr("title")`` is ``title_fr`` or ``title_en`` in the active language, falling
    back to the other when empty."""

    def tr(self, name: str) -> str:
        lang = language()
        return getattr(self, f"{name}_{lang}") or getattr(self, f"{name}_{other(lang)}")


class Audience(models.TextChoices):
    EMPLOYEES = "employees", _("Employees")
    CUSTOMERS = "customers", _("Customers")
    CITIZENS = "citizens", _("Citizens")


class Theme(models.TextChoices):
    ENVIRONMENT = "environment", _("Environment")
    BIODIVERSITY = "biodiversity", _("Biodiversity")
    SOLIDARITY = "solidarity", _("Solidarity")
    ROAD_SAFETY = "road_safety", _("Road safety")
    COMPANY_VALUES = "company_values", _("Company values")
    HEALTH_SPORT = "health_sport", _("Health and sport")


class OwnerRole(models.TextChoices):
    PROGRAMME_LEAD = "programme_lead", _("Programme lead")
    COMMUNICATIONS = "communications", _("Communications")
    MANAGERS = "managers", _("Managers")
    LOGISTICS = "logistics", _("Logistics")
    PARTNERS = "partners", _("Partners")
    CONSULTANT = "consultant", _("Fullmobs consultant")


class PhaseCode(models.TextChoices):
    FRAME = "frame", _("Frame")
    MOBILISE = "mobilise", _("Mobilise")
    ACT = "act", _("Act")
    CELEBRATE = "celebrate", _("Celebrate")
    SUSTAIN = "sustain", _("Sustain")


class MessageKind(models.TextChoices):
    """The messages a template (and a programme made from it) words its own way; the
    engagement outbox's ``EmailKind`` is this list followed by the e-mails only the project
    writes."""

    INVITATION = "invitation", _("Invitation")
    REMINDER_D7 = "reminder_d7", _("Reminder D-7")
    REMINDER_D1 = "reminder_d1", _("Reminder D-1")
    THANK_YOU = "thank_you", _("Thank-you")
    IMPACT_RECAP = "impact_recap", _("Impact recap")
    FOLLOW_UP_SURVEY = "follow_up_survey", _("Follow-up survey")


class SurveyMoment(models.TextChoices):
    AFTER_ACTION = "after_action", _("Right after the action")
    FOLLOW_UP = "follow_up", _("90 days later")


class QuestionKind(models.TextChoices):
    SCALE = "scale", _("Scale from 1 to 5")
    YES_NO = "yes_no", _("Yes or no")
    TEXT = "text", _("Free text")


assert tuple(Audience.values) == document.AUDIENCES
assert tuple(Theme.values) == document.THEMES
assert tuple(OwnerRole.values) == document.OWNER_ROLES
assert tuple(PhaseCode.values) == document.PHASE_CODES
assert tuple(MessageKind.values) == document.MESSAGE_KINDS


class Lever(Bilingual, models.Model):
    code = models.SlugField(max_length=50, unique=True)
    name_fr = models.CharField(max_length=120)
    name_en = models.CharField(max_length=120)
    description_fr = models.TextField()
    description_en = models.TextField()
    audiences = ArrayField(models.CharField(max_length=20, choices=Audience.choices),
                           default=list)

    class Meta:
        ordering = ["code"]
        verbose_name = _("lever")
        verbose_name_plural = _("levers")

    def __str__(self) -> str:
        return self.code


class ImpactIndicator(Bilingual, models.Model):
    code = models.SlugField(max_length=50, unique=True)
    unit = models.CharField(max_length=20)
    label_fr = models.CharField(max_length=120)
    label_en = models.CharField(max_length=120)
    sdg = models.PositiveSmallIntegerField(_("UN Sustainable Development Goal"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("impact indicator")
        verbose_name_plural = _("impact indicators")
        constraints = [models.CheckConstraint(condition=Q(sdg__gte=1, sdg__lte=17),
                                              name="indicator_sdg_1_to_17")]

    def __str__(self) -> str:
        return self.code


class Template(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["slug"]
        verbose_name = _("methodology template")
        verbose_name_plural = _("methodology templates")

    def __str__(self) -> str:
        return self.slug


class TemplateVersion(Bilingual, models.Model):
    """One version of a template. Published versions never change (a database trigger
    refuses it): editing one makes a new draft."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    title_fr = models.CharField(max_length=200, blank=True)
    title_en = models.CharField(max_length=200, blank=True)
    summary_fr = models.TextField(blank=True)
    summary_en = models.TextField(blank=True)
    audience = models.CharField(max_length=20, choices=Audience.choices)
    theme = models.CharField(max_length=30, choices=Theme.choices)
    typical_duration_days = models.PositiveIntegerField()
    default_participant_target = models.PositiveIntegerField()
    sdgs = ArrayField(models.PositiveSmallIntegerField(), default=list)
    created_at = models.DateTimeField(default=timezone.now)
    # PROTECT: a published version never changes, so its authors' accounts cannot be
    # deleted (deactivate them instead).
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["template__slug", "-number"]
        verbose_name = _("template version")
        verbose_name_plural = _("template versions")
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="version_number_unique"),
            models.UniqueConstraint(fields=["template"], condition=Q(status="draft"),
                                    name="one_draft_per_template"),
        ]

    def __str__(self) -> str:
        return f"{self.template.slug} v{self.number} ({self.status})"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class Phase(Bilingual, models.Model):
    version = models.ForeignKey(TemplateVersion, on_delete=models.CASCADE,
                                related_name="phases")
    position = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=20, choices=PhaseCode.choices)
    title_fr = models.CharField(max_length=200, blank=True)
    title_en = models.CharField(max_length=200, blank=True)
    description_fr = models.TextField(blank=True)
    description_en = models.TextField(blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["version", "position"],
                                               name="phase_position_unique")]


class Step(Bilingual, models.Model):
    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    key = models.SlugField(max_length=60)
    title_fr = models.CharField(max_length=200, blank=True)
    title_en = models.CharField(max_length=200, blank=True)
    guidance_fr = models.TextField(blank=True)
    guidance_en = models.TextField(blank=True)
    owner_role = models.CharField(max_length=20, choices=OwnerRole.choices)
    due_offset_days = models.IntegerField(
        help_text=_("Days relative to the action date: -21 is three weeks before."))

    class Meta:
        ordering = ["phase__position", "position"]
        constraints = [models.UniqueConstraint(fields=["phase", "position"],
                                               name="step_position_unique")]


class TemplateLever(Bilingual, models.Model):
    version = models.ForeignKey(TemplateVersion, on_delete=models.CASCADE,
                                related_name="levers")
    lever = models.ForeignKey(Lever, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    note_fr = models.TextField(blank=True)
    note_en = models.TextField(blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["version", "lever"],
                                               name="template_lever_unique")]


class MessageTemplate(Bilingual, models.Model):
    version = models.ForeignKey(TemplateVersion, on_delete=models.CASCADE,
                                related_name="messages")
    kind = models.CharField(max_length=20, choices=MessageKind.choices)
    subject_fr = models.CharField(max_length=250, blank=True)
    subject_en = models.CharField(max_length=250, blank=True)
    body_fr = models.TextField(blank=True)
    body_en = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["version", "kind"],
                                               name="message_kind_unique")]


class TemplateIndicator(models.Model):
    version = models.ForeignKey(TemplateVersion, on_delete=models.CASCADE,
                                related_name="indicators")
    indicator = models.ForeignKey(ImpactIndicator, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    target_per_participant = models.DecimalField(max_digits=10, decimal_places=2, null=True,
                                                 blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["version", "indicator"],
                                               name="template_indicator_unique")]


class SurveyQuestion(Bilingual, models.Model):
    version = models.ForeignKey(TemplateVersion, on_delete=models.CASCADE,
                                related_name="survey_questions")
    moment = models.CharField(max_length=20, choices=SurveyMoment.choices)
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=QuestionKind.choices)
    text_fr = models.TextField(blank=True)
    text_en = models.TextField(blank=True)
    # The same measure asked after the action and at the follow-up: a before/after pair.
    measure = models.SlugField(max_length=50, blank=True)

    class Meta:
        ordering = ["moment", "position"]


class ReferenceTrajectory(models.Model):
    """The pledge trajectory of one finished campaign of any organisation, anonymised: the
    lab's forecasts compare open campaigns with these. It holds the template, the kind and
    size band of the organisation, the people confirmed (cumulative) at each of the 21 time
    fractions of ``lab.forecast.GRID`` from its opening to its mobilisation deadline
    (``curve``), the final count, the target and the month it finished; the keys are
    keyed hashes (``lab.references``), not ids, so that an organisation can leave out its
    own campaigns without anyone learning whose a row is. No name, no participant."""

    class OrganisationKind(models.TextChoices):
        COMPANY = "company", _("Company")
        LOCAL_AUTHORITY = "local_authority", _("Local authority")
        ASSOCIATION = "association", _("Association")

    # The bands of the evidence tables (``lab.evidence.contributions.size_band``), by people known.
    class SizeBand(models.TextChoices):
        SMALL = "small", _("Under 250 people")
        MEDIUM = "medium", _("250 to 2,499 people")
        LARGE = "large", _("2,500 people or more")

    campaign_key = models.CharField(max_length=64, unique=True)
    organisation_key = models.CharField(max_length=64, db_index=True)
    template = models.ForeignKey(Template, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="reference_trajectories")
    organisation_kind = models.CharField(max_length=20, choices=OrganisationKind.choices)
    size_band = models.CharField(max_length=12, choices=SizeBand.choices)
    curve = ArrayField(models.FloatField(), size=21)
    final = models.PositiveIntegerField()
    target = models.PositiveIntegerField()
    finished_month = models.DateField()
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-finished_month", "pk"]
        constraints = [models.CheckConstraint(condition=Q(target__gt=0),
                                              name="reference_trajectory_target_positive")]


# ---- Evidence across organisations (issue 15, part 4) ---------------------------------
# Filled by ``lab.evidence.contributions`` (nightly): counts only, never a person. "" in a dimension
# means "all" (the total over it); docs/architecture.md "What crosses schemas".

class EvidenceContribution(models.Model):
    """One organisation's counts in one cell. ``organisation_key`` is an HMAC of the
    schema name keyed with SECRET_KEY: stable, opaque, not the organisation's id."""

    organisation_key = models.CharField(max_length=64)
    template = models.SlugField(max_length=60, blank=True)
    lever = models.SlugField(max_length=50, blank=True)
    channel = models.CharField(max_length=12, blank=True)
    kind = models.CharField(max_length=20)
    size_band = models.CharField(max_length=10)
    segment = models.CharField(max_length=10, default="all")
    campaigns = models.PositiveIntegerField(default=0)
    decided = models.PositiveIntegerField(default=0)
    reached = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    pledged = models.PositiveIntegerField(default=0)
    attended = models.PositiveIntegerField(default=0)
    people = models.PositiveIntegerField(default=0)
    is_demo = models.BooleanField(default=False)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["organisation_key", "template", "lever", "channel", "segment"],
            name="evidence_contribution_unique")]


class EvidenceCell(models.Model):
    """A published (or suppressed) cell: figures are empty when ``published`` is false.
    ``baseline_keys`` are the organisation keys behind the last figures published for the
    cell (never shown): new figures are published only when the set of organisations is
    the same or differs by at least five (docs/decisions.md, issue 15 part 4)."""

    template = models.SlugField(max_length=60, blank=True)
    lever = models.SlugField(max_length=50, blank=True)
    channel = models.CharField(max_length=12, blank=True)
    kind = models.CharField(max_length=20, blank=True)
    size_band = models.CharField(max_length=10, blank=True)
    segment = models.CharField(max_length=10, default="all")
    published = models.BooleanField(default=False)
    reason = models.CharField(max_length=20, blank=True)
    organisations = models.PositiveIntegerField(null=True)
    people = models.PositiveIntegerField(null=True)
    campaigns = models.PositiveIntegerField(null=True)
    decided = models.PositiveIntegerField(null=True)
    reached = models.PositiveIntegerField(null=True)
    sent = models.PositiveIntegerField(null=True)
    pledged = models.PositiveIntegerField(null=True)
    attended = models.PositiveIntegerField(null=True)
    # Rates and their 95 % Wilson intervals; null when the denominator is under five.
    success_rate = models.FloatField(null=True)
    success_low = models.FloatField(null=True)
    success_high = models.FloatField(null=True)
    conversion = models.FloatField(null=True)
    conversion_low = models.FloatField(null=True)
    conversion_high = models.FloatField(null=True)
    attendance = models.FloatField(null=True)
    attendance_low = models.FloatField(null=True)
    attendance_high = models.FloatField(null=True)
    baseline_keys = ArrayField(models.CharField(max_length=64), default=list)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["template", "lever", "channel", "kind", "size_band", "segment"],
            name="evidence_cell_unique")]
