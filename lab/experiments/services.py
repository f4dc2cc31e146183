"""Writes of lever experiments: a draft saved, launched once (assignment and wave in one
transaction), its reminder e-mails queued once each, stopped or concluded."""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.tenancy import enqueue_on_commit
from engagement import links
from engagement.models import Campaign, EmailKind, Invitation, Participant
from engagement.services.message_texts import (
    CampaignFacts,
    participant_email_queue,
    placeholder_values,
)
from engagement.services.outreach import (
    BULK_CHANNELS,
    Audience,
    BulkAudience,
    invitations_bulk_send,
)
from methodology.models import Lever
from tenants.models import User

from .assignment import buckets, hash_value, unit_key, variant_for
from .design import experiment_power, send_time, settings_errors, wave_people
from .models import Assignment, Experiment, Variant

REMINDER_TASK = "lab.experiments.tasks.send_experiment_reminders"
WORDING_FIELDS = ("subject_fr", "subject_en", "body_fr", "body_en")


@dataclass(frozen=True)
class VariantSpec:
    """One arm as the organiser writes it."""

    name: str
    lever_code: str
    channel: str
    subject_fr: str = ""
    subject_en: str = ""
    body_fr: str = ""
    body_en: str = ""
    send_hour: int | None = None


@dataclass(frozen=True)
class ExperimentSpec:
    title: str
    hypothesis: str
    wave: str = Experiment.Wave.INVITATION
    metric: str = Experiment.Metric.PLEDGED
    unit: str = Experiment.Unit.PERSON
    holdout_share: Decimal = Decimal("0.05")
    baseline_rate: Decimal = Decimal("0.2")
    minimum_effect: Decimal = Decimal("0.05")
    alpha: Decimal = Decimal("0.05")
    power: Decimal = Decimal("0.8")
    icc: Decimal = Decimal("0")
    days: int = 14
    variants: list[VariantSpec] = field(default_factory=list)


def _check(campaign: Campaign, spec: ExperimentSpec) -> None:
    errors: dict[str, list[str]] = {}
    if not spec.title.strip():
        errors["title"] = [_("Give the experiment a title.")]
    if not spec.hypothesis.strip():
        errors["hypothesis"] = [_("Write what you expect, in your own words.")]
    if spec.wave not in Experiment.Wave.values:
        errors["wave"] = [_("Choose the wave.")]
    if spec.metric not in Experiment.Metric.values:
        errors["metric"] = [_("Choose what is measured.")]
    if spec.unit not in Experiment.Unit.values:
        errors["unit"] = [_("Choose whether people or whole teams are randomised.")]
    if not 1 <= spec.days <= 120:
        errors["days"] = [_("Give a duration between 1 and 120 days.")]
    errors |= settings_errors(
        baseline=float(spec.baseline_rate), mde=float(spec.minimum_effect),
        alpha=float(spec.alpha), power=float(spec.power), icc=float(spec.icc),
        holdout_share=float(spec.holdout_share), arms=len(spec.variants))
    levers = set(Lever.objects.values_list("code", flat=True))
    names: set[str] = set()
    for index, variant in enumerate(spec.variants):
        prefix = f"variant_{index}_"
        if not variant.name.strip() or variant.name.strip() in names:
            errors[prefix + "name"] = [_("Give each variant its own name.")]
        names.add(variant.name.strip())
        if spec.wave == Experiment.Wave.INVITATION and variant.lever_code not in levers:
            errors[prefix + "lever_code"] = [_("Choose a lever of the list.")]
        if variant.channel not in BULK_CHANNELS:
            errors[prefix + "channel"] = [_("Choose how the message is sent.")]
        if variant.send_hour is not None and not 0 <= variant.send_hour <= 23:
            errors[prefix + "send_hour"] = [_("Give an hour between 0 and 23.")]
        if spec.wave == Experiment.Wave.REMINDER and not (variant.body_fr or variant.body_en):
            errors[prefix + "body_fr"] = [_("Write the reminder this variant sends.")]
    if errors:
        raise DomainError(errors)


def experiment_save(*, campaign: Campaign, spec: ExperimentSpec, user: User | None,
                    experiment: Experiment | None = None) -> Experiment:
    """Create a draft, or rewrite one (its variants replaced); the power calculation's
    people needed are stored with it. A launched experiment cannot be changed."""
    _check(campaign, spec)
    with transaction.atomic():
        if experiment is None:
            experiment = Experiment(campaign=campaign, salt=secrets.token_hex(16),
                                    created_by=user)
        else:
            experiment = Experiment.objects.select_for_update().get(pk=experiment.pk)
            if experiment.status != Experiment.Status.DRAFT:
                raise DomainError({"status": [_("A launched experiment cannot be changed.")]})
        for name in ("title", "hypothesis", "wave", "metric", "unit", "holdout_share",
                     "baseline_rate", "minimum_effect", "alpha", "power", "icc"):
            setattr(experiment, name, getattr(spec, name))
        experiment.title = spec.title.strip()
        experiment.days = spec.days
        experiment.save()
        experiment.variants.all().delete()
        share = Decimal(1) / len(spec.variants)
        for index, variant in enumerate(spec.variants):
            Variant.objects.create(
                experiment=experiment, position=index + 1, name=variant.name.strip(),
                is_control=index == 0, lever_code=variant.lever_code, channel=variant.channel,
                send_hour=variant.send_hour, share=share.quantize(Decimal("0.0001")),
                **{name: getattr(variant, name).strip() for name in WORDING_FIELDS})
        if experiment.holdout_share > 0:
            Variant.objects.create(experiment=experiment, position=0, is_holdout=True,
                                   name=_("Holdout (no message)"))
        experiment.planned_people = experiment_power(experiment).needed_total
        experiment.save(update_fields=["planned_people"])
    return experiment


def experiment_launch(*, experiment: Experiment, user: User,
                      now: datetime | None = None) -> Experiment:
    """Assign everyone the wave reaches (one row each, by the hash), then send each
    variant its wave; the holdout gets nothing. One transaction; the experiment's row is
    locked first, so a second click finds it running and launches nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        experiment = (Experiment.objects.select_for_update(of=("self",))
                      .select_related("campaign").get(pk=experiment.pk))
        if experiment.status != Experiment.Status.DRAFT:
            return experiment
        if not experiment.campaign.is_open:
            raise DomainError({"campaign": [_("Open the campaign before launching an "
                                              "experiment on it.")]})
        variants = list(experiment.variants.all())
        intervals = buckets(experiment, variants)
        people = list(wave_people(campaign=experiment.campaign, wave=experiment.wave)
                      .values_list("pk", "team_id"))
        if len(people) < 2:
            raise DomainError({"audience": [_("Nobody, or almost nobody, can receive this "
                                              "wave.")]})
        rows = []
        for person_id, team_id in people:
            key = unit_key(unit=experiment.unit, participant_id=person_id, team_id=team_id)
            value = hash_value(experiment.salt, key)
            rows.append(Assignment(
                experiment=experiment, participant_id=person_id, unit_key=key,
                hash_value=Decimal(repr(value)).quantize(Decimal(10) ** -17),
                variant=variant_for(value, intervals), assigned_at=now))
        Assignment.objects.bulk_create(rows, batch_size=2000)
        experiment.status, experiment.launched_at = Experiment.Status.RUNNING, now
        # The duration runs from the launch, not from the draft's saving; the planned
        # maximum information (planned team size, daily looks) is frozen with it.
        experiment.ends_at = now + timedelta(days=experiment.days)
        experiment.planned_information = experiment_power(
            experiment, now).plan.planned_information
        experiment.save(update_fields=["status", "launched_at", "ends_at",
                                       "planned_information"])
        for variant in variants:
            if not variant.is_holdout:
                _wave_send(experiment, variant, user, now)
    return experiment


def _wave_send(experiment: Experiment, variant: Variant, user: User, now: datetime) -> None:
    ids = list(experiment.assignments.filter(variant=variant)
               .values_list("participant_id", flat=True))
    if not ids:
        return
    at = send_time(variant.send_hour, now)
    if experiment.wave == Experiment.Wave.REMINDER:
        enqueue_on_commit(REMINDER_TASK, experiment.pk, variant.pk,
                          **({"eta": at} if at > now else {}))
        return
    wording = {name: getattr(variant, name) for name in WORDING_FIELDS if getattr(variant, name)}
    batch = invitations_bulk_send(
        campaign=experiment.campaign, audience=BulkAudience(kind=Audience.ALL),
        lever_code=variant.lever_code, channel=variant.channel, organiser=user, now=now,
        people=ids, wording=wording, send_at=at)
    # Each assignment gets its person's invitation of the batch: the pairs read once, then
    # one UPDATE probing the assignments' (experiment, participant) key per pair. (A
    # correlated subquery per assignment was planned on the batch's index, whose rows are
    # uncommitted and unknown to the statistics: minutes for a wave of 60,000 people.)
    pairs = list(Invitation.objects.filter(batch=batch).values_list("participant_id", "pk"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Assignment._meta.db_table} a SET invitation_id = m.invitation_id "  # noqa: S608
            "FROM unnest(%s::bigint[], %s::bigint[]) AS m(participant_id, invitation_id) "
            "WHERE a.experiment_id = %s AND a.participant_id = m.participant_id",
            [[person for person, _ in pairs], [pk for _, pk in pairs], experiment.pk])


def experiment_reminders_queue(*, experiment_id: int, variant_id: int) -> int:
    """Queue a reminder wave's e-mails for one variant, each once (its dedupe key names
    the experiment and the person), and record each on its assignment. Returns how many
    were queued now."""
    queued = 0
    with transaction.atomic():
        variant = (Variant.objects.select_related("experiment__campaign__programme")
                   .filter(pk=variant_id, experiment_id=experiment_id).first())
        if variant is None or variant.experiment.status != Experiment.Status.RUNNING:
            return 0
        facts = CampaignFacts(variant.experiment.campaign)
        wording = {name: getattr(variant, name) for name in WORDING_FIELDS}
        pending = (variant.assignments.filter(email__isnull=True)
                   .select_related("participant").order_by("pk"))
        for assignment in pending:
            participant: Participant = assignment.participant
            values = placeholder_values(
                facts, participant=participant,
                link=functools.partial(links.manage_url, participant))
            email = participant_email_queue(
                kind=EmailKind.REMINDER_D7, participant=participant, facts=facts,
                values=values, wording=wording,
                dedupe_key=f"experiment:{experiment_id}:reminder:{participant.pk}")
            if email is not None:
                assignment.email = email
                assignment.save(update_fields=["email"])
                queued += 1
    return queued


def experiment_stop(*, experiment: Experiment, now: datetime | None = None) -> Experiment:
    """The organiser stops a running experiment: no more looks; the last one stays."""
    with transaction.atomic():
        experiment = Experiment.objects.select_for_update().get(pk=experiment.pk)
        if experiment.status != Experiment.Status.RUNNING:
            raise DomainError({"status": [_("Only a running experiment can be stopped.")]})
        experiment.status, experiment.concluded_at = (Experiment.Status.STOPPED,
                                                      now or timezone.now())
        experiment.save(update_fields=["status", "concluded_at"])
    return experiment


def experiment_delete(*, experiment: Experiment) -> None:
    """A draft can be thrown away; a launched experiment is kept (its people were sent
    messages)."""
    if experiment.status != Experiment.Status.DRAFT:
        raise DomainError({"status": [_("A launched experiment is kept.")]})
    experiment.delete()
