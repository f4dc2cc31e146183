"""Impact reports (tenant schema): PDF reports rendered by workers, and the commentary
Fullmobs consultants write into them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engagement.models.bilingual import BilingualContent, bilingual_constraints


class Report(models.Model):
    """A PDF impact report: queued, rendered by a worker, stored under the organisation's
    own storage prefix, downloadable."""

    class Scope(models.TextChoices):
        CAMPAIGN = "campaign", _("Campaign")
        PROGRAMME = "programme", _("Programme")
        PERIOD = "period", _("Period (e.g. annual CSR report)")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RENDERING = "rendering", _("Rendering")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    campaign = models.ForeignKey("engagement.Campaign", null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="reports")
    programme = models.ForeignKey("engagement.Programme", null=True, blank=True,
                                  on_delete=models.CASCADE, related_name="reports")
    period_start = models.DateField(_("from"), null=True, blank=True)
    period_end = models.DateField(_("to"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=5, default="fr")
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    file = models.FileField(upload_to="reports/", blank=True)
    # Set when the file is deleted at the end of the organisation's report retention.
    file_deleted_at = models.DateTimeField(null=True, blank=True)
    pages = models.PositiveIntegerField(null=True, blank=True)
    requested_by = models.ForeignKey("tenants.User", null=True, blank=True,
                                     on_delete=models.DO_NOTHING, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Not columns: the key of its commentary, set on the reports that
    # reports.selectors.reports_latest lists, and how long a deleted file was kept, set
    # by the reports page.
    subject_key: str
    kept_months: int

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(name="report_scope_has_its_subject", condition=(
                Q(scope="campaign", campaign__isnull=False)
                | Q(scope="programme", programme__isnull=False)
                | Q(scope="period", period_start__isnull=False, period_end__isnull=False))),
        ]

    def __str__(self) -> str:
        return self.title


class Commentary(BilingualContent):
    """A consultant's commentary and recommendations for a report's subject, edited on a
    page and rendered into the PDF. ``text`` is in ``content_language``; a report prints
    it in the report's language, or the other one marked as such."""

    TRANSLATED_FIELDS = {"text": None}

    class Section(models.TextChoices):
        SUMMARY = "summary", _("Summary")
        LEVERS = "levers", _("What made people react")
        RECOMMENDATIONS = "recommendations", _("Recommendations")

    scope = models.CharField(max_length=10, choices=Report.Scope.choices)
    subject_key = models.CharField(max_length=60, help_text="campaign:<id>, programme:<id> "
                                                            "or period:<start>:<end>")
    section = models.CharField(max_length=20, choices=Section.choices)
    text = models.TextField(_("text"), help_text=_("Markdown"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.DO_NOTHING, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subject_key", "section"],
                                               name="one_commentary_per_section"),
                       *bilingual_constraints("commentary")]

    def __str__(self) -> str:
        return f"{self.subject_key} {self.section}"


class FiguresSnapshot(models.Model):
    """Figures (metrics or lever rows) of one subject as computed at one data version, so
    that a dashboard of a big organisation reads them instead of recomputing them.

    ``version`` is the organisation's data version (``reports_figures_version``, bumped by
    triggers on the organisation-wide tables the figures read) when the computation
    started, ``campaigns_version`` the sum of its campaigns' versions (``CampaignTally``):
    the snapshot is current while neither has moved and ``expires_at`` has not passed (the
    next end of a campaign in scope, which turns pledges into attendance figures, or a
    maximum age), and its ``format`` is the code's. See ``reports.figures``."""

    key = models.CharField(max_length=120, unique=True)
    # reports.figures.FORMAT when computed: figures of an older shape are never current.
    format = models.PositiveSmallIntegerField()
    data = models.JSONField()
    version = models.BigIntegerField()
    computed_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    # Last shown (updated at most hourly): what nobody reads is not kept current.
    read_at = models.DateTimeField(default=timezone.now)
    refresh_queued_at = models.DateTimeField(null=True, blank=True)
    # The sum of the ``CampaignTally.data_version`` of the campaigns in scope: moves when
    # one of them changed (``version`` only follows the organisation-wide sources).
    campaigns_version = models.BigIntegerField(db_default=0)

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"


class CampaignTally(models.Model):
    """A campaign's figures kept current as its pledges change, instead of recounted from
    them: PostgreSQL triggers on the pledges (statement-level, with transition tables, so
    bulk writes and concurrent ones are counted too) add each write's difference in the
    same transaction (``SET x = x + delta``: two transactions at once both count). Also
    the campaign's ``data_version``, moved by every write its figures read (pledges,
    slots, invitations, impact records), so stored figures of a programme are outdated
    only when one of its own campaigns changed. Migration ``reports/0009``; see
    docs/decisions.md, "Issue 16: maintained figures". Written only by the triggers."""

    # No foreign key: the triggers keep the row, and a campaign's deletion drops it.
    campaign_id = models.BigIntegerField(primary_key=True)
    pledges_confirmed = models.IntegerField(db_default=0)
    pledges_waitlisted = models.IntegerField(db_default=0)
    pledges_awaiting = models.IntegerField(db_default=0)
    pledges_offered = models.IntegerField(db_default=0)
    pledges_cancelled = models.IntegerField(db_default=0)
    # Confirmed pledges' people with their companions.
    seats_confirmed = models.IntegerField(db_default=0)
    # Distinct people with a confirmed pledge (``PersonTally`` rows above zero).
    people = models.IntegerField(db_default=0)
    attended = models.IntegerField(db_default=0)
    no_show = models.IntegerField(db_default=0)
    # Slot length x (1 + companions) of confirmed pledges, in seconds: exact, unlike
    # hours (a 20-minute slot is 0.333… h).
    pledged_seconds = models.BigIntegerField(db_default=0)
    attended_hours = models.DecimalField(max_digits=16, decimal_places=2, db_default=0)
    data_version = models.BigIntegerField(db_default=0)
    # The companions its people bring: each person's largest party (``PersonTally.party``)
    # added up, as ``reports.participants`` counts them (migration ``reports/0011``).
    companions = models.IntegerField(db_default=0)
    # The invitation funnel of the invitations *to* this campaign (whatever campaign their
    # pledges went to), as ``engagement.selectors.funnel_counts`` counts it: invitations
    # sent (``INVITATION_SENT``: recorded by an organiser, e-mailed, opened, or with a
    # pledge through it), the live pledges through them, and the participants' part
    # (migration ``reports/0013``). Opened and attended stay counted where shown (the
    # campaign page and the levers page, by lever and channel).
    invitations_sent = models.IntegerField(db_default=0)
    invitations_pledged = models.IntegerField(db_default=0)
    invitations_sent_by_participants = models.IntegerField(db_default=0)
    invitations_pledged_by_participants = models.IntegerField(db_default=0)

    def __str__(self) -> str:
        return f"campaign {self.campaign_id} v{self.data_version}"


class PersonTally(models.Model):
    """One person's confirmed pledges to one campaign, kept by the same triggers as
    ``CampaignTally``: distinct people of a campaign or a programme are counted from
    these rows (a few per person) instead of from every pledge. Rows fallen back to zero
    are kept (a person who cancelled stays known, at zero)."""

    participant_id = models.BigIntegerField()
    campaign_id = models.BigIntegerField()
    pledges_confirmed = models.IntegerField(db_default=0)
    pledges_attended = models.IntegerField(db_default=0)
    hours_given = models.DecimalField(max_digits=12, decimal_places=2, db_default=0)
    # The largest number of companions of their confirmed pledges (their party).
    party = models.IntegerField(db_default=0)
    # Their entry in the campaign's referral forest: their first confirmed pledge (by
    # time, then id) and the participant whose invitation it came through.
    first_at = models.DateTimeField(null=True)
    first_pledge_id = models.BigIntegerField(null=True)
    inviter_id = models.BigIntegerField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["participant_id", "campaign_id"],
                                               name="one_person_tally_per_campaign")]
        indexes = [models.Index(fields=["campaign_id", "participant_id"],
                                condition=models.Q(pledges_confirmed__gt=0),
                                name="person_tally_confirmed"),
                   # The people brought through someone's invitation: the forest's links.
                   models.Index(fields=["campaign_id"],
                                condition=models.Q(pledges_confirmed__gt=0,
                                                   inviter_id__isnull=False),
                                name="person_tally_brought")]

    def __str__(self) -> str:
        return f"person {self.participant_id} in {self.campaign_id}"


class ProgrammeTally(models.Model):
    """A programme's distinct people with a confirmed pledge to one of its campaigns, kept
    by a trigger on ``PersonTally`` (migration ``reports/0010``): counting them from the
    person-and-campaign rows took seconds at a million pledges."""

    programme_id = models.BigIntegerField(primary_key=True)
    people = models.IntegerField(db_default=0)

    def __str__(self) -> str:
        return f"programme {self.programme_id}: {self.people} people"


class ProgrammePersonTally(models.Model):
    """How many of a programme's campaigns one person has a confirmed pledge to (kept
    with ``ProgrammeTally``; rows fallen back to zero are kept)."""

    programme_id = models.BigIntegerField()
    participant_id = models.BigIntegerField()
    campaigns = models.IntegerField(db_default=0)
    # The start of their first campaign in the programme ("returning": an earlier one
    # elsewhere), whether they attended one, and their entry in the programme's referral
    # forest (their first confirmed pledge in it, as ``PersonTally``'s).
    first_start = models.DateTimeField(null=True)
    attended = models.BooleanField(db_default=False)
    first_at = models.DateTimeField(null=True)
    first_pledge_id = models.BigIntegerField(null=True)
    inviter_id = models.BigIntegerField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["programme_id", "participant_id"],
                                               name="one_person_tally_per_programme")]
        indexes = [models.Index(fields=["participant_id"], name="programme_person_tally_who"),
                   models.Index(fields=["programme_id"],
                                condition=models.Q(campaigns__gt=0, inviter_id__isnull=False),
                                name="programme_person_brought")]

    def __str__(self) -> str:
        return f"person {self.participant_id} in programme {self.programme_id}"


class SlotTally(models.Model):
    """A slot's pledges counted by what the figures read of each (status, attendance,
    companions, and for the hours given: hours, skill and rate kept), kept by the pledges'
    triggers (migration ``reports/0011``). A few rows per slot whatever its pledges, from
    which the figures that depend on the time of reading (attendance counts an action
    once its slot is over) or on rates read at that time (the value of the hours given,
    rounded per pledge) are computed exactly. Written only by the triggers."""

    slot_id = models.BigIntegerField()
    status = models.CharField(max_length=12)
    attendance = models.CharField(max_length=10)
    companions = models.IntegerField()
    # Only for confirmed and attended pledges (their hours are given); else empty and 0.
    skill_id = models.BigIntegerField(null=True)
    hour_rate = models.DecimalField(max_digits=8, decimal_places=2, null=True)
    hours_given = models.DecimalField(max_digits=7, decimal_places=2)
    pledges = models.IntegerField(db_default=0)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["slot_id", "status", "attendance", "companions", "skill_id",
                    "hour_rate", "hours_given"],
            nulls_distinct=False, name="one_slot_tally_per_kind")]

    def __str__(self) -> str:
        return f"slot {self.slot_id}: {self.pledges} {self.status}"
