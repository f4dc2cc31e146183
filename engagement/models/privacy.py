"""Records of personal-data processing: each consent and withdrawal as it happened, and
what the privacy work did (counts, never names)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .campaigns import Campaign
from .participants import Participant


class ConsentRecord(models.Model):
    """One consent given or withdrawn by the person themselves: when, how (the form or
    link), and the wording they were shown, with its version. Never edited: the latest
    record of a purpose is the person's current choice."""

    class Purpose(models.TextChoices):
        FUTURE_ACTIONS = "future_actions", _("Hear about future actions")

    class Source(models.TextChoices):
        JOIN_FORM = "join_form", _("Sign-up form of a campaign")
        OWN_PAGE = "own_page", _("The person's own page")
        UNSUBSCRIBE_LINK = "unsubscribe", _("Unsubscribe link of an e-mail")
        IMPORT = "import", _("List imported by the organisation")
        ORGANISER = "organiser", _("Recorded by an organiser at the person's request")
        API = "api", _("API")

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE,
                                    related_name="consents")
    purpose = models.CharField(max_length=20, choices=Purpose.choices,
                               default=Purpose.FUTURE_ACTIONS)
    given = models.BooleanField()
    source = models.CharField(max_length=12, choices=Source.choices)
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    wording_version = models.CharField(max_length=20)
    wording = models.TextField()
    language = models.CharField(max_length=5)
    recorded_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["recorded_at", "pk"]
        indexes = [models.Index(fields=["participant", "purpose", "-recorded_at"],
                                name="consent_latest")]

    def __str__(self) -> str:
        return f"{self.participant_id} {self.purpose} {'given' if self.given else 'withdrawn'}"


class PrivacyLog(models.Model):
    """What the privacy work did, in counts: exports, erasures, retention warnings and
    anonymisations, report files deleted. Never names anyone."""

    class Kind(models.TextChoices):
        EXPORT = "export", _("Personal data exported")
        ERASURE = "erasure", _("Person erased on request")
        RETENTION_WARNING = "retention_warning", _("Retention warning sent")
        RETENTION_ERASURE = "retention_erasure", _("Inactive person anonymised")
        REPORT_FILE_DELETED = "report_file_deleted", _("Report file deleted")

    class Actor(models.TextChoices):
        PERSON = "person", _("The person")
        ORGANISER = "organiser", _("An organiser")
        SCHEDULE = "schedule", _("The schedule")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.CharField(max_length=10, choices=Actor.choices)
    count = models.PositiveIntegerField(default=1)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} × {self.count}"
