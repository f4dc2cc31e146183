"""The lab's statistics against reference implementations (scipy, statsmodels), published
group-sequential boundaries, direct computations on unit-level data, and Monte Carlo."""

import math

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats import proportion as smp
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    power_proportions_2indep,
    samplesize_proportions_2indep_onetail,
)

from lab.stats import (
    ArmSums,
    achieved_power,
    benjamini_hochberg,
    chi2_sf,
    design_effect,
    information_fraction,
    lift,
    normal_quantile,
    observed_information,
    sample_size,
    sequential_inflation,
    sequential_lift,
    spending_boundaries,
    spent_alpha,
    srm_check,
)

# --- normal quantiles ------------------------------------------------------------------------


@pytest.mark.parametrize("p", [1e-12, 1e-6, 0.0125, 0.025, 0.2, 0.5, 0.8, 0.975, 0.999999])
def test_normal_quantiles_match_scipy(p):
    assert normal_quantile(p) == pytest.approx(sps.norm.ppf(p), rel=1e-9, abs=1e-12)


# --- power calculation -----------------------------------------------------------------------

CASES = [(0.2, 0.05), (0.1, 0.02), (0.35, -0.06), (0.05, 0.03), (0.5, 0.1)]


@pytest.mark.parametrize(("baseline", "mde"), CASES)
def test_sample_size_matches_statsmodels(baseline, mde):
    reference = samplesize_proportions_2indep_onetail(diff=mde, prop2=baseline, power=0.8)
    result = sample_size(baseline=baseline, mde=mde)
    assert result.people_per_arm == math.ceil(reference)
    assert result.total == 2 * result.people_per_arm
    assert result.design_effect == 1.0


def test_several_arms_are_compared_with_control_at_bonferroni_alpha_and_holdout_is_added():
    reference = samplesize_proportions_2indep_onetail(diff=0.05, prop2=0.2, power=0.8, alpha=0.025)
    result = sample_size(baseline=0.2, mde=0.05, arms=3, holdout_share=0.05)
    assert result.alpha_per_comparison == pytest.approx(0.025)
    assert result.people_per_arm == math.ceil(reference)
    assert result.total == math.ceil(3 * result.people_per_arm / 0.95)


def test_team_randomisation_inflates_by_the_design_effect():
    person = samplesize_proportions_2indep_onetail(diff=0.05, prop2=0.2, power=0.8)
    result = sample_size(baseline=0.2, mde=0.05, cluster_size=12, icc=0.05)
    assert result.design_effect == pytest.approx(1.55)
    # Whole teams of 12: the inflated size rounded up to a multiple of 12.
    assert result.clusters_per_arm == math.ceil(math.ceil(person * 1.55) / 12)
    assert result.people_per_arm == 12 * result.clusters_per_arm


@pytest.mark.parametrize(("baseline", "mde"), CASES)
@pytest.mark.parametrize("n", [200, 1000, 5000])
def test_achieved_power_matches_statsmodels(baseline, mde, n):
    reference = power_proportions_2indep(mde, baseline, n, alpha=0.05).power
    ours = achieved_power(baseline=baseline, mde=mde, people_per_arm=n)
    # statsmodels adds the far tail of the two-sided test, which the one-tail formula (the
    # one the sample size inverts) ignores: it matters only when power is low.
    assert ours <= reference + 1e-9
    if reference > 0.3:
        assert ours == pytest.approx(reference, abs=2e-3)
    else:
        assert ours == pytest.approx(reference, abs=0.01)


def test_achieved_power_inverts_the_sample_size():
    size = sample_size(baseline=0.2, mde=0.05, cluster_size=8, icc=0.03)
    at = achieved_power(
        baseline=0.2, mde=0.05, people_per_arm=size.people_per_arm, cluster_size=8, icc=0.03
    )
    one_team_less = size.people_per_arm - 8
    below = achieved_power(
        baseline=0.2, mde=0.05, people_per_arm=one_team_less, cluster_size=8, icc=0.03
    )
    assert below < 0.8 <= at < 0.81


# --- sums and the cluster-robust variance ----------------------------------------------------


def test_person_sums_and_binomial_variance():
    arm = ArmSums.from_units([(1, 1)] * 30 + [(1, 0)] * 70)
    assert arm == ArmSums.from_people(people=100, successes=30)
    assert not arm.clustered
    assert arm.rate_variance == pytest.approx(0.3 * 0.7 / 100)


def test_cluster_variance_matches_a_direct_computation_on_units():
    rng = np.random.default_rng(7)
    sizes = rng.integers(2, 25, size=60)
    team_rates = rng.beta(2, 6, size=60)
    successes = rng.binomial(sizes, team_rates)
    units = list(zip(sizes.tolist(), successes.tolist(), strict=True))
    arm = ArmSums.from_units(units[:25]) + ArmSums.from_units(units[25:])
    assert arm == ArmSums.from_units(units)
    p = successes.sum() / sizes.sum()
    k = len(units)
    direct = k / (k - 1) * np.sum((successes - p * sizes) ** 2) / sizes.sum() ** 2
    assert arm.clustered
    assert arm.rate_variance == pytest.approx(direct, rel=1e-12)
    # Teams that differ make the variance larger than the binomial one would claim.
    assert arm.rate_variance > p * (1 - p) / sizes.sum()


def test_a_unit_with_more_successes_than_people_is_refused():
    with pytest.raises(ValueError):
        ArmSums.from_units([(3, 4)])


# --- lift --------------------------------------------------------------------------------------

LIFTS = [(120, 1000, 150, 1000), (30, 400, 52, 410), (800, 2000, 760, 2050), (5, 90, 14, 95)]


@pytest.mark.parametrize(("y0", "n0", "y1", "n1"), LIFTS)
def test_absolute_lift_is_statsmodels_wald_interval(y0, n0, y1, n1):
    control = ArmSums.from_people(people=n0, successes=y0)
    treatment = ArmSums.from_people(people=n1, successes=y1)
    result = lift(control=control, treatment=treatment)
    low, high = confint_proportions_2indep(y1, n1, y0, n0, method="wald", compare="diff")
    assert result.absolute == pytest.approx(y1 / n1 - y0 / n0)
    assert (result.absolute_low, result.absolute_high) == pytest.approx((low, high), rel=1e-9)
    reference = smp.test_proportions_2indep(y1, n1, y0, n0, method="wald", compare="diff")
    assert result.z == pytest.approx(reference.statistic, rel=1e-9)
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-9)


@pytest.mark.parametrize(("y0", "n0", "y1", "n1"), LIFTS)
def test_relative_lift_is_statsmodels_log_ratio_interval(y0, n0, y1, n1):
    control = ArmSums.from_people(people=n0, successes=y0)
    treatment = ArmSums.from_people(people=n1, successes=y1)
    result = lift(control=control, treatment=treatment, alpha=0.1)
    low, high = confint_proportions_2indep(y1, n1, y0, n0, method="log", compare="ratio", alpha=0.1)
    assert result.relative == pytest.approx((y1 / n1) / (y0 / n0) - 1)
    assert (result.relative_low, result.relative_high) == pytest.approx(
        (low - 1, high - 1), rel=1e-9
    )


def test_relative_lift_is_absent_when_the_control_converts_nobody():
    result = lift(
        control=ArmSums.from_people(people=50, successes=0),
        treatment=ArmSums.from_people(people=50, successes=4),
    )
    assert result.relative is None
    assert result.absolute == pytest.approx(0.08)


def test_team_lift_uses_the_cluster_variance():
    control = ArmSums.from_units([(10, 2), (12, 8), (8, 1), (11, 3)])
    treatment = ArmSums.from_units([(9, 6), (10, 2), (12, 9), (10, 7)])
    result = lift(control=control, treatment=treatment)
    se = math.sqrt(control.rate_variance + treatment.rate_variance)
    assert result.standard_error == pytest.approx(se)
    naive = math.sqrt(
        control.rate * (1 - control.rate) / control.people
        + treatment.rate * (1 - treatment.rate) / treatment.people
    )
    assert result.standard_error > naive
    assert result.absolute_high - result.absolute_low == pytest.approx(2 * 1.959964 * se, rel=1e-6)


# --- sample-ratio mismatch -------------------------------------------------------------------


@pytest.mark.parametrize("df", [1, 2, 3, 5, 10, 31])
@pytest.mark.parametrize("x", [0.001, 0.5, 1.0, 3.84, 7.5, 20.0, 60.0, 150.0])
def test_chi_square_survival_matches_scipy(df, x):
    assert chi2_sf(x, df) == pytest.approx(sps.chi2.sf(x, df), rel=1e-9, abs=1e-300)


def test_srm_check_matches_scipy_chisquare_and_flags_below_one_per_thousand():
    observed = [5000, 5210, 480]
    shares = [0.475, 0.475, 0.05]
    reference = sps.chisquare(observed, f_exp=[sum(observed) * s for s in shares])
    result = srm_check(observed=observed, expected_shares=shares)
    assert result.chi_square == pytest.approx(reference.statistic)
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-9)
    assert result.df == 2
    assert not result.mismatch
    broken = srm_check(observed=[5000, 5400], expected_shares=[1, 1])
    assert broken.p_value == pytest.approx(sps.chisquare([5000, 5400]).pvalue, rel=1e-9)
    assert broken.mismatch


# --- Benjamini–Hochberg ----------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_benjamini_hochberg_matches_statsmodels(seed):
    rng = np.random.default_rng(seed)
    p_values = np.concatenate([rng.uniform(0, 0.01, 4), rng.uniform(0, 1, 11)]).tolist()
    rejected, adjusted, _, _ = multipletests(p_values, alpha=0.05, method="fdr_bh")
    results = benjamini_hochberg(p_values, q=0.05)
    assert [r.adjusted for r in results] == pytest.approx(adjusted.tolist(), rel=1e-12)
    assert [r.rejected for r in results] == rejected.tolist()
    assert benjamini_hochberg([]) == []


# --- group-sequential boundaries --------------------------------------------------------------


def test_spending_boundaries_match_published_obrien_fleming_type_values():
    # Lan–DeMets O'Brien–Fleming-type spending, two-sided α = 0.05 (0.025 a side), equal
    # looks: gsDesign sfLDOF / Jennison & Turnbull / RTSA give these to three decimals.
    five = spending_boundaries([0.2, 0.4, 0.6, 0.8, 1.0])
    assert five == pytest.approx([4.877, 3.357, 2.680, 2.290, 2.031], abs=1e-3)
    three = spending_boundaries([1 / 3, 2 / 3, 1.0])
    assert three == pytest.approx([3.710, 2.511, 1.993], abs=1e-3)
    assert spending_boundaries([1.0]) == pytest.approx([sps.norm.ppf(0.975)])


def test_spending_function_reaches_alpha_and_refuses_bad_fractions():
    assert spent_alpha(1.0) == pytest.approx(0.05)
    assert spent_alpha(0.5) == pytest.approx(4 * sps.norm.sf(sps.norm.ppf(1 - 0.0125) / 0.5**0.5))
    with pytest.raises(ValueError):
        spending_boundaries([0.5, 0.4])
    with pytest.raises(ValueError):
        spending_boundaries([0.0, 1.0])


def test_boundaries_hold_alpha_on_brownian_paths_with_uneven_looks():
    # Daily looks, most information early (a wave of invitations), as in the product.
    fractions = [0.22, 0.4, 0.52, 0.6, 0.65, 0.69, 0.72, 0.75, 0.78, 0.82, 0.88, 0.95, 1.0]
    bounds = np.array(spending_boundaries(fractions))
    rng = np.random.default_rng(11)
    steps = np.diff([0.0, *fractions])
    paths = (rng.standard_normal((400_000, len(fractions))) * np.sqrt(steps)).cumsum(axis=1)
    z = paths / np.sqrt(fractions)
    crossed = (np.abs(z) >= bounds).any(axis=1).mean()
    naive = (np.abs(z) >= 1.959964).any(axis=1).mean()
    assert abs(crossed - 0.05) < 0.0015  # 4.3 standard errors of the simulation
    assert naive > 0.12  # what the boundaries are for


def test_information_fraction_reaches_one_at_the_planned_size_under_the_alternative():
    plan = sample_size(baseline=0.2, mde=0.05)
    n = plan.people_per_arm

    def fraction(control_rate, treatment_rate, people=n):
        control = ArmSums.from_people(people=people, successes=round(control_rate * people))
        treatment = ArmSums.from_people(people=people, successes=round(treatment_rate * people))
        return information_fraction(control=control, treatment=treatment, planned=plan)

    assert fraction(0.2, 0.25) == pytest.approx(1.0, abs=0.003)
    # Half the people, or the same people when half the expected successes have arrived.
    assert fraction(0.2, 0.25, people=n // 2) == pytest.approx(0.5, abs=0.003)
    odds = (0.1125 / 0.8875) / (0.225 / 0.775)
    assert fraction(0.1, 0.125) == pytest.approx(odds, abs=0.003)
    assert fraction(0.3, 0.4) == 1.0
    # The correlation of the z statistics of a maturing rate is √(odds_j/odds_k): checked on
    # simulated waves, the event scale is the information scale.
    rng = np.random.default_rng(3)
    people, runs = 400, 40_000
    final = rng.random((runs, 2, people)) < 0.3
    early = final & (rng.random((runs, 2, people)) < 0.4)  # 40 % of successes by day j

    def z(y):
        p = y.mean(axis=2)
        return (p[:, 1] - p[:, 0]) / np.sqrt((p * (1 - p)).sum(axis=1) / people)

    correlation = np.corrcoef(z(early), z(final))[0, 1]
    expected = math.sqrt((0.12 / 0.88) / (0.3 / 0.7))
    assert correlation == pytest.approx(expected, abs=0.01)
    # 1/variance would claim more information on day j than at the end (0.21 / 0.1056 > 1).


def test_sequential_lift_uses_the_repeated_interval_and_the_final_look_spends_the_rest():
    control = ArmSums.from_people(people=800, successes=160)
    treatment = ArmSums.from_people(people=800, successes=200)
    early = sequential_lift(control=control, treatment=treatment, fractions=[0.3])
    assert early.boundary == pytest.approx(spending_boundaries([0.3])[0])
    assert early.lift.absolute_high - early.lift.absolute_low == pytest.approx(
        2 * early.boundary * early.lift.standard_error
    )
    assert not early.crossed and not early.final  # z ≈ 2.1 is not enough at 30 %
    fixed = lift(control=control, treatment=treatment)
    assert fixed.p_value < 0.05  # a naive daily peek would have stopped here
    last = sequential_lift(
        control=control, treatment=treatment, fractions=[0.3, 0.6, 0.8], final=True
    )
    assert last.boundary == pytest.approx(spending_boundaries([0.3, 0.6, 1.0])[-1])
    assert last.final and last.crossed and last.fraction == 1.0
    # A look that brought no new information reuses the previous boundary.
    again = sequential_lift(control=control, treatment=treatment, fractions=[0.3, 0.6, 0.59])
    assert again.boundary == pytest.approx(spending_boundaries([0.3, 0.6])[-1])
    assert again.looks == 2
    barely = sequential_lift(control=control, treatment=treatment, fractions=[0.3, 0.6, 0.601])
    assert barely.boundary == again.boundary
    more = sequential_lift(control=control, treatment=treatment, fractions=[0.3, 0.6, 0.61])
    assert more.boundary == pytest.approx(spending_boundaries([0.3, 0.6, 0.61])[-1])
    assert more.boundary > again.boundary and more.looks == 3


def test_daily_looks_at_ab_tests_keep_false_positives_at_alpha():
    """A/A experiments with binomial data, information estimated from the data each day."""
    rng = np.random.default_rng(2026)
    plan = sample_size(baseline=0.15, mde=0.04)
    arrivals = np.array([0.3, 0.15, 0.08, 0.05, 0.04, 0.04, 0.05, 0.09, 0.12, 0.08])
    daily = np.round(arrivals / arrivals.sum() * plan.people_per_arm).astype(int)
    runs = 1000
    new = rng.binomial(daily, 0.15, size=(runs, 2, len(daily))).cumsum(axis=2)
    people = daily.cumsum()
    sequential_hits = naive_hits = 0
    for run in range(runs):
        fractions: list[float] = []
        naive = False
        for day, n in enumerate(people):
            control = ArmSums.from_people(people=int(n), successes=int(new[run, 0, day]))
            treatment = ArmSums.from_people(people=int(n), successes=int(new[run, 1, day]))
            fractions.append(
                information_fraction(control=control, treatment=treatment, planned=plan)
            )
            last = day == len(people) - 1
            result = sequential_lift(
                control=control, treatment=treatment, fractions=fractions, final=last
            )
            naive = naive or result.lift.p_value < 0.05
            if result.crossed:
                sequential_hits += 1
                break
        naive_hits += naive
    # 2.9 standard errors at 5 % over 1,000 runs is 2 pp; naive peeking lands near 15 %.
    assert abs(sequential_hits / runs - 0.05) < 0.02
    assert naive_hits / runs > 0.1


def test_the_sequential_inflation_factor_is_computed_for_obrien_fleming_spending():
    # gsDesign(k=5, test.type=2, alpha=0.025, beta=0.2, sfu=sfLDOF): max n.I / fixed ≈ 1.025;
    # two looks ≈ 1.003; one look is the fixed design.
    assert sequential_inflation(looks=1, alpha=0.05, power=0.8) == 1.0
    assert sequential_inflation(looks=2, alpha=0.05, power=0.8) == pytest.approx(1.003, abs=0.002)
    assert sequential_inflation(looks=5, alpha=0.05, power=0.8) == pytest.approx(1.025, abs=0.003)
    fixed = sample_size(baseline=0.2, mde=0.05)
    daily = sample_size(baseline=0.2, mde=0.05, looks=5)
    assert daily.inflation == sequential_inflation(looks=5, alpha=0.05, power=0.8)
    assert daily.people_per_arm == math.ceil(fixed.people_per_arm * daily.inflation - 1e-6) or (
        daily.people_per_arm - fixed.people_per_arm * daily.inflation) < 1.0


def test_unequal_team_sizes_raise_the_design_effect():
    # 1 + ((CV² + 1)·m − 1)·ICC (Eldridge et al. 2006): m = 10, CV = 0.5, ICC = 0.05.
    assert design_effect(cluster_size=10, icc=0.05, cluster_size_cv=0.5) == pytest.approx(1.575)
    assert design_effect(cluster_size=10, icc=0.05) == pytest.approx(1.45)
    unequal = sample_size(baseline=0.2, mde=0.05, cluster_size=10, icc=0.05, cluster_size_cv=0.5)
    equal = sample_size(baseline=0.2, mde=0.05, cluster_size=10, icc=0.05)
    assert unequal.people_per_arm > equal.people_per_arm


def test_zero_against_hundred_percent_has_a_positive_standard_error_and_can_conclude():
    control = ArmSums.from_people(people=30, successes=0)
    treatment = ArmSums.from_people(people=30, successes=30)
    result = lift(control=control, treatment=treatment)
    assert result.standard_error > 0 and result.absolute_low < 1.0 and result.significant
    sequential = sequential_lift(control=control, treatment=treatment, fractions=[0.5])
    assert sequential.crossed
    everybody = ArmSums.from_people(people=30, successes=30)
    assert observed_information(control=everybody, treatment=everybody) == 0.0
