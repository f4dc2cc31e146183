"""Tenant-schema data: each organisation's own mobilisation programmes.

A programme made from a methodology template keeps a snapshot of the version it was made
from (steps, messages, levers, indicators, survey): later edits of the library never change
a running programme. It remembers the version, so a newer one can be offered and applied.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
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

# The most people a target or a slot can count. Far above any real action (a city-wide
# campaign is tens of thousands), far below PostgreSQL's integer (2,147,483,647): a number
# past it is a typing slip or a probe, refused with a message on the field rather than
# reaching the database as an "integer out of range" error.
PEOPLE_MAX = 1_000_000


@deconstructible
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


class Programme(models.Model):
    """A mobilisation programme run by the organisation (a series of campaigns)."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    starts_on = models.DateField(_("start date"))
    ends_on = models.DateField(_("end date"))
    action_date = models.DateField(
        _("action date"), null=True, blank=True,
        help_text=_("The day of the main action; the checklist's due dates count from it."))
    participant_target = models.PositiveIntegerField(_("participant target"), default=0,
                                                     validators=[at_most_people()])
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Paris")
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
    closed_at = models.DateTimeField(null=True, blank=True)
    checkin_secret = models.CharField(max_length=32, default=_referral_code, editable=False)
    # A party bringing more companions than this waits for an organiser's approval before
    # it takes places (the public form lets anyone announce up to 20 companions).
    party_approval_above = models.PositiveSmallIntegerField(
        _("companions without approval"), default=5,
        help_text=_("A larger group waits for an organiser's approval before it takes "
                    "places."))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")),
                                   name="campaign_ends_after_start"),
            models.CheckConstraint(condition=Q(mobilisation_deadline__lte=F("starts_at")),
                                   name="campaign_deadline_before_start"),
            models.CheckConstraint(condition=Q(participant_target__gt=0),
                                   name="campaign_target_positive"),
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


class Participant(models.Model):
    """Someone who gives time; no login, reached through signed links."""

    class Source(models.TextChoices):
        IMPORT = "import", _("Imported list")
        SIGNUP = "signup", _("Signed up on a campaign page")
        INVITATION = "invitation", _("Invited by someone")
        ORGANISER = "organiser", _("Added by an organiser")
        API = "api", _("API")

    email = models.EmailField(_("e-mail address"))
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    language = models.CharField(_("language"), max_length=5, default="fr")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="participants", verbose_name=_("team"))
    site = models.CharField(_("site"), max_length=100, blank=True)
    postcode = models.CharField(_("postcode"), max_length=12, blank=True)
    age_band = models.CharField(_("age band"), max_length=10, blank=True)
    consent_to_contact = models.BooleanField(_("agrees to be contacted"), default=False)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices,
                              default=Source.SIGNUP)
    referred_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="referrals", verbose_name=_("brought by"))
    referral_code = models.CharField(max_length=16, unique=True, default=_referral_code,
                                     editable=False)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["email"]
        constraints = [models.UniqueConstraint(Lower("email"),
                                               name="participant_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return " ".join(filter(None, [self.first_name, self.last_name])) or self.email

    @property
    def can_be_emailed(self) -> bool:
        return self.unsubscribed_at is None


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    LINK_SHARE = "link_share", _("Shared link")
    QR_POSTER = "qr_poster", _("QR poster")
    INTRANET = "intranet", _("Intranet")
    MANAGER = "manager", _("Manager")


class Invitation(models.Model):
    """One invitation to a campaign, by a participant (snowball) or an organiser, through a
    channel and a mobilisation lever. Its funnel: sent → opened → pledged → attended."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="invitations")
    code = models.CharField(max_length=16, unique=True, default=_referral_code, editable=False)
    inviter = models.ForeignKey(Participant, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="invitations_sent")
    organiser = models.ForeignKey("tenants.User", null=True, blank=True,
                                  on_delete=models.DO_NOTHING, related_name="+")
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    lever_code = models.SlugField(_("lever"), max_length=50)
    invitee_email = models.EmailField(_("invitee"), blank=True)
    audience_label = models.CharField(_("audience"), max_length=200, blank=True,
                                      help_text=_("e.g. the department a manager wrote to"))
    sent_at = models.DateTimeField(default=timezone.now)
    first_opened_at = models.DateTimeField(null=True, blank=True)
    open_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [models.CheckConstraint(
            condition=Q(inviter__isnull=False) | Q(organiser__isnull=False),
            name="invitation_has_an_inviter")]

    def __str__(self) -> str:
        return f"{self.campaign} via {self.channel}"


class Pledge(models.Model):
    """A participant's commitment of time to a slot, with companions who come along."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        WAITLISTED = "waitlisted", _("On the waiting list")
        # A large party (above the campaign's party_approval_above) holds no place until
        # an organiser approves it; declining cancels it.
        AWAITING_APPROVAL = "awaiting", _("Awaiting approval")
        CANCELLED = "cancelled", _("Cancelled")

    class Attendance(models.TextChoices):
        PENDING = "pending", _("Not yet")
        ATTENDED = "attended", _("Attended")
        NO_SHOW = "no_show", _("Did not come")

    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="pledges")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE,
                                    related_name="pledges")
    invitation = models.ForeignKey(Invitation, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="pledges")
    companions = models.PositiveSmallIntegerField(_("companions"), default=0)
    companion_names = models.CharField(_("companions' first names"), max_length=300,
                                       blank=True)
    status = models.CharField(max_length=12, choices=Status.choices)
    attendance = models.CharField(max_length=10, choices=Attendance.choices,
                                  default=Attendance.PENDING)
    hours_given = models.DecimalField(_("hours given"), max_digits=7, decimal_places=2,
                                      default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey("tenants.User", null=True, blank=True,
                                      on_delete=models.DO_NOTHING, related_name="+")

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


class OutboundEmail(models.Model):
    """The outbox: every e-mail to a participant, sent by a worker with retries.

    ``dedupe_key`` makes each logical message (this reminder, for this pledge) exist once,
    whoever queues it and however often: the database refuses the second row."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Not sent (unsubscribed)")

    # Empty for an e-mail invitation to someone who is not a participant yet.
    participant = models.ForeignKey(Participant, null=True, blank=True,
                                    on_delete=models.CASCADE, related_name="emails")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="emails")
    kind = models.CharField(max_length=30)
    dedupe_key = models.CharField(max_length=200, unique=True)
    to_email = models.EmailField()
    subject = models.CharField(max_length=300)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]


class SurveyAnswer(models.Model):
    """A participant's answer to a programme survey question, after a campaign."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE,
                                    related_name="survey_answers")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE,
                                 related_name="survey_answers")
    question = models.ForeignKey(ProgrammeSurveyQuestion, on_delete=models.CASCADE,
                                 related_name="answers")
    answer = models.TextField()
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["participant", "campaign", "question"],
                                               name="one_answer_per_question")]
