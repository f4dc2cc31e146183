"""Lever experiments, the services: a draft with its power calculation, a launch that
assigns everyone once by a hash anyone can recompute (in SQL too), each variant's wave
sent with its own lever, channel and wording, the holdout sent nothing; the daily look."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.errors import DomainError
from engagement.models import Channel, Invitation, OutboundEmail, Pledge, Team
from lab.experiments.assignment import HASH_SQL, hash_value
from lab.experiments.design import power_preview
from lab.experiments.models import Assignment, Experiment
from lab.experiments.results import experiment_look_store
from lab.experiments.services import (
    ExperimentSpec,
    VariantSpec,
    experiment_launch,
    experiment_save,
    experiment_stop,
)

from ..factories import ParticipantFactory, PledgeFactory, make_campaign

VARIANTS = [
    VariantSpec(name="Usual", lever_code="social_proof", channel=Channel.EMAIL),
    VariantSpec(name="Manager", lever_code="leader_example", channel=Channel.MANAGER,
                subject_fr="Votre manager compte sur vous", body_fr="Rejoignez-nous : {link}",
                subject_en="Your manager counts on you", body_en="Join us: {link}"),
]


def spec(**changes) -> ExperimentSpec:
    fields = {"title": "Manager's message", "hypothesis": "A word from the manager helps.",
              "variants": VARIANTS, "holdout_share": Decimal("0.1")} | changes
    return ExperimentSpec(**fields)


@pytest.fixture
def setting(org_a, manager_a, eager):
    with tenant_context(org_a):
        campaign = make_campaign(capacity=500, target=50)
        teams = [Team.objects.create(name=f"Team {i}") for i in range(8)]
        people = [ParticipantFactory(team=teams[i % 8], consent_to_contact=True,
                                     site=["Lyon", "Nantes"][i % 2], age_band="30-39")
                  for i in range(160)]
        yield campaign, people


def test_a_draft_stores_the_people_needed_and_refuses_bad_input_naming_the_field(
        setting, manager_a):
    campaign, _people = setting
    experiment = experiment_save(campaign=campaign, spec=spec(), user=manager_a)
    preview = power_preview(campaign=campaign, wave="invitation", unit="person", arms=2,
                            baseline=0.2, mde=0.05, alpha=0.05, power=0.8, icc=0,
                            holdout_share=0.1)
    assert experiment.planned_people == preview.needed_total > 160
    assert preview.audience == 160 and not preview.enough
    assert experiment.variants.filter(is_holdout=True).count() == 1
    with pytest.raises(DomainError) as refused:
        experiment_save(campaign=campaign, spec=spec(title="", variants=VARIANTS[:1]),
                        user=manager_a)
    assert {"title", "variants"} <= set(refused.value.errors)
    with pytest.raises(DomainError) as refused:
        power_preview(campaign=campaign, wave="invitation", unit="team", arms=2,
                      baseline=1.2, mde=0.05, alpha=0.05, power=0.8, icc=0.05,
                      holdout_share=0.05)
    assert set(refused.value.errors) == {"baseline_rate"}


def test_team_randomisation_inflates_the_people_needed_by_the_design_effect(setting):
    campaign, _people = setting
    person = power_preview(campaign=campaign, wave="invitation", unit="person", arms=2,
                           baseline=0.2, mde=0.1, alpha=0.05, power=0.8, icc=0.05,
                           holdout_share=0)
    team = power_preview(campaign=campaign, wave="invitation", unit="team", arms=2,
                         baseline=0.2, mde=0.1, alpha=0.05, power=0.8, icc=0.05,
                         holdout_share=0)
    assert team.mean_team_size == 20 and team.plan.design_effect == pytest.approx(1.95)
    assert team.plan.people_per_arm > person.plan.people_per_arm * 1.9


def test_launch_assigns_each_person_once_by_the_hash_and_sends_each_variant_its_wave(
        setting, manager_a, django_capture_on_commit_callbacks):
    campaign, people = setting
    experiment = experiment_save(campaign=campaign, spec=spec(), user=manager_a)
    with django_capture_on_commit_callbacks(execute=True):
        experiment_launch(experiment=experiment, user=manager_a)
        experiment_launch(experiment=experiment, user=manager_a)  # a double click
    experiment.refresh_from_db()
    assert experiment.status == "running" and experiment.launched_at is not None
    rows = list(Assignment.objects.filter(experiment=experiment).select_related("variant"))
    assert len(rows) == 160
    for row in rows:
        assert row.unit_key == f"person:{row.participant_id}"
        assert float(row.hash_value) == pytest.approx(hash_value(experiment.salt, row.unit_key),
                                                      abs=1e-15)
        assert row.variant.is_holdout == (float(row.hash_value) < 0.1)
        assert (row.invitation_id is None) == row.variant.is_holdout
    holdout = {r.participant_id for r in rows if r.variant.is_holdout}
    assert 4 <= len(holdout) <= 35
    assert not Invitation.objects.filter(participant_id__in=holdout).exists()
    manager = Invitation.objects.filter(
        pk__in=[r.invitation_id for r in rows if r.variant.name == "Manager"])
    assert set(manager.values_list("lever_code", "channel").distinct()) == {
        ("leader_example", "manager")}
    sent = OutboundEmail.objects.filter(participant_id__in=manager.values("participant_id"))
    assert sent.count() == manager.count() > 0
    assert {e.subject for e in sent} == {"Votre manager compte sur vous"}
    # The same hash in PostgreSQL, as the exported SQL computes it.
    with connection.cursor() as cursor:
        cursor.execute("SELECT unit_key, " + HASH_SQL.format(salt="%s", unit_key="unit_key")
                       + " FROM lab_assignment WHERE experiment_id = %s",
                       [experiment.salt, experiment.pk])
        in_sql = dict(cursor.fetchall())
    assert all(in_sql[r.unit_key] == hash_value(experiment.salt, r.unit_key) for r in rows)


def test_whole_teams_share_one_variant(setting, manager_a):
    campaign, _people = setting
    experiment = experiment_save(campaign=campaign, spec=spec(unit="team", icc=Decimal("0.05"),
                                                              holdout_share=Decimal(0)),
                                 user=manager_a)
    experiment_launch(experiment=experiment, user=manager_a)
    by_team = {}
    for key, variant in Assignment.objects.filter(experiment=experiment).values_list(
            "unit_key", "variant_id"):
        by_team.setdefault(key, set()).add(variant)
    assert len(by_team) == 8 and all(len(v) == 1 for v in by_team.values())


def test_the_daily_look_stores_the_lift_and_concludes_on_the_last_day(setting, manager_a):
    campaign, people = setting
    experiment = experiment_save(campaign=campaign, spec=spec(holdout_share=Decimal(0)),
                                 user=manager_a)
    experiment_launch(experiment=experiment, user=manager_a)
    slot = campaign.slots.get()
    for row in Assignment.objects.filter(experiment=experiment).select_related("variant"):
        if row.variant.name == "Manager" or row.participant_id % 5 == 0:
            PledgeFactory(slot=slot, participant_id=row.participant_id,
                          status=Pledge.Status.CONFIRMED)
    look = experiment_look_store(experiment_id=experiment.pk)
    comparison = look.analysis["comparisons"][0]
    assert comparison["fixed"]["absolute"] > 0.5
    assert look.analysis["srm"]["mismatch"] is False
    assert look.analysis["verdict"] in ("evidence", "not_yet")
    # On the last day the look is final: the experiment concludes.
    experiment.refresh_from_db()
    if experiment.status == "running":
        look = experiment_look_store(experiment_id=experiment.pk,
                                     now=experiment.ends_at + timedelta(hours=1))
        experiment.refresh_from_db()
    assert experiment.status == "concluded"
    assert look.analysis["verdict"] == "evidence"


def test_the_organiser_can_stop_a_running_experiment_and_not_a_draft(setting, manager_a):
    campaign, _people = setting
    experiment = experiment_save(campaign=campaign, spec=spec(), user=manager_a)
    with pytest.raises(DomainError):
        experiment_stop(experiment=experiment)
    experiment_launch(experiment=experiment, user=manager_a)
    assert experiment_stop(experiment=experiment, now=timezone.now()).status == "stopped"
    assert experiment_look_store(experiment_id=experiment.pk) is None
    assert Experiment.objects.get(pk=experiment.pk).looks.count() == 0


def test_a_reminder_wave_sends_each_variants_reminder_once_and_the_holdout_nothing(
        setting, manager_a, django_capture_on_commit_callbacks):
    campaign, people = setting
    slot = campaign.slots.get()
    for person in people[:40]:
        PledgeFactory(slot=slot, participant=person)
    reminders = [VariantSpec(name="Usual", lever_code="", channel=Channel.EMAIL,
                             subject_en="See you soon", body_en="It's soon: {link}"),
                 VariantSpec(name="Team", lever_code="", channel=Channel.EMAIL,
                             subject_en="Your team counts on you", body_en="Come: {link}")]
    experiment = experiment_save(campaign=campaign, user=manager_a, spec=spec(
        wave="reminder", metric="attended", variants=reminders))
    with django_capture_on_commit_callbacks(execute=True):
        experiment_launch(experiment=experiment, user=manager_a)
    rows = list(Assignment.objects.filter(experiment=experiment).select_related("variant"))
    assert len(rows) == 40
    sent = OutboundEmail.objects.filter(dedupe_key__startswith=f"experiment:{experiment.pk}:")
    reached = [r for r in rows if not r.variant.is_holdout]
    assert sent.count() == len(reached) and all(r.email_id for r in reached)
    assert {e.subject for e in sent} == {"See you soon", "Your team counts on you"}
    assert not Invitation.objects.filter(campaign=campaign).exists()
    from lab.experiments.services import experiment_reminders_queue
    assert experiment_reminders_queue(experiment_id=experiment.pk,
                                      variant_id=reached[0].variant_id) == 0
