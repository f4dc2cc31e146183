"""Lever experiments, what the results mean: the final look's two verdicts (no difference
that matters, or not enough evidence either way), the duration counted from the launch,
a crossed comparison kept, the sample-ratio check on the units actually sent, segments
from units with BH-consistent intervals, the holdout stated and named in the reader's
language, the empty state, too few teams, progress in people and information, and the
API's sequential result."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from engagement.models import Pledge
from lab.experiments.api import comparisons, readable
from lab.experiments.export import people_csv
from lab.experiments.models import Assignment, Experiment
from lab.experiments.results import experiment_analyse
from lab.experiments.services import experiment_launch, experiment_save
from lab.experiments.verdict import (
    arm_rows,
    comparison_sentence,
    headline,
    progress,
)

from ..factories import PledgeFactory
from .test_experiments import VARIANTS, VariantSpec, setting, spec  # noqa: F401

EN = "en"


def _comparison(low, high, *, final=True, crossed=False, absolute=None):
    return {"variant_id": 1, "name": "Manager", "final": final, "crossed": crossed,
            "sequential": {"absolute": absolute if absolute is not None else (low + high) / 2,
                           "absolute_low": low, "absolute_high": high, "relative": 0.5,
                           "relative_low": 0.1, "relative_high": 1.0}}


def _arm(name, people, successes, *, holdout=False, control=False, clusters=None):
    sums = {"clusters": clusters or people, "people": people, "successes": successes,
            "people_sq": people, "successes_sq": successes, "cross": successes}
    empty = dict.fromkeys(sums, 0)
    return {"variant_id": hash(name) % 1000, "name": name, "is_holdout": holdout,
            "is_control": control, "primary": sums, "unsubscribes": empty,
            "complaints": empty}


def test_a_final_look_says_no_difference_that_matters_only_inside_the_effect_worth_detecting():
    experiment = Experiment(minimum_effect=Decimal("0.05"))
    with translation.override(EN):
        inside = comparison_sentence(experiment, _comparison(-0.02, 0.03), 0.05, "no_effect")
        wide = comparison_sentence(experiment, _comparison(-0.08, 0.10), 0.05, "no_effect")
    assert "no difference large enough to matter" in inside
    assert "no difference" not in wide
    assert "not enough evidence either way" in wide and "−8.0 to +10.0" in wide


def test_a_crossed_comparison_states_its_relative_lift_with_its_interval():
    experiment = Experiment(minimum_effect=Decimal("0.05"))
    with translation.override(EN):
        text = comparison_sentence(experiment, _comparison(0.05, 0.2, crossed=True), 0.05,
                                   "evidence")
    assert "+50" in text and "relative" in text and "+10" in text and "+100" in text


def test_before_any_outcome_no_zero_rows_but_the_day_of_the_first_reading():
    experiment = Experiment(metric="pledged")
    analysis = {"verdict": "not_yet", "arms": [_arm("A", 40, 0, control=True), _arm("B", 40, 0)],
                "comparisons": [_comparison(0.0, 0.0, final=False)]}
    with translation.override(EN):
        text = headline(experiment, analysis, date(2026, 3, 2))
    assert text.startswith("No pledge yet in any variant; first reading on")
    assert "3 March 2026" in text and "+0" not in text


def test_the_holdout_is_stated_flagged_when_too_small_and_named_in_the_readers_language():
    experiment = Experiment(metric="pledged", minimum_effect=Decimal("0.05"))
    analysis = {"verdict": "not_yet", "comparisons": [_comparison(-0.1, 0.2, final=False)],
                "arms": [_arm("Témoin (aucun message)", 8, 3, holdout=True),
                         _arm("A", 40, 4, control=True), _arm("B", 40, 9)]}
    with translation.override(EN):
        text = headline(experiment, analysis, date(2026, 3, 2))
        rows = arm_rows(analysis)
    assert "Without any message, 38% pledged (8 people: too few to read)." in text
    assert rows[0].name == "Holdout (no message)"


def test_too_few_teams_per_arm_warn_that_the_intervals_are_unreliable():
    experiment = Experiment(metric="pledged", unit="team", minimum_effect=Decimal("0.05"))
    analysis = {"verdict": "not_yet", "comparisons": [_comparison(-0.1, 0.2, final=False)],
                "arms": [_arm("A", 40, 4, control=True, clusters=4),
                         _arm("B", 40, 9, clusters=5)]}
    with translation.override(EN):
        text = headline(experiment, analysis, date(2026, 3, 2))
    assert "Only 4 teams in the smallest variant" in text and "unreliable" in text


def test_progress_is_worded_with_people_and_information():
    experiment = Experiment(metric="pledged")
    analysis = {"final_day": True, "comparisons": [
        {"variant_id": 1, "name": "B", "fraction": 1.0, "people_fraction": 0.3752}]}
    with translation.override(EN):
        text = progress(experiment, analysis, date(2026, 3, 2))
    assert "Planned duration over; 38% of the planned people reached, 100% of the planned" \
        in text


def test_the_duration_runs_from_the_launch_and_the_planned_information_is_frozen(
        setting, manager_a):  # noqa: F811
    campaign, _people = setting
    experiment = experiment_save(campaign=campaign, spec=spec(days=10), user=manager_a)
    assert experiment.ends_at is None and experiment.days == 10
    later = timezone.now() + timedelta(days=3)
    experiment_launch(experiment=experiment, user=manager_a, now=later)
    experiment.refresh_from_db()
    assert experiment.ends_at == later + timedelta(days=10)
    assert experiment.planned_information > 0


def test_a_crossed_comparison_stays_crossed_and_the_other_arms_go_on(setting, manager_a):  # noqa: F811
    campaign, _people = setting
    three = [*VARIANTS, VariantSpec(name="Peer", lever_code="social_proof", channel="email")]
    experiment = experiment_save(campaign=campaign, spec=spec(variants=three,
                                                              holdout_share=Decimal(0)),
                                 user=manager_a)
    experiment_launch(experiment=experiment, user=manager_a)
    manager, peer = experiment.variants.exclude(is_control=True).order_by("position")
    earlier = {"variant_id": manager.pk, "name": "Manager", "crossed": True, "final": False,
               "fraction": 0.4, "fractions": [0.4],
               "sequential": {"absolute": 0.3, "absolute_low": 0.1, "absolute_high": 0.5}}
    analysis = experiment_analyse(experiment, now=timezone.now(), previous=[earlier])
    kept = next(c for c in analysis["comparisons"] if c["variant_id"] == manager.pk)
    other = next(c for c in analysis["comparisons"] if c["variant_id"] == peer.pk)
    assert kept["crossed"] and kept["latched"] and kept["sequential"]["absolute"] == 0.3
    assert not other.get("crossed") and not analysis["done"]


def test_the_sample_ratio_check_counts_the_people_actually_sent(setting, manager_a):  # noqa: F811
    campaign, _people = setting
    experiment = experiment_save(campaign=campaign, spec=spec(holdout_share=Decimal(0)),
                                 user=manager_a)
    experiment = experiment_launch(experiment=experiment, user=manager_a)
    soon = timezone.now() + timedelta(hours=2)
    assert experiment_analyse(experiment, now=soon)["srm"]["checked"] is False
    later = timezone.now() + timedelta(days=2)
    balanced = experiment_analyse(experiment, now=later)["srm"]
    assert balanced["checked"] is True and balanced["mismatch"] is False
    # The manager's messages never went out to most of its arm: assigned, not sent.
    manager = experiment.variants.get(name="Manager")
    unsent = list(Assignment.objects.filter(variant=manager).values_list("pk", flat=True))
    Assignment.objects.filter(pk__in=unsent[: len(unsent) * 2 // 3]).update(invitation=None)
    analysis = experiment_analyse(experiment, now=later)
    assert analysis["srm"]["mismatch"] is True and analysis["verdict"] == "srm"


def test_segments_of_a_team_experiment_sum_over_teams_with_intervals_matching_bh(
        setting, manager_a):  # noqa: F811
    campaign, _people = setting
    experiment = experiment_save(campaign=campaign, spec=spec(unit="team", icc=Decimal("0.05"),
                                                              holdout_share=Decimal(0), days=1),
                                 user=manager_a)
    experiment_launch(experiment=experiment, user=manager_a)
    slot = campaign.slots.get()
    for row in Assignment.objects.filter(experiment=experiment).select_related("variant"):
        if row.variant.name == "Manager" or row.participant_id % 4 == 0:
            PledgeFactory(slot=slot, participant_id=row.participant_id,
                          status=Pledge.Status.CONFIRMED)
    experiment.refresh_from_db()
    analysis = experiment_analyse(experiment, now=experiment.ends_at + timedelta(hours=1))
    rows = analysis["segments"]
    assert rows and all(r["dimension"] != "team" for r in rows)
    # Sums over units: a site's arm holds fewer teams than people.
    assert all(r["control_units"] < r["control_people"] for r in rows)
    for row in rows:
        assert (row["low"] is None) == (not row["rejected"])
        if row["low"] is not None:
            assert -1.0 <= row["low"] <= row["absolute"] <= row["high"] <= 1.0


def test_the_api_gives_the_sequential_result_and_the_fixed_one_at_the_final_look_only(
        setting, manager_a):  # noqa: F811
    campaign, _people = setting
    experiment = experiment_save(campaign=campaign, spec=spec(), user=manager_a)
    experiment_launch(experiment=experiment, user=manager_a)
    slot = campaign.slots.get()
    for row in Assignment.objects.filter(experiment=experiment).select_related("variant"):
        if row.participant_id % 3 == 0:
            PledgeFactory(slot=slot, participant_id=row.participant_id,
                          status=Pledge.Status.CONFIRMED)
    interim = experiment_analyse(experiment, now=timezone.now())
    [result] = comparisons(interim)
    assert result["fixed_horizon"] is None and result["absolute_low"] is not None
    assert "fixed" not in readable(interim)["comparisons"][0]
    experiment.refresh_from_db()
    final = experiment_analyse(experiment, now=experiment.ends_at + timedelta(hours=1))
    assert comparisons(final)[0]["fixed_horizon"]["absolute"] == pytest.approx(
        final["comparisons"][0]["sequential"]["absolute"])
    # The holdout's stored name is the creator's language: the CSV names it in the reader's.
    experiment.variants.filter(is_holdout=True).update(name="Témoin (aucun message)")
    with translation.override(EN):
        text = people_csv(experiment)
    assert "Holdout (no message)" in text and "Témoin" not in text
