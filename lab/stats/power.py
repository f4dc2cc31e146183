"""Power calculation before launch: people (and teams) per arm for a minimum effect.

Matches ``statsmodels.stats.proportion.samplesize_proportions_2indep_onetail`` (two-sided,
equal arms): n = ((z_{1−α/2}·σ₀ + z_{power}·σ₁) / mde)² with σ₀ = √(2·p̄(1−p̄)) at the
pooled rate p̄ under the null and σ₁ = √(p₀(1−p₀) + p₁(1−p₁)) under the alternative,
p₁ = baseline + mde. The far tail of the two-sided test is ignored (as statsmodels does).

Several treatment arms: each is compared with the control at α/(arms−1) (Bonferroni
against control), so the family-wise error stays at α.

Team randomisation: n is multiplied by the design effect 1 + ((CV²+1)·m − 1)·ICC, m the
mean number of people per team and CV the coefficient of variation of the team sizes
(Eldridge, Ashby & Kerry 2006; 1 + (m−1)·ICC when all teams are the same size); teams per
arm = ⌈n / m⌉. Looking every day: n is multiplied by the group-sequential inflation factor
of the O'Brien–Fleming-type spending design with ``looks`` equally spaced looks
(``sequential_inflation``, computed), so the planned power holds for the sequential test.
A holdout (people who get no message at all) takes ``holdout_share`` of everyone on top
of the compared arms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lab.stats.normal import normal_quantile, normal_sf
from lab.stats.sequential import sequential_inflation


@dataclass(frozen=True)
class SampleSize:
    people_per_arm: int
    total: int
    design_effect: float
    clusters_per_arm: int
    # Inputs kept so that the maximum information can be planned from this result.
    baseline: float
    mde: float
    alpha: float
    alpha_per_comparison: float
    power: float
    arms: int
    cluster_size: float
    icc: float
    holdout_share: float
    looks: int = 1
    inflation: float = 1.0
    cluster_size_cv: float = 0.0

    @property
    def planned_information(self) -> float:
        """Maximum information of the design, on the event scale of ``observed_information``:
        (n/2)·q/(1−q) with n people per arm and q the pooled rate expected at the deadline
        under the alternative (baseline + mde/2), so that a true effect of the planned size
        reaches fraction 1 at the deadline."""
        pooled = self.baseline + self.mde / 2.0
        return self.people_per_arm / 2.0 * pooled / (1.0 - pooled)


def _check(
    *, baseline: float, mde: float, alpha: float, arms: int, cluster_size: float, icc: float
) -> None:
    if not 0.0 < baseline < 1.0:
        raise ValueError("baseline must be strictly between 0 and 1")
    if mde == 0.0 or not 0.0 < baseline + mde < 1.0:
        raise ValueError("baseline + mde must be strictly between 0 and 1, mde not 0")
    if not 0.0 < alpha < 1.0:
        raise ValueError("alpha must be strictly between 0 and 1")
    if arms < 2:
        raise ValueError("an experiment needs at least two arms")
    if cluster_size < 1.0 or not 0.0 <= icc <= 1.0:
        raise ValueError("cluster_size must be >= 1 and icc between 0 and 1")


def _sigmas(baseline: float, mde: float) -> tuple[float, float]:
    treated = baseline + mde
    pooled = (baseline + treated) / 2.0
    sigma_null = math.sqrt(2.0 * pooled * (1.0 - pooled))
    sigma_alt = math.sqrt(baseline * (1.0 - baseline) + treated * (1.0 - treated))
    return sigma_null, sigma_alt


def design_effect(*, cluster_size: float, icc: float, cluster_size_cv: float = 0.0) -> float:
    """1 + ((CV²+1)·m − 1)·ICC: teams of unequal sizes lose more information."""
    if cluster_size <= 1.0:
        return 1.0
    return 1.0 + ((cluster_size_cv**2 + 1.0) * cluster_size - 1.0) * icc


def sample_size(
    *,
    baseline: float,
    mde: float,
    alpha: float = 0.05,
    power: float = 0.8,
    arms: int = 2,
    cluster_size: float = 1.0,
    icc: float = 0.0,
    holdout_share: float = 0.0,
    looks: int = 1,
    cluster_size_cv: float = 0.0,
) -> SampleSize:
    """People per arm to detect an absolute change ``mde`` of the rate ``baseline``, with
    ``looks`` equally spaced sequential looks (1: a single look at the end)."""

    _check(baseline=baseline, mde=mde, alpha=alpha, arms=arms, cluster_size=cluster_size, icc=icc)
    if not 0.0 < power < 1.0 or not 0.0 <= holdout_share < 1.0:
        raise ValueError("power must be in (0, 1) and holdout_share in [0, 1)")
    alpha_each = alpha / (arms - 1)
    sigma_null, sigma_alt = _sigmas(baseline, mde)
    z_alpha = normal_quantile(1.0 - alpha_each / 2.0)
    z_power = normal_quantile(power)
    people = (max(z_alpha * sigma_null + z_power * sigma_alt, 0.0) / abs(mde)) ** 2
    if looks < 1 or cluster_size_cv < 0.0:
        raise ValueError("looks must be >= 1 and cluster_size_cv >= 0")
    effect = design_effect(cluster_size=cluster_size, icc=icc, cluster_size_cv=cluster_size_cv)
    inflation = sequential_inflation(looks=looks, alpha=alpha_each, power=power)
    people_per_arm = math.ceil(people * effect * inflation - 1e-9)
    clusters = math.ceil(people_per_arm / cluster_size - 1e-9)
    if cluster_size > 1.0:
        # Whole teams: the arm holds whole teams, at least two so that a variance exists.
        clusters = max(clusters, 2)
        people_per_arm = max(people_per_arm, math.ceil(clusters * cluster_size - 1e-9))
    total = math.ceil(people_per_arm * arms / (1.0 - holdout_share) - 1e-9)
    return SampleSize(
        people_per_arm=people_per_arm,
        total=total,
        design_effect=effect,
        clusters_per_arm=clusters,
        baseline=baseline,
        mde=mde,
        alpha=alpha,
        alpha_per_comparison=alpha_each,
        power=power,
        arms=arms,
        cluster_size=cluster_size,
        icc=icc,
        holdout_share=holdout_share,
        looks=looks,
        inflation=inflation,
        cluster_size_cv=cluster_size_cv,
    )


def achieved_power(
    *,
    baseline: float,
    mde: float,
    people_per_arm: float,
    alpha: float = 0.05,
    arms: int = 2,
    cluster_size: float = 1.0,
    icc: float = 0.0,
) -> float:
    """Power of the two-sided test with ``people_per_arm`` in each arm (the inverse of
    ``sample_size``; the far tail is ignored, as there)."""
    _check(baseline=baseline, mde=mde, alpha=alpha, arms=arms, cluster_size=cluster_size, icc=icc)
    if people_per_arm <= 0:
        return 0.0
    effective = people_per_arm / design_effect(cluster_size=cluster_size, icc=icc)
    sigma_null, sigma_alt = _sigmas(baseline, mde)
    z_alpha = normal_quantile(1.0 - alpha / (arms - 1) / 2.0)
    return normal_sf((z_alpha * sigma_null - abs(mde) * math.sqrt(effective)) / sigma_alt)
