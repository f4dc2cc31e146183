"""Lever experiments with committed data: the daily look computed by a real worker from
the beat's fan-out, and the exported ``.sql`` file run in psql reproduces the stored sums
and every hash (its result part: ``test_experiments_sql.py``)."""

import subprocess

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from engagement.models import Campaign, Participant, Team
from lab.experiments.export import result_sql
from lab.experiments.models import Assignment, Experiment, ExperimentLook
from lab.experiments.services import (
    ExperimentSpec,
    VariantSpec,
    experiment_launch,
    experiment_save,
)
from lab.experiments.tasks import look_at_experiments_for_all_organisations
from tenants.libpq import libpq_dsn
from tenants.models import Organisation, User

from ..conftest import wait_for
from ..engagement.test_tasks import smtp_port, worker  # noqa: F401 (fixtures)
from ..factories import ParticipantFactory, PledgeFactory, make_campaign


@pytest.fixture
def running_experiment(committed):
    organisation = Organisation.objects.get(slug="testco")
    with tenant_context(organisation):
        campaign = make_campaign(capacity=500, target=50,
                                 visibility=Campaign.Visibility.INTERNAL)
        teams = [Team.objects.create(name=f"Exp team {i}") for i in range(6)]
        for i in range(90):
            ParticipantFactory(email=f"exp{i}@lab.example", team=teams[i % 6],
                               consent_to_contact=True, site=["Lyon", "Lille"][i % 2])
        user = User.objects.get(email="owner@testco.test")
        experiment = experiment_save(campaign=campaign, user=user, spec=ExperimentSpec(
            title="Worker", hypothesis="H", unit="team", variants=[
                VariantSpec(name="A", lever_code="social_proof", channel="email"),
                VariantSpec(name="B", lever_code="leader_example", channel="manager")]))
        experiment_launch(experiment=experiment, user=user)
        slot = campaign.slots.get()
        for n, row in enumerate(Assignment.objects.filter(experiment=experiment)):
            if n % 3 == 0:
                PledgeFactory(slot=slot, participant_id=row.participant_id)
    yield organisation, experiment
    with tenant_context(organisation):
        programme = campaign.programme
        Experiment.objects.filter(pk=experiment.pk).delete()
        campaign.delete()
        programme.delete()
        Participant.objects.filter(email__endswith="@lab.example").delete()
        Team.objects.filter(name__startswith="Exp team").delete()


@pytest.mark.worker
def test_the_daily_look_runs_on_a_worker_and_the_exported_sql_reproduces_it(
        running_experiment, worker):  # noqa: F811
    organisation, experiment = running_experiment
    look_at_experiments_for_all_organisations.delay()

    def looked() -> bool:
        with tenant_context(organisation):
            return ExperimentLook.objects.filter(experiment=experiment).exists()
    assert wait_for(looked, 90), worker.read_text()
    with tenant_context(organisation):
        look = ExperimentLook.objects.get(experiment=experiment)
        sql = result_sql(experiment)
    run = subprocess.run(
        ["psql", libpq_dsn(connection.settings_dict), "-X", "-q", "-A", "-F", ",", "-t",
         "-v", "ON_ERROR_STOP=1", "-f", "-"],
        input=sql, capture_output=True, text=True, check=True)
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    assert lines[0] == "0"  # no hash differs from the recomputed one
    from_psql = {}
    for line in lines[1:]:
        if not line.split(",")[0].isdigit():
            continue  # the result's rows (tests/lab/test_experiments_sql.py)
        fields = [int(v) for v in line.split(",")]
        from_psql[str(fields[0])] = {"clusters": fields[1], "people": fields[2],
                                     "people_sq": fields[3], "successes": fields[4],
                                     "successes_sq": fields[5], "cross": fields[6]}
    # An arm nobody was assigned to (the 5 % holdout of six teams can get none: the salt
    # is random) has no row in SQL and zeros in the look.
    assert from_psql == {variant: sums["primary"] for variant, sums in look.sums.items()
                         if sums["primary"]["people"]}
    assert sum(v["people"] for v in from_psql.values()) == 90
