"""Participants, their invitations, pledges and survey answers."""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .campaigns import Campaign, Slot, Team, _referral_code
from .programmes import ProgrammeSurveyQuestion


class Participant(models.Model):
    """Someone who gives time; no login, reached through signed links.

    ``PERSONAL_FIELDS`` (on this model and every tenant model that holds personal data)
    names what erasure blanks; tests/engagement/test_privacy_fields.py fails when a text
    field of a tenant model is neither personal nor listed as not personal."""

    PERSONAL_FIELDS = ("email", "first_name", "last_name", "site", "postcode", "age_band")

    class Source(models.TextChoices):
        IMPORT = "import", _("Imported list")
        SIGNUP = "signup", _("Signed up on a campaign page")
        INVITATION = "invitation", _("Invited by someone")
        ORGANISER = "organiser", _("Added by an organiser")
        API = "api", _("API")
        # Registered on the day by an organiser: someone who came without a pledge.
        WALK_IN = "walk_in", _("Came on the day without a pledge")

    # Empty only for a walk-in registered on the day without one: such a person is never
    # e-mailed (``can_be_emailed``), and the unique index below ignores empty addresses.
    email = models.EmailField(_("e-mail address"), blank=True)
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
    # The person's last action (joined, pledged, checked in, answered, opened their page):
    # personal data is kept for the organisation's retention period after it.
    last_active_at = models.DateTimeField(_("last action"), default=timezone.now,
                                          db_index=True)
    retention_warned_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True)
    # Ticked "keep my actions in my Fullmobs profile" when joining with an address nobody
    # had proven yet: the link is written only once the person opens a link from an
    # e-mail sent to that address (links.manage_url's proof), never on the word of whoever
    # typed it (docs/privacy.md, "Fullmobs profile").
    profile_keep_pending = models.BooleanField(default=False, db_default=False)

    class Meta:
        ordering = ["email"]
        constraints = [models.UniqueConstraint(Lower("email"), condition=~Q(email=""),
                                               name="participant_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return " ".join(filter(None, [self.first_name, self.last_name])) or self.email

    @property
    def can_be_emailed(self) -> bool:
        return self.unsubscribed_at is None and bool(self.email)


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
    PERSONAL_FIELDS = ("invitee_email",)

    invitee_email = models.EmailField(_("invitee"), blank=True)
    audience_label = models.CharField(_("audience"), max_length=200, blank=True,
                                      help_text=_("e.g. the department a manager wrote to"))
    sent_at = models.DateTimeField(default=timezone.now)
    # An organiser's invitation to one known person (a bulk invitation, a relaunch): each
    # person is invited once per campaign, which the partial unique index below holds.
    participant = models.ForeignKey(Participant, null=True, blank=True,
                                    on_delete=models.CASCADE,
                                    related_name="invitations_received")
    batch = models.ForeignKey("engagement.InvitationBatch", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="invitations")
    first_opened_at = models.DateTimeField(null=True, blank=True)
    open_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(inviter__isnull=False) | Q(organiser__isnull=False),
                name="invitation_has_an_inviter"),
            models.UniqueConstraint(fields=["campaign", "participant"],
                                    condition=Q(participant__isnull=False),
                                    name="one_invitation_per_person_and_campaign"),
        ]

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
        # A freed place held for this waiting-list pledge until ``offer_expires_at``: it
        # counts in the slot's ``confirmed_seats`` (nobody else can take it) until the
        # person confirms it (confirmed) or lets it pass (cancelled, next person offered).
        OFFERED = "offered", _("Place offered")
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
    PERSONAL_FIELDS = ("companion_names",)

    companions = models.PositiveSmallIntegerField(_("companions"), default=0)
    companion_names = models.CharField(_("companions' first names"), max_length=300,
                                       blank=True)
    status = models.CharField(max_length=12, choices=Status.choices)
    attendance = models.CharField(max_length=10, choices=Attendance.choices,
                                  default=Attendance.PENDING)
    hours_given = models.DecimalField(_("hours given"), max_digits=7, decimal_places=2,
                                      default=0)
    # This person's own skill, when it differs from the slot's (the slot's otherwise).
    skill = models.ForeignKey("engagement.Skill", null=True, blank=True,
                              on_delete=models.PROTECT, related_name="pledges",
                              verbose_name=_("skill (skills-based volunteering)"))
    # The skill's hourly rate its given hours are valued at, taken when its attendance is
    # recorded (or when it is given a skill afterwards): a rate changed later values the
    # hours given later only, so past figures and issued statements stay as they were.
    # Empty when the pledge is not skills-based (the organisation's hour value applies).
    hour_rate = models.DecimalField(_("hourly rate of its skill (€)"), max_digits=8,
                                    decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey("tenants.User", null=True, blank=True,
                                      on_delete=models.DO_NOTHING, related_name="+")
    # Registered by an organiser on the day for someone who came without a pledge.
    walk_in = models.BooleanField(_("came without a pledge"), default=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["slot", "participant"],
                condition=~Q(status="cancelled"),
                name="one_live_pledge_per_slot"),
            models.CheckConstraint(condition=Q(companions__lte=20),
                                   name="pledge_companions_at_most_20"),
            # An offer always has its time limit, and only an offer has one.
            models.CheckConstraint(
                condition=Q(status="offered", offer_expires_at__isnull=False)
                | (~Q(status="offered") & Q(offer_expires_at__isnull=True)),
                name="pledge_offer_has_time_limit"),
            models.CheckConstraint(condition=Q(hour_rate__isnull=True) | Q(hour_rate__gt=0),
                                   name="pledge_hour_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.participant} → {self.slot} ({self.status})"

    @property
    def seats(self) -> int:
        return 1 + self.companions


class SurveyAnswer(models.Model):
    """A participant's answer to a programme survey question, after a campaign."""

    # Free-text answers are personal; a choice or a score is an anonymous fact.
    PERSONAL_FIELDS = ("answer",)

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
