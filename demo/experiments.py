"""Demo: lever experiments on the company demo (acme). A concluded one on a finished
campaign (its people assigned by the hash when the wave went out, their pledges read as
they are, the final look stored) and a running one on an open campaign, launched through
the real services (assignment, invitations per variant) with its first look. Idempotent:
a second run finds them by title."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from django_tenants.utils import tenant_context

from core.errors import DomainError
from engagement.models import Campaign, Channel, Participant
from lab.experiments.assignment import buckets, hash_value, unit_key, variant_for
from lab.experiments.models import Assignment, Experiment
from lab.experiments.results import experiment_look_store
from lab.experiments.services import (
    ExperimentSpec,
    VariantSpec,
    experiment_launch,
    experiment_save,
)
from tenants.models import Organisation, User

CONCLUDED = "Mot du manager ou message habituel"
RUNNING = "Heure d'envoi : 8 h ou 12 h"


def _variants(second: VariantSpec) -> list[VariantSpec]:
    return [VariantSpec(name="Message habituel", lever_code="social_proof",
                        channel=Channel.EMAIL), second]


def seed() -> None:
    organisation = Organisation.objects.filter(slug="acme").first()
    if organisation is None:
        return
    manager = User.objects.get(email="manager@acme.example")
    with tenant_context(organisation):
        _concluded(manager)
        _running(manager)


def _concluded(manager: User) -> None:
    campaign = (Campaign.objects.filter(status__in=(Campaign.Status.SUCCEEDED,
                                                    Campaign.Status.COMPLETED,
                                                    Campaign.Status.FAILED))
                .order_by("-starts_at").first())
    if campaign is None or Experiment.objects.filter(title=CONCLUDED).exists():
        return
    experiment = experiment_save(campaign=campaign, user=manager, spec=ExperimentSpec(
        title=CONCLUDED, hypothesis="Un mot personnel du manager fait s'inscrire plus de "
        "collègues que le message habituel de la direction RSE.",
        baseline_rate=Decimal("0.25"), minimum_effect=Decimal("0.1"), days=14,
        variants=_variants(VariantSpec(
            name="Mot du manager", lever_code="leader_example", channel=Channel.MANAGER,
            subject_fr="Je serai là, et vous ?", subject_en="I'll be there, will you?",
            body_fr="Bonjour {participant_first_name},\n\nJe participe à {campaign_title} "
            "le {action_date}. Rejoignez-moi : {link}",
            body_en="Hello {participant_first_name},\n\nI'm taking part in {campaign_title} "
            "on {action_date}. Join me: {link}"))))
    # The wave went out two weeks before the deadline: everyone then reachable was
    # assigned by the hash, as a launch does (the campaign is over, so no e-mail now).
    launched = campaign.mobilisation_deadline - timedelta(days=14)
    variants = list(experiment.variants.all())
    intervals = buckets(experiment, variants)
    rows = []
    for person_id, team_id in Participant.objects.filter(erased_at__isnull=True).values_list(
            "pk", "team_id"):
        key = unit_key(unit=experiment.unit, participant_id=person_id, team_id=team_id)
        value = hash_value(experiment.salt, key)
        rows.append(Assignment(experiment=experiment, participant_id=person_id, unit_key=key,
                               hash_value=Decimal(repr(value)).quantize(Decimal(10) ** -17),
                               variant=variant_for(value, intervals), assigned_at=launched))
    Assignment.objects.bulk_create(rows)
    experiment.status, experiment.launched_at = Experiment.Status.RUNNING, launched
    experiment.ends_at = campaign.mobilisation_deadline
    experiment.save(update_fields=["status", "launched_at", "ends_at"])
    experiment_look_store(experiment_id=experiment.pk,
                          now=max(timezone.now(), campaign.mobilisation_deadline))


def _running(manager: User) -> None:
    campaign = (Campaign.objects.filter(status=Campaign.Status.OPEN)
                .order_by("mobilisation_deadline").first())
    if campaign is None or Experiment.objects.filter(title=RUNNING).exists():
        return
    experiment = experiment_save(campaign=campaign, user=manager, spec=ExperimentSpec(
        title=RUNNING, hypothesis="Une invitation reçue à l'heure du déjeuner est lue et "
        "acceptée plus souvent qu'une invitation reçue le matin.",
        unit=Experiment.Unit.TEAM, icc=Decimal("0.05"), baseline_rate=Decimal("0.2"),
        minimum_effect=Decimal("0.08"), days=21,
        variants=[VariantSpec(name="Envoi à 8 h", lever_code="social_proof",
                              channel=Channel.EMAIL, send_hour=8),
                  VariantSpec(name="Envoi à 12 h", lever_code="social_proof",
                              channel=Channel.EMAIL, send_hour=12)]))
    try:
        experiment_launch(experiment=experiment, user=manager)
    except DomainError:  # nobody left to invite: the draft stays a draft
        return
    experiment_look_store(experiment_id=experiment.pk)
