"""Will this campaign reach its target? Reference-class forecasting of a campaign's final
count from its pledge trajectory so far and the trajectories of finished campaigns.

Pure computation (numpy and the standard library): the caller reads trajectories from the
database and passes them in. Time is the fraction of the mobilisation window (opening = 0,
mobilisation deadline = 1); counts are confirmed seats, net of cancellations.

The model (fourth round; docs/forecast.md, docs/decisions.md "Issue 15: the success
forecast, fourth round") is a conditional reference-class estimate:

* Each reference j (a finished campaign, with its similarity weight: same template,
  same organisation, others) is looked at the SAME elapsed time t as the open campaign:
  its own count then, c_j = f_j(t) x final_j, and its gain over the last RECENT_SPAN.
* References are weighted by how close their own smoothed share of target then,
  log(c_j / target_j + ALPHA), is to the campaign's (a Gaussian kernel whose bandwidth
  widens until NEIGHBOURS x the root of the references' weight sit within it), and,
  more loosely, by how close their recent pace (the part of the count gained over the
  last RECENT_SPAN) is.
* Each reference predicts the campaign's final from its own final relative to its target,
  corrected by ELASTICITY x the remaining gap in shares: N_j = T x (final_j / T_j + ALPHA)
  x exp(-ELASTICITY x gap_j) - ALPHA T (ELASTICITY = 1 would apply the reference's growth
  factor (final_j + ALPHA T_j) / (c_j + ALPHA T_j) to the count now; the additive smoothing,
  in units of the target, handles zero counts), rounded, at least the count now, at most
  the capacity when known.
* The weighted N_j are the predictive distribution: probability = weighted share of
  N_j >= target, expected = weighted mean, 80 % interval = weighted percentiles, all from
  the one distribution. The interval's levels (10th / 90th or narrower) are recalibrated
  for each forecast by local split-conformal prediction: leave-one-out forecasts of the
  closest references at the same time (COVERAGE).
* A prior of pseudo-references (U-shaped curves x outcome ratios around the target)
  weighing PRIOR_WEIGHT references keeps the forecast defined, and wide, with few or no
  references.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

GRID: tuple[float, ...] = tuple(round(i * 0.05, 2) for i in range(21))
_GRID = np.array(GRID, dtype=np.float64)

#: Below this probability of reaching the target, a campaign is shown as at risk (and the
#: D-7 / D-3 alerts fire): the forecast's own "more likely than not to miss".
AT_RISK_THRESHOLD = 0.5
#: Below this number of references the method is reported as "prior" (the prior dominates).
MIN_REFERENCES = 5
#: How many references the prior pseudo-references weigh, in total.
PRIOR_WEIGHT = 2.0
#: Spread (log scale) of final / target in the prior: organisers miss their own estimate
#: of turnout by a factor of about 1.8 either way (one standard deviation).
PRIOR_LOG_RATIO_SD = 0.6
#: Additive smoothing of counts, as a share of the target (zero counts, small targets).
ALPHA = 0.1
#: Kernel on log(count / target + ALPHA): the narrowest bandwidth, and the number of
#: references (by weight) the bandwidth widens to hold at least, NEIGHBOURS x the square
#: root of the references' total weight (160 of 2,000, 510 of 20,000).
SHARE_BANDWIDTH = 0.1
NEIGHBOURS = 3.6
#: Recent pace: the part of the count gained over the last RECENT_SPAN of the window,
#: compared on a log scale with this bandwidth (0 switches it off).
RECENT_SPAN = 0.1
RECENT_BANDWIDTH = 0.7
#: How much of the gap between the campaign's share so far and a close reference's carries
#: over to the final (1 = the reference's growth factor applied to the count now; 0 = the
#: reference's final / target applied to the target). The prior's pseudo-references always
#: use 1: they stand for a shape of the pledges in time, not for outcomes; alone, they
#: extrapolate the campaign's own count along U-shaped curves.
ELASTICITY = 0.2
#: The 80 % interval's levels are recalibrated for each forecast (split-conformal, local):
#: the CALIBRATION_SET references weighing most are each forecast from the PREDICTORS
#: weighing most (leave-one-out, kernel recentred on that reference's own share), and the
#: weight tau left out on each side of the interval (from 0.1, the 10th and 90th
#: percentiles, to 0.45) is the one whose interval would have covered COVERAGE of them.
#: tau >= 0.1 keeps p >= 0.9 => lower bound at the target or above. COVERAGE is a little
#: under 80 %: the leave-one-out forecasts know no capacity and share their neighbourhood,
#: and covered about 2 points more than real forecasts on TRAINING replays of both
#: generator scenarios (bench/forecast_backtest.py --tune, seed 4; never the test set).
COVERAGE = 0.78
CALIBRATION_SET = 100
PREDICTORS = 300
_TAUS = np.round(np.arange(0.1, 0.4501, 0.01), 2)


@dataclass(frozen=True)
class Reference:
    """A finished campaign as seen by the forecast."""

    curve: tuple[float, ...]  # cumulative share of `final` at each GRID point; last = 1.0
    final: int  # confirmed seats at the mobilisation deadline
    target: int
    weight: float = 1.0  # similarity to the forecast campaign (same template, organisation…)


@dataclass(frozen=True)
class Forecast:
    probability: float  # of final >= target
    expected: float  # final count (mean of the predictive distribution)
    low: float  # 10th percentile of the final count
    high: float  # 90th percentile
    baseline_share: float  # count so far / target: the naive baseline
    linear: float  # straight-line extrapolation count / elapsed: the baseline to beat
    references: int  # real references used (pseudo-references of the prior not counted)
    at_risk: bool  # probability < AT_RISK_THRESHOLD
    method: str  # "reference-class" or "prior" (fewer than MIN_REFERENCES references)


def u_shaped_curve(
    t: FloatArray | float,
    *,
    launch_share: float = 0.3,
    surge_share: float = 0.2,
    launch_tau: float = 0.08,
    surge_tau: float = 0.06,
) -> FloatArray:
    """Cumulative share at time fraction t of a U-shaped arrival intensity: a launch burst
    (exponential decay, time constant launch_tau), a flat middle, and a deadline surge
    (exponential growth, time constant surge_tau). Equals 0 at t = 0 and 1 at t = 1."""
    x = np.clip(np.asarray(t, dtype=np.float64), 0.0, 1.0)
    launch = (1.0 - np.exp(-x / launch_tau)) / (1.0 - math.exp(-1.0 / launch_tau))
    surge = (np.exp((x - 1.0) / surge_tau) - math.exp(-1.0 / surge_tau)) / (
        1.0 - math.exp(-1.0 / surge_tau)
    )
    middle = 1.0 - launch_share - surge_share
    return np.asarray(launch_share * launch + surge_share * surge + middle * x, dtype=np.float64)


#: The prior's curves: launch share x deadline surge, around the published U shape.
_PRIOR_SHAPES: tuple[tuple[float, float], ...] = tuple(
    (launch, surge) for launch in (0.15, 0.3, 0.45) for surge in (0.1, 0.2, 0.35)
)
_PRIOR_CURVES = np.array(
    [u_shaped_curve(_GRID, launch_share=a, surge_share=b) for a, b in _PRIOR_SHAPES]
)
#: Normal quantiles at 1/18, 3/18, … 17/18: nine equally likely outcome ratios.
_PRIOR_Z = np.array([-1.593, -0.967, -0.589, -0.282, 0.0, 0.282, 0.589, 0.967, 1.593])
_N_PRIOR = len(_PRIOR_CURVES) * len(_PRIOR_Z)
#: The prior's pseudo-references: curves, final / target, weights.
_PRIOR_ALL = (
    np.repeat(_PRIOR_CURVES, len(_PRIOR_Z), axis=0),
    np.tile(np.exp(PRIOR_LOG_RATIO_SD * _PRIOR_Z), len(_PRIOR_CURVES)),
    np.full(_N_PRIOR, PRIOR_WEIGHT / _N_PRIOR),
)


def reference_from_points(
    points: Sequence[tuple[float, float]], *, target: int, weight: float = 1.0
) -> Reference:
    """A finished campaign's trajectory (time fraction, cumulative count) as a Reference.

    The count at each GRID point is the last count at or before it (a step function);
    the final is the count at the deadline (points after 1 are ignored). A campaign that
    ended with nobody gives no shape: it gets the prior's central curve."""
    pts = sorted((float(t), float(c)) for t, c in points if 0.0 <= t <= 1.0)
    if pts:
        times = np.array([p[0] for p in pts])
        counts = np.array([p[1] for p in pts], dtype=np.float64)
        idx = np.searchsorted(times, _GRID, side="right") - 1
        at_grid = np.where(idx >= 0, counts[np.clip(idx, 0, None)], 0.0)
        final = round(float(counts[-1]))
    else:
        at_grid = np.zeros(len(GRID))
        final = 0
    if final <= 0:
        curve = _PRIOR_CURVES[4]
    else:
        curve = np.clip(at_grid / final, 0.0, None)
        curve[-1] = 1.0
    return Reference(
        curve=tuple(float(v) for v in curve), final=max(final, 0), target=target, weight=weight
    )


class PreparedReferences(Sequence[Reference]):
    """References with their arrays built once (prepare_references), for many forecasts
    against the same references (docs/performance.md)."""

    def __init__(self, references: Sequence[Reference]) -> None:
        n_grid = len(GRID)
        used = [
            r for r in references if r.weight > 0 and r.target > 0 and len(r.curve) == n_grid
        ]
        n = len(used)
        self._used = used
        self.curves: FloatArray = np.array(
            [r.curve for r in used], dtype=np.float64
        ).reshape(n, n_grid)
        self.finals: FloatArray = np.array([max(r.final, 0) for r in used], dtype=np.float64)
        self.targets: FloatArray = np.array([r.target for r in used], dtype=np.float64)
        self.weights: FloatArray = np.array([r.weight for r in used], dtype=np.float64)

    def __len__(self) -> int:
        return len(self._used)

    @overload
    def __getitem__(self, index: int) -> Reference: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Reference]: ...

    def __getitem__(self, index: int | slice) -> Reference | Sequence[Reference]:
        return self._used[index]


def prepare_references(references: Sequence[Reference]) -> PreparedReferences:
    """The usable references (positive weight and target, a full curve) as arrays."""
    return PreparedReferences(references)


def _curve_at(curves: FloatArray, t: float) -> FloatArray:
    """Each curve (rows) linearly interpolated at time fraction t."""
    pos = min(max(t, 0.0), 1.0) / 0.05
    i = min(int(pos), len(GRID) - 2)
    frac = pos - i
    return np.asarray(curves[:, i] * (1.0 - frac) + curves[:, i + 1] * frac, dtype=np.float64)


def _trajectory_increments(
    points: Sequence[tuple[float, float]],
    elapsed: float,
    count: int,
    pieces: int = 4,
    recent: float = 0.0,
) -> tuple[list[float], FloatArray]:
    """The campaign's sign-ups so far split into `pieces` equal spans of [0, elapsed], the
    last one split again at `elapsed - recent` (the pace of the last days, compared with
    each curve's pace at the same time): the boundaries and the (non-negative) count
    gained in each span."""
    bounds = [elapsed * k / pieces for k in range(pieces + 1)]
    if recent > 0 and elapsed - recent > bounds[-2]:
        bounds.insert(-1, elapsed - recent)
    pts = sorted((float(t), float(c)) for t, c in points if 0.0 <= t <= elapsed)
    cumulative: list[float] = [0.0]
    for b in bounds[1:-1]:
        before = [c for t, c in pts if t <= b]
        cumulative.append(before[-1] if before else 0.0)
    cumulative.append(float(count))
    gains = np.diff(np.array(cumulative, dtype=np.float64))
    return bounds, np.clip(gains, 0.0, None)


def _count_at(points: Sequence[tuple[float, float]], at: float) -> float:
    """The campaign's count at time fraction `at`: its last point at or before it."""
    before = [c for t, c in sorted((float(t), float(c)) for t, c in points) if t <= at]
    return before[-1] if before else 0.0


def _weighted_quantile(sorted_values: FloatArray, cdf: FloatArray, q: float,
                       strict: bool) -> float:
    """The smallest value whose cumulative weight is above q (strict) or at least q."""
    i = int(np.searchsorted(cdf, q, side="right" if strict else "left"))
    return float(sorted_values[min(i, len(sorted_values) - 1)])


def _local_tail(x_refs: FloatArray, finals: FloatArray, counts_then: FloatArray,
                targets: FloatArray, log_w: FloatArray, gap: FloatArray, bandwidth: float,
                elasticities: FloatArray, coverage_goal: float = 0.8) -> float:
    """The interval's tail weight tau, from leave-one-out forecasts of the references
    weighing most for this campaign (see COVERAGE)."""
    top = np.argsort(-log_w)[:PREDICTORS]
    cal = top[:CALIBRATION_SET]
    x_j, x_i = x_refs[top], x_refs[cal]
    # The campaign's weights, the share kernel recentred on each calibration reference.
    lw = log_w[top][None, :] + 0.5 * (
        gap[top][None, :] ** 2 - (x_j[None, :] - x_i[:, None]) ** 2) / bandwidth**2
    np.fill_diagonal(lw[:, : len(cal)], -np.inf)
    weights = np.exp(lw - lw.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    ratio = finals[top] / targets[top] + ALPHA
    t_i = targets[cal][:, None]
    lead = x_j[None, :] - x_i[:, None]
    predicted = np.round(t_i * ratio[None, :] * np.exp(-elasticities[top][None, :] * lead)
                         - ALPHA * t_i)
    predicted = np.maximum(predicted, np.round(counts_then[cal])[:, None])
    final = finals[cal][:, None]
    below = (weights * (predicted < final)).sum(axis=1)
    at_or_below = (weights * (predicted <= final)).sum(axis=1)
    covered = (at_or_below[:, None] > _TAUS[None, :]) & (below[:, None] < 1 - _TAUS[None, :])
    importance = np.exp(log_w[cal] - log_w[cal].max())
    coverage = importance @ covered / importance.sum()
    return float(_TAUS[int(np.argmin(np.abs(coverage - coverage_goal)))])


def campaign_forecast(
    *,
    elapsed: float,
    count: int,
    target: int,
    points: Sequence[tuple[float, float]],
    references: Sequence[Reference],
    capacity: int | None = None,
    neighbours: float | None = None,
    recent_bandwidth: float | None = None,
    elasticity: float | None = None,
    interval_tail: float | None = None,
    coverage: float | None = None,
) -> Forecast:
    """Forecast of an open campaign's final count and of its reaching `target`.

    elapsed: time fraction of the mobilisation window already gone, in [0, 1];
    count: confirmed seats now; points: the campaign's trajectory so far (time fraction,
    cumulative count); references: finished campaigns with their similarity weights;
    capacity: the campaign's places, when known (no final above it: more pledges wait).
    The keyword arguments after `capacity` override NEIGHBOURS, RECENT_BANDWIDTH,
    ELASTICITY, the interval's tail weight (else fitted per forecast) and COVERAGE
    (bench/forecast_backtest.py --tune)."""
    k_neighbours = NEIGHBOURS if neighbours is None else neighbours
    recent_bw = RECENT_BANDWIDTH if recent_bandwidth is None else recent_bandwidth
    elasticity = ELASTICITY if elasticity is None else elasticity
    elapsed = min(max(float(elapsed), 0.0), 1.0)
    count = max(int(count), 0)
    target = max(int(target), 1)
    prepared = (
        references
        if isinstance(references, PreparedReferences)
        else prepare_references(references)
    )
    n_used = len(prepared)
    # The prior's pseudo-references, scaled to this campaign's target.
    curves = np.vstack([prepared.curves, _PRIOR_ALL[0]])
    finals = np.concatenate([prepared.finals, target * _PRIOR_ALL[1]])
    targets = np.concatenate([prepared.targets, np.full(_N_PRIOR, float(target))])
    weights = np.concatenate([prepared.weights, _PRIOR_ALL[2]])
    elasticities = np.concatenate([np.full(n_used, elasticity), np.ones(_N_PRIOR)])

    # Each reference at the same elapsed time: its count then, and its recent gain.
    before = max(elapsed - RECENT_SPAN, 0.0)
    share_now = np.clip(_curve_at(curves, elapsed), 0.0, 1.0)
    share_before = np.clip(_curve_at(curves, before), 0.0, None)
    counts_then = share_now * finals
    smooth = ALPHA * targets
    own_smooth = ALPHA * target

    # Kernel on the smoothed share of target reached so far; the bandwidth widens until
    # about k_neighbours references (by weight) sit within one bandwidth.
    x_refs = np.log(counts_then / targets + ALPHA)
    gap = x_refs - math.log(count / target + ALPHA)
    log_w = np.log(weights)
    if recent_bw > 0 and elapsed > 0:
        gain = count - _count_at(points, before) if before > 0 else float(count)
        own_recent = math.log((max(gain, 0.0) + own_smooth / 2) / (count + own_smooth))
        ref_recent = np.log((np.clip(share_now - share_before, 0.0, None) * finals
                             + smooth / 2) / (counts_then + smooth))
        log_w = log_w - 0.5 * ((ref_recent - own_recent) / recent_bw) ** 2
    distance = np.abs(gap)
    order = np.argsort(distance)
    mass = np.cumsum(weights[order])
    reach = int(np.searchsorted(mass, min(k_neighbours * math.sqrt(float(mass[-1])),
                                          float(mass[-1]) * 0.5)))
    bandwidth = max(SHARE_BANDWIDTH, float(distance[order[min(reach, len(order) - 1)]]))
    log_w = log_w - 0.5 * (gap / bandwidth) ** 2
    w = np.exp(log_w - log_w.max())

    # Each reference's final relative to its target, applied to this campaign's target and
    # corrected by the elasticity x the gap in shares now.
    log_growth = np.log((finals + smooth) / targets) - math.log(count / target + ALPHA) \
        - elasticities * gap
    predicted = np.round((count + own_smooth) * np.exp(log_growth) - own_smooth)
    predicted = np.maximum(predicted, float(count))
    if capacity is not None:
        predicted = np.minimum(predicted, float(max(capacity, count)))

    if interval_tail is not None:
        tail = min(max(interval_tail, 0.1), 0.45)
    elif n_used >= MIN_REFERENCES:
        tail = _local_tail(x_refs, finals, counts_then, targets, log_w, gap, bandwidth,
                           elasticities, COVERAGE if coverage is None else coverage)
    else:
        tail = 0.1

    order = np.argsort(predicted, kind="stable")
    values = predicted[order]
    cdf = np.cumsum(w[order])
    cdf /= cdf[-1]
    below = int(np.searchsorted(values, target, side="left"))
    probability = 1.0 if below == 0 else max(1.0 - float(cdf[below - 1]), 0.0)
    # The 10th percentile: the smallest value with more than 10 % of the weight at or
    # below it; the 90th: at least 90 %. So p >= 0.9 puts the 10th percentile at the
    # target or above, and p <= 0.1 the 90th below it.
    low = _weighted_quantile(values, cdf, tail, strict=True)
    high = _weighted_quantile(values, cdf, 1.0 - tail, strict=False)
    expected = float(w @ predicted / w.sum())
    return Forecast(
        probability=min(max(probability, 0.0), 1.0),
        expected=min(max(expected, low), high),
        low=low,
        high=high,
        baseline_share=count / target,
        linear=count / elapsed if elapsed > 0 else float(count),
        references=n_used,
        at_risk=probability < AT_RISK_THRESHOLD,
        method="reference-class" if n_used >= MIN_REFERENCES else "prior",
    )
