"""Will this campaign reach its target? Reference-class forecasting of a campaign's final
count from its pledge trajectory so far and the trajectories of finished campaigns.

Pure computation (numpy and the standard library): the caller reads trajectories from the
database and passes them in. Time is the fraction of the mobilisation window (opening = 0,
mobilisation deadline = 1); counts are confirmed seats, net of cancellations.

The model (docs/decisions.md, "Issue 15: the success forecast"; docs/forecast.md):

* Each reference j (a finished campaign) contributes its curve f_j (cumulative share of
  its final count over time) and its outcome ratio r_j = final_j / target_j.
* For a candidate final N of the campaign, reference j's support is
  K_h(log(N / target) - log r_j) x Binomial(count | N, f_j(t))^lambda x shape_j, where K_h is
  a Gaussian kernel (the organisers' targets tell us where finals usually fall relative
  to them), the tempered binomial term says how well N explains the count so far if the
  campaign follows curve j, and shape_j (multinomial, tempered) how well curve j matches
  how the count so far was spread in time. lambda < 1 widens the likelihood for the
  over-dispersion of real sign-ups (colleagues sign up together).
* The posterior over N (on a grid from the current count upwards: net future sign-ups
  are non-negative: a campaign at its target has probability 1) is the weighted
  sum over references, plus a prior made of pseudo-references (a U-shaped family of
  curves and a wide spread of outcome ratios) weighing PRIOR_WEIGHT references, so that
  with few or no references the forecast falls back to the prior with wide intervals.
"""

from __future__ import annotations

import itertools
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
#: Likelihood tempering (1 = Poisson sign-ups; smaller = over-dispersed, wider intervals).
#: Fitted on the generator's training references by bench/forecast_backtest.py.
DEFAULT_DISPERSION = 0.5
#: Spread (log scale) of final / target in the prior: organisers miss their own estimate
#: of turnout by a factor of about 1.8 either way (one standard deviation).
PRIOR_LOG_RATIO_SD = 0.6
#: Every reference's curve is at least this share of the prior's central curve.
CURVE_FLOOR = 0.5
#: Heavy tails of the outcome-ratio kernel: share and width (log scale) of its wide part.
TAIL_WEIGHT = 0.05
TAIL_SD = 1.0
#: Above this many references (with the prior's), similar ones are merged (_merged).
MERGE_ABOVE = 500
#: Kernel bandwidth on log(final / target): "robust09" = 0.9 min(sd, IQR / 1.34) n^-1/5 (no
#: smoothing of two-humped outcomes across the target), "silverman106" = 1.06 sd n^-1/5.
BANDWIDTH_RULE = "robust09"
#: Candidate finals evaluated per forecast.
GRID_SIZE = 400
#: After merging, at most this many references enter the posterior (the most consistent).
MAX_GROUPS = 1200
#: Shape term: equal spans of the elapsed time, the last split at RECENT_SPAN before now.
SHAPE_SPANS = 4
RECENT_SPAN = 0.1
#: Sharpening: the kernel bandwidth on log(final / target) is multiplied by this factor.
#: Fitted on TRAINING replays (bench/forecast_backtest.py --tune) so that the 80 % interval
#: covers about 80 % at several time points; probability, expected and interval all come
#: from the one sharpened posterior (no map on the probability alone).
BANDWIDTH_FACTOR = 1.0


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
    expected: float  # final count (posterior mean)
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
        own = np.fromiter(
            itertools.chain.from_iterable(r.curve for r in used), dtype=np.float64,
            count=n * n_grid,
        ).reshape(n, n_grid)
        # Curves floored at a share of the prior's (docs/decisions.md, robustness rule 2).
        self.curves: FloatArray = np.maximum(own, CURVE_FLOOR * _PRIOR_CURVES[4])
        finals = np.fromiter((r.final for r in used), dtype=np.float64, count=n)
        targets = np.fromiter((r.target for r in used), dtype=np.float64, count=n)
        self.log_ratios: FloatArray = np.log(np.maximum(finals, 0.5) / np.maximum(targets, 1))
        self.weights: FloatArray = np.fromiter(
            (r.weight for r in used), dtype=np.float64, count=n
        )

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


_N_PRIOR = len(_PRIOR_CURVES) * len(_PRIOR_Z)
_PRIOR_ALL = (
    np.repeat(_PRIOR_CURVES, len(_PRIOR_Z), axis=0),
    np.tile(PRIOR_LOG_RATIO_SD * _PRIOR_Z, len(_PRIOR_CURVES)),
    np.full(_N_PRIOR, PRIOR_WEIGHT / _N_PRIOR),
)


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


def _merged(
    share: FloatArray, log_ratios: FloatArray, log_weights: FloatArray, bandwidth: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """References that say nearly the same thing now (share within half a point, outcome
    ratio within a quarter of the kernel's width) merged into one, their weights summed:
    the cost of a forecast then grows with the variety of references, not their number."""
    share_key = np.round(np.clip(share, 0.0, 2.0) / 0.005).astype(np.int64)  # < 401
    ratio_key = np.round(log_ratios / (bandwidth / 4)).astype(np.int64)
    _, inverse = np.unique(ratio_key * 1000 + share_key, return_inverse=True)
    w = np.exp(log_weights - log_weights.max())
    total = np.bincount(inverse, weights=w)
    seen = total > 0  # groups whose weights all underflowed carry nothing
    total = total[seen]
    merged_share = np.bincount(inverse, weights=w * share)[seen] / total
    merged_ratios = np.bincount(inverse, weights=w * log_ratios)[seen] / total
    return merged_share, merged_ratios, np.log(total) + log_weights.max()


def campaign_forecast(
    *,
    elapsed: float,
    count: int,
    target: int,
    points: Sequence[tuple[float, float]],
    references: Sequence[Reference],
    capacity: int | None = None,
    dispersion: float = DEFAULT_DISPERSION,
    bandwidth_factor: float = BANDWIDTH_FACTOR,
) -> Forecast:
    """Forecast of an open campaign's final count and of its reaching `target`.

    elapsed: time fraction of the mobilisation window already gone, in [0, 1];
    count: confirmed seats now; points: the campaign's trajectory so far (time fraction,
    cumulative count); references: finished campaigns with their similarity weights;
    capacity: the campaign's places, when known (no final above it: more pledges wait)."""
    elapsed = min(max(float(elapsed), 0.0), 1.0)
    count = max(int(count), 0)
    target = max(int(target), 1)
    prepared = (
        references
        if isinstance(references, PreparedReferences)
        else prepare_references(references)
    )
    n_used = len(prepared)
    if n_used:
        curves = np.vstack([prepared.curves, _PRIOR_ALL[0]])
        log_ratios = np.concatenate([prepared.log_ratios, _PRIOR_ALL[1]])
        weights = np.concatenate([prepared.weights, _PRIOR_ALL[2]])
    else:
        curves, log_ratios, weights = _PRIOR_ALL

    # Kernel bandwidth on log(final / target): Silverman's rule (BANDWIDTH_RULE) over the
    # ratios, at least 0.1 so that a handful of identical references still leave some doubt.
    mean = float(np.average(log_ratios, weights=weights))
    sd = math.sqrt(float(np.average((log_ratios - mean) ** 2, weights=weights)))
    n_eff = float(weights.sum() ** 2 / (weights**2).sum())
    if BANDWIDTH_RULE == "robust09":
        q25, q75 = np.quantile(log_ratios, [0.25, 0.75])
        spread = min(sd, float(q75 - q25) / 1.34) if q75 > q25 else sd
        bandwidth = max(bandwidth_factor * 0.9 * spread * n_eff ** (-0.2), 0.1)
    else:
        bandwidth = max(bandwidth_factor * 1.06 * sd * n_eff ** (-0.2), 0.1)

    share_now = np.clip(_curve_at(curves, elapsed), 0.0, None)
    # Shape: how well each curve explains when the sign-ups so far came (multinomial).
    log_shape = np.zeros(len(curves))
    if count > 0 and elapsed > 0:
        bounds, gains = _trajectory_increments(
            points, elapsed, count, pieces=SHAPE_SPANS, recent=RECENT_SPAN
        )
        at_bounds = np.column_stack([_curve_at(curves, b) for b in bounds])
        spans = np.clip(np.diff(at_bounds, axis=1), 1e-4, None)
        spans = spans / spans.sum(axis=1, keepdims=True)
        log_shape = dispersion * (np.log(spans) @ gains)

    log_weights = np.log(weights) + log_shape
    if len(curves) > MERGE_ABOVE:
        share_now, log_ratios, log_weights = _merged(share_now, log_ratios, log_weights,
                                                     bandwidth)
    if len(share_now) > MAX_GROUPS:
        # Only the MAX_GROUPS references most consistent with the count now are kept: their
        # own outcome ratio near the final they would imply (count / share), by weight.
        implied = np.log((count + 0.5) / np.clip(share_now, 1e-3, None) / target)
        closeness = log_weights - 0.5 * ((implied - log_ratios) / max(bandwidth, 0.2)) ** 2
        keep = np.argpartition(-closeness, MAX_GROUPS)[:MAX_GROUPS]
        share_now, log_ratios, log_weights = share_now[keep], log_ratios[keep], log_weights[keep]

    upper = max(
        count + 10.0,
        target * math.exp(float(log_ratios.max()) + 2 * TAIL_SD),
        count / max(float(np.quantile(share_now, 0.05)), 0.05),
    )
    # Whole people while they fit in GRID_SIZE candidates; beyond, a continuous grid where
    # N stands for the whole number nearest to it (hence target - 0.5 below).
    if upper - count < GRID_SIZE:
        finals = np.arange(count, math.floor(upper) + 1, dtype=np.float64)
    else:
        finals = np.linspace(float(count), upper, GRID_SIZE)
    log_n = np.log(np.maximum(finals, 0.5) / target)
    # Heavy tails: a share TAIL_WEIGHT of each kernel is TAIL_SD wide, so that an outcome
    # outside the references' range (nobody signing up at all) stays possible.
    gap = log_n[None, :] - log_ratios[:, None]
    log_kernel = np.logaddexp(
        math.log((1.0 - TAIL_WEIGHT) / bandwidth) - 0.5 * (gap / bandwidth) ** 2,
        math.log(TAIL_WEIGHT / TAIL_SD) - 0.5 * (gap / TAIL_SD) ** 2,
    )
    # Given the final N, each of its seats was already taken at time t with probability
    # f_j(t): the count now is Binomial(N, f_j(t)) (the Poisson count of a window's arrivals
    # would overstate its noise by 1 / (1 - f), four times at D-7).
    share = np.clip(share_now, 1e-3, 1.0 - 1e-3)
    log_choose = np.array([math.lgamma(n + 1.0) - math.lgamma(n - count + 1.0) for n in finals])
    log_binomial = (
        log_choose[None, :]
        + count * np.log(share)[:, None]
        + (finals - count)[None, :] * np.log1p(-share)[:, None]
    )
    log_joint = log_kernel + dispersion * log_binomial + log_weights[:, None]
    # The kernel is a density over log N: over N it carries the Jacobian 1 / N.
    log_joint -= np.log(np.maximum(finals, 0.5))[None, :]
    log_joint -= log_joint.max()
    posterior = np.exp(log_joint).sum(axis=0)
    posterior /= posterior.sum()

    # Sign-ups beyond the capacity wait: the final is min(N, capacity), the mass above the
    # capacity piles up at it (not removed, which would lower the chance of success).
    if capacity is not None:
        finals = np.minimum(finals, float(max(capacity, count)))
    cdf = np.cumsum(posterior)
    expected = float(posterior @ finals)
    probability = 1.0 if count >= target else float(posterior[finals >= target - 0.5].sum())
    low = float(finals[min(int(np.searchsorted(cdf, 0.1)), len(finals) - 1)])
    high = float(finals[min(int(np.searchsorted(cdf, 0.9)), len(finals) - 1)])
    # All from the same posterior; the mean is clipped into the 80 % interval (a long tail
    # can pull it out), so the interval never widens to hold it (docs/forecast.md).
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
