"""The exported ``.sql`` file reproduces THE RESULT the results page and the API show: run
by psql against the organisation's schema (committed data, a read-only transaction), it
gives per variant the absolute lift and its sequential interval, the relative lift and
its delta-method interval, z, crossing and the information fraction, and the
sample-ratio check's chi-square, degrees of freedom, p-value and mismatch, each equal to
the API's figure. Person- and team-randomised, both with a holdout; the team one has
three variants (chi-square with 3 degrees of freedom: the odd closed form); the person
one has a sample-ratio mismatch (2 degrees of freedom: the even closed form)."""

import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from engagement.models import Campaign, Participant, Team
from lab.experiments.models import Assignment, Experiment
from lab.experiments.results import experiment_look_store
from lab.experiments.services import (
    ExperimentSpec,
    VariantSpec,
    experiment_launch,
    experiment_save,
)
from tenants.libpq import libpq_dsn
from tenants.models import Organisation, User

from ..conftest import tenant_client
from ..factories import ParticipantFactory, PledgeFactory, make_campaign

ARMS = [VariantSpec(name="Usual", lever_code="social_proof", channel="email"),
        VariantSpec(name="Manager", lever_code="leader_example", channel="manager"),
        VariantSpec(name="Peers", lever_code="social_proof", channel="email")]
COMPARED = ("absolute", "absolute_low", "absolute_high", "relative", "relative_low",
            "relative_high")


@pytest.fixture
def organisation(committed):
    organisation = Organisation.objects.get(slug="testco")
    with tenant_context(organisation):
        campaign = make_campaign(capacity=900, target=50,
                                 visibility=Campaign.Visibility.INTERNAL)
        teams = [Team.objects.create(name=f"Sql team {i}") for i in range(36)]
        for i in range(216):
            ParticipantFactory(email=f"sql{i}@lab.example", team=teams[i % 36],
                               consent_to_contact=True)
    yield organisation, campaign
    with tenant_context(organisation):
        programme = campaign.programme
        Experiment.objects.filter(campaign=campaign).delete()
        campaign.delete()
        programme.delete()
        Participant.objects.filter(email__endswith="@lab.example").delete()
        Team.objects.filter(name__startswith="Sql team").delete()


def _run(organisation: Organisation, experiment: Experiment, *, unsent: int,
         pledges: bool = True) -> dict:
    """Launch, pledges (more in the second variant), a look two days later, then the file
    through psql and the API's answer."""
    user = User.objects.get(email="owner@testco.test")
    with tenant_context(organisation):
        experiment = experiment_launch(experiment=experiment, user=user)
        slot = experiment.campaign.slots.get()
        second = experiment.variants.get(position=2)
        for row in Assignment.objects.filter(experiment=experiment):
            if pledges and (row.participant_id % 5 == 0 or (
                    row.variant_id == second.pk and row.participant_id % 3 == 0)):
                PledgeFactory(slot=slot, participant_id=row.participant_id)
        # Some of the second variant's invitations never went out: the check has
        # something to measure.
        lost = list(Assignment.objects.filter(variant=second)
                    .values_list("pk", flat=True)[:unsent])
        Assignment.objects.filter(pk__in=lost).update(invitation=None)
        experiment.refresh_from_db()
        experiment_look_store(experiment_id=experiment.pk,
                              now=experiment.launched_at + timedelta(days=2))
        client = tenant_client(organisation, user)
        api = client.get(f"/api/v1/experiments/{experiment.pk}/results/").json()
        sql = client.get(f"/api/v1/experiments/{experiment.pk}/export/").json()["sql"]
    run = subprocess.run(
        ["psql", libpq_dsn(connection.settings_dict), "-X", "-q", "-A", "-F", "|", "-t",
         "-v", "ON_ERROR_STOP=1", "-f", "-"],
        input=sql, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    rows = [line.split("|") for line in run.stdout.splitlines() if line.strip()]
    return {"api": api, "sql": sql,
            "comparisons": {int(r[1]): r for r in rows if r[0] == "comparison"},
            "srm": next(r for r in rows if r[0] == "srm"), "hashes": rows[0]}


def _number(text: str) -> float | None:
    return float(text) if text else None


def _assert_result(result: dict) -> None:
    api = result["api"]
    assert result["hashes"] == ["0"]
    assert api["comparisons"] and len(result["comparisons"]) == len(api["comparisons"])
    for comparison in api["comparisons"]:
        row = result["comparisons"][comparison["variant_id"]]
        figures = dict(zip(COMPARED, map(_number, row[4:10]), strict=True))
        for name in COMPARED:
            assert figures[name] == pytest.approx(comparison[name], rel=1e-9, abs=1e-12), name
        assert (row[12] == "t") == comparison["crossed"]
        if not comparison["final"]:
            # The page's fraction is rounded to 1e-4 (lab.stats.sequential).
            assert float(row[13]) == pytest.approx(comparison["information_fraction"],
                                                   abs=6e-5)
        stored = next(c for c in api["analysis"]["comparisons"]
                      if c["variant_id"] == comparison["variant_id"])
        assert float(row[10]) == pytest.approx(stored["sequential"]["z"], rel=1e-9)
    srm = api["analysis"]["srm"]
    _figure, checked, df, statistic, p_value, mismatch = result["srm"]
    assert checked == "t" and srm["checked"]
    assert int(df) == srm["df"]
    assert float(statistic) == pytest.approx(srm["chi_square"], rel=1e-9)
    assert srm["chi_square"] > 0
    # erfc in SQL is a Chebyshev fit (fractional error under 1.2e-7).
    assert float(p_value) == pytest.approx(srm["p_value"], rel=1e-6)
    assert (mismatch == "t") == srm["mismatch"]


def test_the_exported_sql_reproduces_a_person_experiments_result(organisation):
    organisation, campaign = organisation
    with tenant_context(organisation):
        experiment = experiment_save(
            campaign=campaign, user=None, spec=ExperimentSpec(
                title="Sql person", hypothesis="H", variants=ARMS[:2],
                holdout_share=Decimal("0.1"), minimum_effect=Decimal("0.1")))
    result = _run(organisation, experiment, unsent=60)
    _assert_result(result)
    # Most of the manager's arm never sent: a mismatch, found in SQL too.
    assert result["srm"][5] == "t" and result["api"]["verdict"] == "srm"
    assert "BEGIN TRANSACTION READ ONLY" in result["sql"]
    assert int(result["srm"][2]) == 2  # two variants and the holdout


def test_the_exported_sql_reproduces_a_team_experiments_result(organisation):
    organisation, campaign = organisation
    with tenant_context(organisation):
        experiment = experiment_save(
            campaign=campaign, user=None, spec=ExperimentSpec(
                title="Sql teams", hypothesis="H", unit="team", icc=Decimal("0.05"),
                variants=ARMS, holdout_share=Decimal("0.15"),
                minimum_effect=Decimal("0.2")))
    result = _run(organisation, experiment, unsent=4)
    _assert_result(result)
    assert result["srm"][5] == "f" and result["api"]["verdict"] != "srm"
    assert int(result["srm"][2]) == 3  # three variants and the holdout
    # Whole teams: units hold several people (the cluster-robust variance applies).
    assert all(arm["primary"]["clusters"] < arm["primary"]["people"]
               for arm in result["api"]["analysis"]["arms"])


def test_before_any_pledge_the_file_gives_no_interval_as_the_page(organisation):
    organisation, campaign = organisation
    with tenant_context(organisation):
        experiment = experiment_save(
            campaign=campaign, user=None, spec=ExperimentSpec(
                title="Sql empty", hypothesis="H", variants=ARMS[:2],
                holdout_share=Decimal("0.1"), minimum_effect=Decimal("0.1")))
    result = _run(organisation, experiment, unsent=0, pledges=False)
    [comparison] = result["api"]["comparisons"]
    assert comparison["absolute_low"] is None and comparison["relative"] is None
    row = result["comparisons"][comparison["variant_id"]]
    assert row[4] == "0" and row[5:10] == ["", "", "", "", ""] and row[12] == "f"
