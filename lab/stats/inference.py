"""Fixed-horizon inference: lift with intervals, sample-ratio mismatch, Benjamini–Hochberg."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from lab.stats.normal import normal_quantile, two_sided_p
from lab.stats.sums import ArmSums

SRM_THRESHOLD = 0.001


@dataclass(frozen=True)
class Lift:
    """Treatment against control.

    ``absolute`` = p₁ − p₀ with a Wald interval (unpooled variance; cluster-robust when units
    hold several people). ``relative`` = p₁/p₀ − 1 with an interval from the delta method on
    log(p₁/p₀): Var(log r) ≈ Var(p₁)/p₁² + Var(p₀)/p₀², the interval is exp(log r ± z·se) − 1
    (for person units this is the Katz log interval, statsmodels'
    ``confint_proportions_2indep(compare="ratio", method="log")``). It stays positive and
    asymmetric, as a ratio should. ``relative`` and its bounds are None when a rate is 0.
    """

    control_rate: float
    treatment_rate: float
    absolute: float
    absolute_low: float
    absolute_high: float
    standard_error: float
    relative: float | None
    relative_low: float | None
    relative_high: float | None
    z: float
    p_value: float
    critical_value: float

    @property
    def significant(self) -> bool:
        return abs(self.z) >= self.critical_value


def _variance(arm: ArmSums) -> float:
    """The arm's rate variance; when it is 0 (nobody, or everybody, succeeded: 0 % or 100 %)
    the binomial variance at the adjusted rate (y + ½)/(n + 1), so that 0 % against 100 %
    is a difference with a finite, positive standard error rather than a zero-width
    interval that can never conclude."""
    variance = arm.rate_variance
    if variance > 0.0 or arm.people == 0:
        return variance
    adjusted = (arm.successes + 0.5) / (arm.people + 1.0)
    return adjusted * (1.0 - adjusted) / arm.people


def lift_at(*, control: ArmSums, treatment: ArmSums, critical_value: float) -> Lift:
    """The lift with intervals ±critical_value·se (a fixed 1−α quantile, or a sequential
    boundary for repeated confidence intervals)."""
    if control.people == 0 or treatment.people == 0:
        raise ValueError("both arms need people")
    p0, p1 = control.rate, treatment.rate
    v0, v1 = _variance(control), _variance(treatment)
    diff = p1 - p0
    se = math.sqrt(v0 + v1)
    z = diff / se if se > 0 else 0.0
    relative = relative_low = relative_high = None
    if p0 > 0 and p1 > 0:
        log_ratio = math.log(p1 / p0)
        log_se = math.sqrt(v1 / (p1 * p1) + v0 / (p0 * p0))
        relative = p1 / p0 - 1.0
        relative_low = math.exp(log_ratio - critical_value * log_se) - 1.0
        relative_high = math.exp(log_ratio + critical_value * log_se) - 1.0
    return Lift(
        control_rate=p0,
        treatment_rate=p1,
        absolute=diff,
        absolute_low=diff - critical_value * se,
        absolute_high=diff + critical_value * se,
        standard_error=se,
        relative=relative,
        relative_low=relative_low,
        relative_high=relative_high,
        z=z,
        p_value=two_sided_p(z) if se > 0 else 1.0,
        critical_value=critical_value,
    )


def lift(*, control: ArmSums, treatment: ArmSums, alpha: float = 0.05) -> Lift:
    """Fixed-horizon lift with 1−α intervals, z and two-sided p (one look, at the end)."""
    return lift_at(
        control=control, treatment=treatment, critical_value=normal_quantile(1.0 - alpha / 2.0)
    )


def chi2_sf(x: float, df: int) -> float:
    """P(χ²_df > x) = Q(df/2, x/2), the regularized upper incomplete gamma function.

    Series for x < a+1, Lentz's continued fraction otherwise (Numerical Recipes §6.2).
    """
    if df <= 0:
        raise ValueError("df must be positive")
    if x <= 0.0:
        return 1.0
    a, half = df / 2.0, x / 2.0
    log_prefix = a * math.log(half) - half - math.lgamma(a)
    if half < a + 1.0:
        term = total = 1.0 / a
        denominator = a
        for _ in range(10_000):
            denominator += 1.0
            term *= half / denominator
            total += term
            if abs(term) < abs(total) * 1e-16:
                break
        return max(0.0, 1.0 - total * math.exp(log_prefix))
    tiny = 1e-300
    b = half + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        step = d * c
        h *= step
        if abs(step - 1.0) < 1e-16:
            break
    return math.exp(log_prefix) * h


@dataclass(frozen=True)
class Srm:
    chi_square: float
    df: int
    p_value: float
    mismatch: bool
    expected: tuple[float, ...]


def srm_check(*, observed: Sequence[int], expected_shares: Sequence[float]) -> Srm:
    """Sample-ratio mismatch: Pearson's chi-square of the units per arm against the planned
    shares (normalised to sum to 1). ``mismatch`` when p < 0.001: the assignment is broken
    and no verdict should be given."""
    if len(observed) != len(expected_shares) or len(observed) < 2:
        raise ValueError("one planned share per arm, at least two arms")
    share_total = float(sum(expected_shares))
    if share_total <= 0 or any(share <= 0 for share in expected_shares):
        raise ValueError("planned shares must be positive")
    count = sum(observed)
    expected = tuple(count * share / share_total for share in expected_shares)
    if count == 0:
        return Srm(
            chi_square=0.0, df=len(observed) - 1, p_value=1.0, mismatch=False, expected=expected
        )
    statistic = sum((o - e) ** 2 / e for o, e in zip(observed, expected, strict=True))
    df = len(observed) - 1
    p_value = chi2_sf(statistic, df)
    return Srm(
        chi_square=statistic,
        df=df,
        p_value=p_value,
        mismatch=p_value < SRM_THRESHOLD,
        expected=expected,
    )


@dataclass(frozen=True)
class BhResult:
    p_value: float
    adjusted: float
    rejected: bool


def benjamini_hochberg(p_values: Sequence[float], *, q: float = 0.05) -> list[BhResult]:
    """Benjamini–Hochberg step-up across segments, in the input order: adjusted p =
    min over j ≥ rank of p_(j)·m/j, capped at 1; rejected when adjusted ≤ q (as statsmodels'
    ``multipletests(method="fdr_bh")``)."""
    m = len(p_values)
    if m == 0:
        return []
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        index = order[rank - 1]
        running = min(running, p_values[index] * m / rank)
        adjusted[index] = min(running, 1.0)
    return [
        BhResult(p_value=p, adjusted=a, rejected=a <= q)
        for p, a in zip(p_values, adjusted, strict=True)
    ]
