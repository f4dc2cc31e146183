"""The outbox's rows, and the kinds of e-mail they carry."""

from enum import StrEnum
from typing import TYPE_CHECKING

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from methodology.models import MessageKind

from .campaigns import Campaign
from .participants import Participant

# ``OutboundEmail.kind``: the programme's message kinds (the methodology's list, which
# programmes may word their own way), then the e-mails only the project writes.
if TYPE_CHECKING:
    # What mypy reads, since it cannot run the call below: the same members written out.
    # A member missing here fails the type check; one that is not there at run time fails
    # the tests that send it.
    class EmailKind(StrEnum):
        INVITATION = "invitation"
        REMINDER_D7 = "reminder_d7"
        REMINDER_D1 = "reminder_d1"
        THANK_YOU = "thank_you"
        IMPACT_RECAP = "impact_recap"
        FOLLOW_UP_SURVEY = "follow_up_survey"
        PLEDGE_CONFIRMED = "pledge_confirmed"
        PLEDGE_WAITLISTED = "pledge_waitlisted"
        PLEDGE_AWAITING = "pledge_awaiting"
        PLEDGE_PROMOTED = "pledge_promoted"
        CAMPAIGN_SUCCEEDED = "campaign_succeeded"
        CAMPAIGN_FAILED = "campaign_failed"
        ACCESS_LINK = "access_link"
        RETENTION_WARNING = "retention_warning"
        REMINDER_DIGEST = "reminder_digest"
        PLEDGE_CANCELLED = "pledge_cancelled"
        SLOT_MOVED = "slot_moved"
        SEAT_OFFERED = "seat_offered"
        OFFER_EXPIRED = "offer_expired"
        ORGANISER_ALERT = "organiser_alert"
        CAMPAIGN_POSTPONED = "campaign_postponed"
        CAMPAIGN_RELAUNCHED = "campaign_relaunched"
        INTERNAL_CAMPAIGNS_LINK = "internal_campaigns_link"
        SURVEY_REMINDER = "survey_reminder"
        FOLLOW_UP_SURVEY_REMINDER = "follow_up_survey_reminder"
else:
    EmailKind = StrEnum("EmailKind", [(kind.name, kind.value) for kind in MessageKind] + [
        ("PLEDGE_CONFIRMED", "pledge_confirmed"),
        ("PLEDGE_WAITLISTED", "pledge_waitlisted"),
        ("PLEDGE_AWAITING", "pledge_awaiting"),
        ("PLEDGE_PROMOTED", "pledge_promoted"),
        ("CAMPAIGN_SUCCEEDED", "campaign_succeeded"),
        ("CAMPAIGN_FAILED", "campaign_failed"),
        ("ACCESS_LINK", "access_link"),
        ("RETENTION_WARNING", "retention_warning"),
        ("REMINDER_DIGEST", "reminder_digest"),
        ("PLEDGE_CANCELLED", "pledge_cancelled"),
        ("SLOT_MOVED", "slot_moved"),
        ("SEAT_OFFERED", "seat_offered"),
        ("OFFER_EXPIRED", "offer_expired"),
        ("ORGANISER_ALERT", "organiser_alert"),
        ("CAMPAIGN_POSTPONED", "campaign_postponed"),
        ("CAMPAIGN_RELAUNCHED", "campaign_relaunched"),
        ("INTERNAL_CAMPAIGNS_LINK", "internal_campaigns_link"),
        # One reminder of an unanswered survey (services.survey_reminders).
        ("SURVEY_REMINDER", "survey_reminder"),
        ("FOLLOW_UP_SURVEY_REMINDER", "follow_up_survey_reminder"),
    ], module=__name__)


class OutboundEmail(models.Model):
    """The outbox: every e-mail to a participant, sent by a worker with retries.

    ``dedupe_key`` makes each logical message (this reminder, for this pledge) exist once,
    whoever queues it and however often: the database refuses the second row."""

    # The calendar invitation names the person (ATTENDEE) and their slot.
    PERSONAL_FIELDS = ("to_email", "subject", "body", "last_error", "calendar")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Not sent (unsubscribed)")
        NO_CONSENT = "no_consent", _("Not sent (no consent to hear about future actions)")
        BOUNCED = "bounced", _("Not sent (address bounced)")

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
    # An iCalendar text (METHOD:REQUEST or CANCEL) sent with the e-mail as a calendar
    # invitation; empty for e-mails about no particular slot.
    calendar = models.TextField(blank=True)
    # The reader's language, for the HTML part's frame (the texts are written already), and
    # the link the message is about, which the HTML part shows as its button.
    language = models.CharField(max_length=5, blank=True)
    action_url = models.URLField(max_length=1000, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]


class PledgeReminder(models.Model):
    """That a reminder of ``kind`` (D-7, D-1) went out for a pledge, in ``email`` (which
    may list several pledges: the digest). The unique pair is what makes each reminder
    exist once, whichever e-mail carried it and however concurrently the schedule runs.
    Moving a slot deletes the rows of reminders that become due again."""

    pledge = models.ForeignKey("engagement.Pledge", on_delete=models.CASCADE,
                               related_name="reminders")
    kind = models.CharField(max_length=30)
    email = models.ForeignKey(OutboundEmail, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="reminded")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["pledge", "kind"],
                                               name="one_reminder_per_pledge_and_kind")]


class OrganiserAlert(models.Model):
    """A fact the campaign's organisers are told of once: the target reached, a slot
    under-filled three days before, a late cancellation. ``dedupe_key`` names the fact; its
    unique index is what makes it raised (and e-mailed) once."""

    class Kind(models.TextChoices):
        TARGET_REACHED = "target_reached", _("Target reached")
        SLOT_UNDERFILLED = "slot_underfilled", _("Time slot under-filled")
        LATE_CANCELLATION = "late_cancellation", _("Late cancellation")
        # The lab's forecast says the target will probably be missed, a week and three
        # days before the mobilisation deadline (lab.alerts).
        AT_RISK_D7 = "at_risk_d7", _("At risk a week before the deadline")
        AT_RISK_D3 = "at_risk_d3", _("At risk three days before the deadline")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="alerts")
    slot = models.ForeignKey("engagement.Slot", null=True, blank=True,
                             on_delete=models.CASCADE, related_name="+")
    pledge = models.ForeignKey("engagement.Pledge", null=True, blank=True,
                               on_delete=models.CASCADE, related_name="+")
    dedupe_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]


class OrganiserAlertMute(models.Model):
    """A member who asked not to be e-mailed the organiser alerts of this organisation
    (one row per member: the unique index keeps the choice single)."""

    user = models.OneToOneField("tenants.User", on_delete=models.DO_NOTHING, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
