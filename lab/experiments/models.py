"""Lever experiments (their models, imported by ``lab.models``): a wave of invitations or
reminders split between variants (and a holdout that gets nothing), each person or team
assigned once by a hash, and one stored look a day at the results."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engagement.models import Campaign, Invitation, OutboundEmail, Participant


class Experiment(models.Model):
    """One test of levers on a campaign's wave. Its design (metric, unit, effect worth
    detecting, alpha, power, ICC) is frozen at launch: the analysis reads it as planned."""

    class Wave(models.TextChoices):
        INVITATION = "invitation", _("Invitation wave")
        REMINDER = "reminder", _("Reminder wave (people who already pledged)")

    class Metric(models.TextChoices):
        PLEDGED = "pledged", _("Pledged")
        ATTENDED = "attended", _("Attended")

    class Unit(models.TextChoices):
        PERSON = "person", _("Each person")
        TEAM = "team", _("Whole teams")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        RUNNING = "running", _("Running")
        CONCLUDED = "concluded", _("Concluded")
        STOPPED = "stopped", _("Stopped")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE,
                                 related_name="experiments")
    title = models.CharField(_("title"), max_length=150)
    wave = models.CharField(_("wave"), max_length=10, choices=Wave.choices,
                            default=Wave.INVITATION)
    hypothesis = models.TextField(_("hypothesis"))
    metric = models.CharField(_("primary metric"), max_length=10, choices=Metric.choices,
                              default=Metric.PLEDGED)
    unit = models.CharField(_("randomise"), max_length=6, choices=Unit.choices,
                            default=Unit.PERSON)
    holdout_share = models.DecimalField(_("holdout share"), max_digits=4, decimal_places=3,
                                        default=0.05)
    baseline_rate = models.DecimalField(_("baseline rate"), max_digits=4, decimal_places=3,
                                        default=0.2)
    minimum_effect = models.DecimalField(_("minimum effect worth detecting"), max_digits=4,
                                         decimal_places=3, default=0.05)
    alpha = models.DecimalField(_("alpha"), max_digits=4, decimal_places=3, default=0.05)
    power = models.DecimalField(_("power"), max_digits=4, decimal_places=3, default=0.8)
    icc = models.DecimalField(_("intraclass correlation"), max_digits=4, decimal_places=3,
                              default=0)
    planned_people = models.PositiveIntegerField(_("people needed"), default=0)
    # The duration chosen in the draft; the last look is ``launched_at + days`` (set at
    # launch, so a draft saved weeks before its launch still runs its whole duration).
    days = models.PositiveSmallIntegerField(_("duration (days)"), default=14)
    # The planned maximum information (``SampleSize.planned_information`` of the design,
    # with the planned team size), frozen at launch: the information fraction's
    # denominator never drifts with the observed team sizes.
    planned_information = models.FloatField(default=0)
    ends_at = models.DateTimeField(_("last look"), null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # The hash's salt: fixed at creation so that the assignment can be recomputed by
    # anyone holding the export, and differs per experiment so that two experiments on the
    # same people do not split them the same way.
    salt = models.CharField(max_length=32)
    launched_at = models.DateTimeField(null=True, blank=True)
    concluded_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey("tenants.User", null=True, blank=True,
                                   on_delete=models.DO_NOTHING, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(holdout_share__gte=0, holdout_share__lt=0.5),
                                   name="experiment_holdout_share_range"),
            models.CheckConstraint(condition=Q(launched_at__isnull=True) | ~Q(status="draft"),
                                   name="experiment_launched_not_draft"),
        ]

    def __str__(self) -> str:
        return self.title


class Variant(models.Model):
    """One arm: a lever, a channel, its wording and send time; or the holdout, which is
    sent nothing. ``share`` is its part of the people outside the holdout."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE,
                                   related_name="variants")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("name"), max_length=80)
    is_holdout = models.BooleanField(default=False)
    is_control = models.BooleanField(default=False)
    lever_code = models.SlugField(_("lever"), max_length=50, blank=True)
    channel = models.CharField(_("channel"), max_length=12, blank=True)
    subject_fr = models.CharField(_("subject (French)"), max_length=250, blank=True)
    subject_en = models.CharField(_("subject (English)"), max_length=250, blank=True)
    body_fr = models.TextField(_("message (French)"), blank=True)
    body_en = models.TextField(_("message (English)"), blank=True)
    send_hour = models.PositiveSmallIntegerField(_("send at (hour of day)"), null=True,
                                                 blank=True)
    share = models.DecimalField(max_digits=5, decimal_places=4, default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["experiment", "name"], name="variant_name_unique"),
            models.UniqueConstraint(fields=["experiment"], condition=Q(is_holdout=True),
                                    name="one_holdout_per_experiment"),
            models.CheckConstraint(condition=Q(send_hour__isnull=True) | Q(send_hour__lte=23),
                                   name="variant_send_hour_in_day"),
        ]

    def __str__(self) -> str:
        return self.name

    def tr(self, field: str) -> str:
        """The wording in the active language, the other one when it is empty (the
        shape ``engagement``'s messages have, so a variant can stand in for one)."""
        from core.i18n import language
        first, second = ("fr", "en") if language() == "fr" else ("en", "fr")
        return str(getattr(self, f"{field}_{first}") or getattr(self, f"{field}_{second}"))


class Assignment(models.Model):
    """Who got which variant, from which hash, and what it produced. One row per person
    and experiment, held by the unique constraint: a launch run twice assigns once."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE,
                                   related_name="assignments")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE,
                                    related_name="experiment_assignments")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE,
                                related_name="assignments")
    unit_key = models.CharField(max_length=40)
    hash_value = models.DecimalField(max_digits=18, decimal_places=17)
    assigned_at = models.DateTimeField(default=timezone.now)
    invitation = models.ForeignKey(Invitation, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    email = models.ForeignKey(OutboundEmail, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["experiment", "participant"],
                                               name="one_assignment_per_person")]
        indexes = [models.Index(fields=["experiment", "variant"],
                                name="assignment_experiment_variant")]


class ExperimentLook(models.Model):
    """One day's stored result: the sums per arm and per segment (the analysis needs
    nothing else) and the analysis itself, which the results page reads as it is."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE,
                                   related_name="looks")
    day = models.DateField()
    computed_at = models.DateTimeField(default=timezone.now)
    information_fraction = models.FloatField(default=0)
    sums = models.JSONField(default=dict)
    segments = models.JSONField(default=dict)
    analysis = models.JSONField(default=dict)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["experiment", "day"],
                                               name="one_look_per_day")]
