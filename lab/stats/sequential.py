"""Group-sequential monitoring: looking every day without inflating false positives.

Lan–DeMets alpha spending with the O'Brien–Fleming-type function on the information
fraction t (observed information over the planned maximum, capped at 1), in the symmetric
two-sided convention of gsDesign (``sfLDOF``, test.type=2) and Jennison & Turnbull: each
side spends α_side(t) = 2 − 2Φ(z_{1−α/4}/√t), so that α(t) = 2·α_side(t) reaches α at t = 1.
(With five equal looks and α = 0.05 this gives the published 4.877, 3.357, 2.680, 2.290,
2.031.) At looks t₁ < … < t_k the two-sided z boundaries c_k solve
P(|Z_j| < c_j for j < k, |Z_k| ≥ c_k) = α(t_k) − α(t_{k−1}) under the null, computed by
the recursive numerical integration of Armitage, McPherson and Rowe (Jennison & Turnbull,
*Group Sequential Methods*, ch. 19) on the score scale S = Z·√t, whose increments are
independent N(0, t_k − t_{k−1}). The sub-densities of "not stopped yet" are carried on a
Simpson grid over the continuation region. The look that ends the experiment uses t = 1,
so it spends all that is left. ±c_k·se around the estimate are repeated confidence
intervals, valid simultaneously at every look. See docs/decisions.md, "Issue 15: the
lab's statistics".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import numpy as np

from lab.stats.inference import Lift, lift_at
from lab.stats.normal import FloatArray, normal_cdf_array, normal_pdf_array, normal_quantile
from lab.stats.sums import ArmSums

# Grid points per standard deviation of the next increment (J&T use a comparable density).
_POINTS_PER_SD = 4
_MAX_POINTS = 4001
# On the score scale no continuation region is wider than this (|S| ≤ 10 has probability 1
# to machine precision since Var(S) ≤ 1): the boundary of a look that spends nothing.
_SCORE_CAP = 10.0
# Fractions are rounded before computing boundaries, so that the same looks hit the cache;
# looks closer than this to the previous one add no information and are merged with it.
_FRACTION_DECIMALS = 4
# A look that adds less information than this to the previous one is merged with it (it
# reuses its boundary): its z is almost the previous one (correlation ≥ 0.999 past t = 1 %),
# and the recursion's grid would need ever finer steps for ever smaller increments.
# The final look (t = 1) is always kept: it spends what is left.
_MIN_INCREMENT = 0.002


def _spent_one_side(fraction: float, alpha: float) -> float:
    if fraction <= 0.0:
        return 0.0
    if fraction >= 1.0:
        return alpha / 2.0
    z = normal_quantile(1.0 - alpha / 4.0)
    return math.erfc(z / math.sqrt(fraction) / math.sqrt(2.0))


def spent_alpha(fraction: float, *, alpha: float = 0.05) -> float:
    """Two-sided type-I error spent by information fraction t (both sides together)."""
    return 2.0 * _spent_one_side(fraction, alpha)


def _simpson_grid(half_width: float, spacing: float) -> tuple[FloatArray, FloatArray]:
    intervals = max(2, 2 * math.ceil(half_width / spacing / 2.0))
    intervals = min(intervals, _MAX_POINTS - 1)
    points = np.linspace(-half_width, half_width, intervals + 1)
    step = 2.0 * half_width / intervals
    weights = np.full(intervals + 1, 2.0)
    weights[1::2] = 4.0
    weights[0] = weights[-1] = 1.0
    return points, weights * step / 3.0


def _exit(mass: FloatArray, points: FloatArray, bound: float, sd: float) -> tuple[float, float]:
    """P(|S_prev + N(0, sd²)| ≥ bound) against the sub-density ``mass``, and its derivative.

    Under the null the sub-density is symmetric, so both tails are twice the upper one.
    """
    x = (points - bound) / sd
    probability = 2.0 * float(np.dot(mass, normal_cdf_array(x)))
    slope = -2.0 * float(np.dot(mass, normal_pdf_array(x))) / sd
    return probability, slope


def _solve_bound(mass: FloatArray, points: FloatArray, sd: float, target: float) -> float:
    """The score bound whose exit probability is ``target``: Newton on log P (Gaussian tails
    make it nearly linear), safeguarded by bisection."""
    low, high = 0.0, _SCORE_CAP
    if target <= 0.0:
        return high
    bound = float(points[-1])
    for _ in range(100):
        probability, slope = _exit(mass, points, bound, sd)
        if abs(probability - target) <= 1e-9 * target:
            return bound
        if probability > target:
            low = bound
        else:
            high = bound
        if probability > 0.0 and slope < 0.0:
            candidate = bound - (math.log(probability) - math.log(target)) * probability / slope
        else:
            candidate = -1.0
        bound = candidate if low < candidate < high else (low + high) / 2.0
        if high - low < 1e-10:
            return bound
    return bound


@dataclass(frozen=True)
class _Look:
    """What the recursion needs after a look: its boundaries so far and, to get the
    sub-density of "not stopped yet" at this look, the previous look's grid and mass."""

    boundaries: tuple[float, ...]
    spent: float
    score_bound: float
    sd: float  # standard deviation of the score increment that led to this look
    sources: FloatArray
    source_mass: FloatArray


def _density(points: FloatArray, look: _Look) -> FloatArray:
    kernel = normal_pdf_array((points[:, None] - look.sources[None, :]) / look.sd) / look.sd
    result: FloatArray = kernel @ look.source_mass
    return result


@lru_cache(maxsize=1024)
def _look(fractions: tuple[float, ...], alpha: float) -> _Look:
    """The state after the last of ``fractions``, built on the cached state of its prefix:
    a product that looks every day, or a simulation of one, adds one step per look."""
    fraction = fractions[-1]
    if len(fractions) == 1:
        sd = math.sqrt(fraction)
        # First look: P(Z₁ ≥ c₁) = α_side(t₁) exactly, no integration needed.
        first_side = _spent_one_side(fraction, alpha)
        score_bound = _SCORE_CAP
        if first_side > 0.0:
            score_bound = min(-normal_quantile(first_side) * sd, _SCORE_CAP)
        return _Look(
            boundaries=(score_bound / sd,),
            spent=spent_alpha(fraction, alpha=alpha),
            score_bound=score_bound,
            sd=sd,
            sources=np.zeros(1),
            source_mass=np.ones(1),
        )
    previous = _look(fractions[:-1], alpha)
    sd = math.sqrt(fraction - fractions[-2])
    points, weights = _simpson_grid(previous.score_bound, min(previous.sd, sd) / _POINTS_PER_SD)
    mass = weights * _density(points, previous)
    spent = spent_alpha(fraction, alpha=alpha)
    score_bound = _solve_bound(mass, points, sd, spent - previous.spent)
    return _Look(
        boundaries=(*previous.boundaries, score_bound / math.sqrt(fraction)),
        spent=spent,
        score_bound=score_bound,
        sd=sd,
        sources=points,
        source_mass=mass,
    )


def _boundaries(fractions: tuple[float, ...], alpha: float) -> tuple[float, ...]:
    return _look(fractions, alpha).boundaries


def _clean(fraction: float) -> float:
    return round(min(max(float(fraction), 0.0), 1.0), _FRACTION_DECIMALS)


def _adds_information(previous: tuple[float, ...], fraction: float) -> bool:
    last = previous[-1] if previous else 0.0
    if fraction >= 1.0:
        return last < 1.0
    return fraction - last >= _MIN_INCREMENT


def _looks(fractions: Sequence[float]) -> tuple[float, ...]:
    cleaned: tuple[float, ...] = ()
    for fraction in fractions:
        rounded = _clean(fraction)
        if _adds_information(cleaned, rounded):
            cleaned = (*cleaned, rounded)
    return cleaned


def spending_boundaries(fractions: Sequence[float], *, alpha: float = 0.05) -> list[float]:
    """Two-sided z critical values at looks with information fractions ``fractions``.

    Fractions must be strictly increasing in (0, 1]; use ``sequential_lift`` for raw
    fractions (it caps, rounds and merges looks that brought no information). A pure
    function of (fractions, alpha), cached.
    """
    looks = tuple(round(float(f), _FRACTION_DECIMALS) for f in fractions)
    if not looks:
        return []
    if (
        looks[0] <= 0.0
        or looks[-1] > 1.0
        or any(b <= a for a, b in zip(looks, looks[1:], strict=False))
    ):
        raise ValueError("fractions must be strictly increasing in (0, 1]")
    if not 0.0 < alpha < 1.0:
        raise ValueError("alpha must be strictly between 0 and 1")
    return list(_boundaries(looks, alpha))


def observed_information(*, control: ArmSums, treatment: ArmSums) -> float:
    """Information of the difference so far, on the event scale: h·q/(1−q), h = n₀n₁/(n₀+n₁)
    and q the pooled rate of both arms.

    Why not 1/variance: an invitation wave puts everyone in the denominator on day 0 and
    successes arrive over the following days, so the rate by day k is a maturing outcome.
    For a person, Cov(y_j, y_k) = q_j(1−q_k) (a success by day j is one by day k), hence
    Corr(Z_j, Z_k) = √(odds_j/odds_k): the canonical Brownian structure that the boundaries
    assume holds with information ∝ n·odds(q). 1/variance would instead be largest on day 1,
    when almost nobody has answered. When people join over time with settled outcomes (q
    stable) both scales are proportional to n, so this one serves both designs.
    """
    total = control.people + treatment.people
    if control.people == 0 or treatment.people == 0:
        return 0.0
    pooled = (control.successes + treatment.successes) / total
    if pooled >= 1.0:
        # Everybody succeeded in both arms: no difference is being measured (the event
        # scale would be infinite and end the experiment on its first look).
        return 0.0
    harmonic = control.people * treatment.people / total
    return harmonic * pooled / (1.0 - pooled)


class Planned(Protocol):
    """A design that knows its maximum information (``power.SampleSize``)."""

    @property
    def planned_information(self) -> float: ...


def information_fraction(
    *, control: ArmSums, treatment: ArmSums, planned: Planned | float
) -> float:
    """Observed information over the planned maximum (``SampleSize.planned_information`` or
    the maximum itself), capped at 1. Reaching 1 makes the look final."""
    maximum = planned if isinstance(planned, float | int) else planned.planned_information
    if maximum <= 0.0:
        raise ValueError("planned information must be positive")
    return min(observed_information(control=control, treatment=treatment) / maximum, 1.0)


@dataclass(frozen=True)
class SequentialLift:
    """The lift at the current look with its repeated confidence intervals (±boundary·se)."""

    lift: Lift
    boundary: float
    crossed: bool
    final: bool
    fraction: float
    looks: int
    alpha: float


def sequential_lift(
    *,
    control: ArmSums,
    treatment: ArmSums,
    fractions: Sequence[float],
    alpha: float = 0.05,
    final: bool = False,
) -> SequentialLift:
    """The lift at the latest of the looks ``fractions`` (all looks so far, this one last).

    Fractions are capped at 1 and rounded to 1e-4; a look whose fraction is less than 0.002
    above the previous one (no new information, or a dip of the estimated information)
    reuses the previous look's boundary. ``final=True`` (the experiment ends now) takes this look to
    t = 1, spending what is left; so does reaching the planned information.
    """
    if not fractions:
        raise ValueError("at least one look is needed")
    earlier = _looks(fractions[:-1])
    current = 1.0 if final else _clean(fractions[-1])
    looks = (*earlier, current) if _adds_information(earlier, current) else earlier
    # No information yet: nothing can be concluded, the interval is unbounded.
    boundary = _boundaries(looks, alpha)[-1] if looks else math.inf
    result = lift_at(control=control, treatment=treatment, critical_value=boundary)
    reached = bool(looks) and looks[-1] >= 1.0
    return SequentialLift(
        lift=result,
        boundary=boundary,
        crossed=result.standard_error > 0 and abs(result.z) >= boundary,
        final=final or reached,
        fraction=looks[-1] if looks else 0.0,
        looks=len(looks),
        alpha=alpha,
    )


def _rejection(drift: float, fractions: tuple[float, ...], bounds: tuple[float, ...]) -> float:
    """P(|Z_k| ≥ c_k at some look) when E[Z at t = 1] = ``drift``: the recursion of Armitage,
    McPherson and Rowe on the score scale S_k ~ N(drift·t_k, t_k), both tails counted."""
    rejected = 0.0
    points = np.zeros(1)
    mass = np.ones(1)
    previous = 0.0
    for fraction, bound in zip(fractions, bounds, strict=True):
        step = fraction - previous
        sd = math.sqrt(step)
        edge = bound * math.sqrt(fraction)
        mean = points + drift * step
        rejected += float(np.dot(mass, normal_cdf_array((mean - edge) / sd)
                                 + normal_cdf_array((-edge - mean) / sd)))
        grid, weights = _simpson_grid(edge, sd / _POINTS_PER_SD)
        kernel = normal_pdf_array((grid[:, None] - mean[None, :]) / sd) / sd
        mass = weights * (kernel @ mass)
        points, previous = grid, fraction
    return rejected


@lru_cache(maxsize=256)
def sequential_inflation(*, looks: int, alpha: float, power: float) -> float:
    """The group-sequential inflation factor R: the maximum information (people) of the
    O'Brien–Fleming-type spending design with ``looks`` equally spaced looks over the
    information of the fixed design with the same α and power (J&T §7.2; ≈ 1.02–1.03 for
    5 to 20 looks at α = 0.05, power 0.8). Found by bisection on the drift that gives the
    power, computed by the same recursion as the boundaries (under the alternative)."""
    if looks < 1 or not 0.0 < alpha < 1.0 or not 0.0 < power < 1.0:
        raise ValueError("need looks >= 1, alpha and power in (0, 1)")
    if looks == 1:
        return 1.0
    fractions = tuple(round(k / looks, _FRACTION_DECIMALS) for k in range(1, looks + 1))
    bounds = _boundaries(fractions, alpha)
    fixed = normal_quantile(1.0 - alpha / 2.0) + normal_quantile(power)
    low, high = fixed * 0.9, fixed * 1.5
    for _ in range(60):
        middle = (low + high) / 2.0
        if _rejection(middle, fractions, bounds) < power:
            low = middle
        else:
            high = middle
    return ((low + high) / 2.0 / fixed) ** 2
