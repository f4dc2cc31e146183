"""The success forecast (lab.forecast) and its campaign generator (lab.simulation):
properties of the model and a seeded mini-backtest against the naive baseline."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lab.forecast import (
    AT_RISK_THRESHOLD,
    GRID,
    Reference,
    _trajectory_increments,
    campaign_forecast,
    prepare_references,
    reference_from_points,
    u_shaped_curve,
)
from lab.simulation import FULLMOBS, KICKSTARTER, simulate_campaigns


@pytest.fixture(scope="module")
def training() -> list[Reference]:
    return [reference_from_points(c.points(), target=c.target)
            for c in simulate_campaigns(300, seed=11)]


def _forecast(refs, *, elapsed=0.5, count=10, target=20, points=None, **kw):
    return campaign_forecast(elapsed=elapsed, count=count, target=target,
                             points=points if points is not None else [(elapsed, count)],
                             references=refs, **kw)


def test_grid_is_21_fractions_of_the_window():
    assert len(GRID) == 21 and GRID[0] == 0.0 and GRID[-1] == 1.0
    assert GRID[1] == pytest.approx(0.05)


def test_reference_from_points_is_the_step_trajectory_as_a_share_of_the_final():
    ref = reference_from_points([(0.0, 0), (0.12, 10), (0.5, 30), (0.97, 40), (1.2, 99)],
                                target=35, weight=2.0)
    assert ref.final == 40 and ref.target == 35 and ref.weight == 2.0
    assert len(ref.curve) == 21 and ref.curve[-1] == 1.0
    assert ref.curve[2] == 0.0  # t = 0.10: before the first sign-ups
    assert ref.curve[3] == pytest.approx(0.25)  # t = 0.15: 10 of 40
    assert ref.curve[10] == pytest.approx(0.75)  # t = 0.50: 30 of 40


def test_a_campaign_that_ended_empty_keeps_a_u_shaped_curve():
    ref = reference_from_points([], target=10)
    assert ref.final == 0 and ref.curve[0] == 0.0 and ref.curve[-1] == pytest.approx(1.0)
    assert ref.curve[2] > 0.1 and ref.curve[-1] - ref.curve[-3] > 0.1


def test_the_prior_curve_is_u_shaped():
    start, early, middle, late, end = u_shaped_curve(np.array([0.0, 0.1, 0.55, 0.9, 1.0]))
    assert start == pytest.approx(0.0) and end == pytest.approx(1.0)
    assert early > 0.2  # the launch: more than twice the straight line's 10 %
    assert end - late > 0.15  # the deadline surge
    mid_rate = float(u_shaped_curve(0.6)[()] - u_shaped_curve(0.5)[()])
    assert mid_rate < 0.1  # the middle is slower than the straight line


def test_more_sign_ups_never_lower_the_forecast():
    """Monotone in the count on Fullmobs-like references: each reference's predicted final
    grows with the count (ELASTICITY) and the kernel moves to references further ahead.
    The expected final may dip by a fraction of a person where the neighbours change
    (docs/decisions.md, fourth round)."""
    refs = _PROPERTY_REFS["fullmobs"]
    forecasts = [_forecast(refs, elapsed=0.4, count=c, target=40) for c in range(0, 45, 3)]
    probabilities = [f.probability for f in forecasts]
    expected = [f.expected for f in forecasts]
    assert probabilities == sorted(probabilities)
    assert all(b >= a - 0.5 for a, b in zip(expected, expected[1:], strict=False))
    assert probabilities[0] < 0.2 < 0.8 < probabilities[-2]


def test_a_campaign_at_its_target_is_certain_to_reach_it(training):
    # Decision (docs/decisions.md): the forecast counts net future sign-ups as
    # non-negative, so confirmed seats at the target now give probability 1; the
    # backtest measures how often later cancellations undo it.
    reached = _forecast(training, elapsed=0.3, count=20, target=20)
    assert reached.probability == 1.0 and not reached.at_risk
    assert reached.low >= 20
    short = _forecast(training, elapsed=0.3, count=19, target=20)
    assert short.probability < 1.0


def test_the_interval_contains_the_expected_count(training):
    for elapsed, count in ((0.0, 0), (0.1, 3), (0.5, 12), (0.9, 30), (1.0, 25)):
        f = _forecast(training, elapsed=elapsed, count=count, target=30)
        assert count <= f.low <= f.expected <= f.high
        assert f.baseline_share == pytest.approx(count / 30)
        assert f.at_risk == (f.probability < AT_RISK_THRESHOLD)


def test_the_straight_line_extrapolation_is_reported_as_the_baseline(training):
    f = _forecast(training, elapsed=0.25, count=10, target=30)
    assert f.linear == pytest.approx(40.0)
    # Pledges are U-shaped: a quarter of the way in, the launch burst is behind, so the
    # model expects less than the straight line does.
    assert f.expected < f.linear


def test_without_references_the_prior_is_honest_and_wide(training):
    prior = _forecast([], elapsed=0.0, count=0, target=30, points=[])
    assert prior.method == "prior" and prior.references == 0
    assert 0.2 < prior.probability < 0.8
    assert prior.high / max(prior.low, 1.0) > 2.0
    # A steady trajectory (a single point at 0.8 would say that all 25 came in the last
    # days: a spurt, which rightly widens the range).
    steady = [(0.2, 10), (0.5, 18), (0.8, 25)]
    informed = _forecast(training, elapsed=0.8, count=25, target=30, points=steady)
    assert informed.method == "reference-class" and informed.references == 300
    narrow = informed.high - informed.low
    wide = _forecast([], elapsed=0.8, count=25, target=30).high - 25
    assert narrow < wide
    # Far behind every curve of the prior, with nothing to compare with: the prior
    # extrapolates the count along its U-shaped curves (the demo once showed 40 expected
    # for 7 of 60 at 72 % of the window; the straight line says 10).
    behind = _forecast([], elapsed=0.72, count=7, target=60,
                       points=[(0.1, 3), (0.3, 5), (0.72, 7)])
    assert behind.probability < 0.1 and 7 <= behind.low <= behind.expected < 20


def test_closer_references_weigh_more():
    # Two reference classes: campaigns that ended at twice their target and campaigns that
    # ended at half of it, with the same curve. The closer class pulls the forecast.
    def refs(weight_high: float, weight_low: float) -> list[Reference]:
        points = [(t, round(40 * float(u_shaped_curve(t)[()]))) for t in GRID]
        high = [reference_from_points(points, target=20, weight=weight_high)] * 10
        low = [reference_from_points(points, target=80, weight=weight_low)] * 10
        return high + low
    toward_high = _forecast(refs(4.0, 1.0), elapsed=0.0, count=0, target=30, points=[])
    toward_low = _forecast(refs(1.0, 4.0), elapsed=0.0, count=0, target=30, points=[])
    assert toward_high.probability > 0.6 > 0.4 > toward_low.probability


def test_capacity_bounds_the_final(training):
    f = _forecast(training, elapsed=0.3, count=15, target=20, capacity=22)
    assert f.high <= 22 and f.expected <= 22
    assert _forecast(training, elapsed=0.3, count=15, target=20).high > 22


def test_seeded_mini_backtest_beats_the_share_so_far_baseline():
    """Fullmobs-like scenario (the goals' scenario), fixed seeds: 600 training references,
    400 test campaigns. At 25 % and D-7 the Brier beats the "on pace" baseline, and the
    80 % interval covers 70-90 % of the finals (the full backtest: 78-82 % at D-7)."""
    refs = prepare_references([reference_from_points(c.points(), target=c.target)
                               for c in simulate_campaigns(600, seed=11, scenario=FULLMOBS)])
    test = simulate_campaigns(400, seed=12, scenario=FULLMOBS)
    for late in (False, True):
        probs, naive, covered, outcomes = [], [], [], []
        for c in test:
            e = 1 - 7 / c.duration_days if late else 0.25
            f = campaign_forecast(elapsed=e, count=c.count_at(e), target=c.target,
                                  points=c.points(e), references=refs,
                                  capacity=c.capacity)
            probs.append(f.probability)
            naive.append(float(c.count_at(e) / c.target >= e))
            covered.append(f.low <= c.final <= f.high)
            outcomes.append(float(c.reached))
        y = np.array(outcomes)
        brier = float(np.mean((np.array(probs) - y) ** 2))
        baseline = float(np.mean((np.array(naive) - y) ** 2))
        assert brier < 0.9 * baseline, (late, brier, baseline)
        assert brier < (0.05 if late else 0.07)
        assert 0.70 <= float(np.mean(covered)) <= 0.90, late


def test_the_generator_is_seeded_u_shaped_and_heterogeneous():
    a, b = simulate_campaigns(400, seed=5), simulate_campaigns(400, seed=5)
    assert [c.counts for c in a] == [c.counts for c in b]
    assert all(21 <= c.duration_days <= 56 and c.final <= c.capacity for c in a)
    shares = np.array([[c.count_at(0.1) / c.final, (c.count_at(0.6) - c.count_at(0.5)) / c.final,
                        1 - c.count_at(0.9) / c.final] for c in a if c.final >= 10])
    first, middle, last = shares.mean(axis=0)
    assert first > 0.25 and last > 0.15 and middle < 0.08
    assert 0.1 < np.mean([c.relaunched for c in a]) < 0.3
    assert 0.25 < np.mean([c.reached for c in a]) < 0.75
    finals = np.array([c.final for c in a if c.final > 0])
    assert np.std(np.log(finals)) > 0.5  # popularity varies between campaigns


def test_the_fullmobs_scenario_fails_by_large_margins_and_succeeds_by_small_ones():
    """docs/forecast.md, "Two scenarios": about 70 % reach their target (issue 17); the
    failures mostly end far below it, the successes a little above it (Mollick 2014)."""
    main = simulate_campaigns(1000, seed=21, scenario=FULLMOBS)
    ratios = np.array([c.final / c.target for c in main])
    failed, succeeded = ratios[ratios < 1], ratios[ratios >= 1]
    assert 0.65 <= len(succeeded) / len(ratios) <= 0.75
    assert np.median(failed) < 0.3
    assert np.median(succeeded) < 1.2
    hard = simulate_campaigns(1000, seed=21, scenario=KICKSTARTER)
    hard_ratios = np.array([c.final / c.target for c in hard])
    assert np.mean(hard_ratios >= 1) < 0.5
    assert np.median(hard_ratios[hard_ratios < 1]) > 0.5  # close calls


def test_prepared_references_give_the_same_forecast(training):
    prepared = prepare_references(training)
    assert len(prepared) == len(training) and prepared[0] == training[0]
    for count in (0, 4, 12):
        a = _forecast(training, elapsed=0.6, count=count, target=20)
        b = _forecast(prepared, elapsed=0.6, count=count, target=20)
        assert a == b


def test_a_recent_spurt_raises_the_forecast(training):
    """Momentum: the same count at D-7, gained steadily or mostly in the last days."""
    steady = [(0.1 * k, 2 * k) for k in range(1, 9)]  # 16 at 0.8
    spurt = [(0.1, 3), (0.2, 5), (0.4, 6), (0.6, 7), (0.7, 8), (0.75, 12), (0.8, 16)]
    a = _forecast(training, elapsed=0.8, count=16, target=30, points=steady)
    b = _forecast(training, elapsed=0.8, count=16, target=30, points=spurt)
    assert b.probability > a.probability
    bounds, gains = _trajectory_increments(spurt, 0.8, 16, recent=0.1)
    assert bounds[-2] == pytest.approx(0.7) and gains[-1] == 8


_PROPERTY_REFS = {
    name: prepare_references([reference_from_points(c.points(), target=c.target)
                              for c in simulate_campaigns(150, seed=21, scenario=scenario)])
    for name, scenario in (("fullmobs", FULLMOBS), ("kickstarter", KICKSTARTER))
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    scenario=st.sampled_from(["fullmobs", "kickstarter", "none"]),
    elapsed=st.floats(0.05, 0.98),
    count=st.integers(0, 120),
    target=st.integers(1, 150),
    capacity=st.one_of(st.none(), st.integers(1, 200)),
)
def test_probability_interval_and_expected_tell_one_story(scenario, elapsed, count, target,
                                                          capacity):
    """Probability, expected and interval come from one posterior: a likely success has
    its 10th percentile at the target (less one seat for discreteness), a likely failure
    its 90th percentile below it, and the interval holds the expected count (the demo once showed
    "more than 99 %" beside an interval of 36 to 53 for a target of 40)."""
    refs = _PROPERTY_REFS.get(scenario, [])
    points = [(elapsed * k / 4, count * k // 4) for k in range(1, 5)]
    f = _forecast(refs, elapsed=elapsed, count=count, target=target, points=points,
                  capacity=capacity)
    if f.probability >= 0.9:
        assert f.low >= target - 1
    if f.probability <= 0.1:
        assert f.high < target + 1
    assert f.low <= f.expected <= f.high
    # One more sign-up: the chance may dip, by 2 points at most (the kernel moves to
    # other neighbours; worst seen under 1 point in 3,000 random cases on these reference
    # sets, docs/decisions.md fourth round). Not asserted: monotone in the target (the
    # target is evidence).
    more = _forecast(refs, elapsed=elapsed, count=count + 1, target=target,
                     points=points[:-1] + [(elapsed, count + 1)], capacity=capacity)
    assert more.probability >= f.probability - 0.02


def test_references_are_compared_at_the_same_time_and_share():
    """The conditional reference class: of two kinds of references with the same U-shaped
    curve, those that had the campaign's share of their target at the same time weigh
    most, whatever their final; a campaign on the successes' path gets a high chance, one
    on the failures' path a low one, and the interval follows."""
    points = [(t, round(40 * float(u_shaped_curve(t)[()]))) for t in GRID]
    success = [reference_from_points(points, target=36)] * 40  # 40 for a target of 36
    failure = [reference_from_points([(t, c // 8) for t, c in points], target=36)] * 40
    refs = success + failure
    at = 0.6
    on_track = round(float(u_shaped_curve(at)[()]) * 40 / 36 * 30)
    good = _forecast(refs, elapsed=at, count=on_track, target=30, points=[(at, on_track)])
    lagging = _forecast(refs, elapsed=at, count=on_track // 8, target=30,
                        points=[(at, on_track // 8)])
    assert good.probability > 0.9 and good.low >= 29
    assert lagging.probability < 0.1 and lagging.high < 30
    assert 30 <= good.expected <= 36  # about 40 / 36 of the target
