"""Backtest of the success forecast (lab.forecast): replays finished campaigns and prints,
at 25 % of the mobilisation window and at D-7, accuracy, Brier score, calibration per
probability decile and 80 % interval coverage, next to the baselines "share of the target
reached so far" and straight-line extrapolation; then timings against a reference
operation measured in the same run.

    .venv/bin/python bench/forecast_backtest.py                  # 2,000 refs, 5,000 tests
    .venv/bin/python bench/forecast_backtest.py --tune           # parameter scan
    DATABASE_URL=postgres://…/fullmobs_x .venv/bin/python bench/forecast_backtest.py --demo

Generated campaigns come from lab.simulation (assumptions in docs/forecast.md). Training
references (seed 1) and test campaigns (seed 2) are separate draws; the baselines' logistic
fits use the training campaigns only, and --tune scans the model's parameters with the
training references against validation campaigns of a third draw (seed 4), never the test
set. --demo also replays the finished campaigns of every
organisation of the database (each against the others as references).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lab.forecast import (  # noqa: E402
    Reference,
    campaign_forecast,
    prepare_references,
    reference_from_points,
)
from lab.simulation import (  # noqa: E402
    FULLMOBS,
    SCENARIOS,
    Scenario,
    SimulatedCampaign,
    simulate_campaigns,
)

CHECKPOINTS = ("25 %", "D-7")


@dataclass(frozen=True)
class Case:
    """A finished campaign replayed at one checkpoint."""

    elapsed: float
    count: int
    target: int
    points: list[tuple[float, int]]
    final: int
    capacity: int | None = None

    @property
    def reached(self) -> bool:
        return self.final >= self.target


def checkpoint_elapsed(name: str, duration_days: float) -> float:
    return 0.25 if name == "25 %" else max(1.0 - 7.0 / duration_days, 0.0)


def cases_from(campaigns: Sequence[SimulatedCampaign], name: str) -> list[Case]:
    out = []
    for c in campaigns:
        e = checkpoint_elapsed(name, c.duration_days)
        out.append(Case(e, c.count_at(e), c.target, c.points(e), c.final, c.capacity))
    return out


def references_from(campaigns: Sequence[SimulatedCampaign]) -> Sequence[Reference]:
    return prepare_references(
        [reference_from_points(c.points(), target=c.target) for c in campaigns]
    )


# --- baselines --------------------------------------------------------------------------

def _features_share(case: Case) -> list[float]:
    return [1.0, case.count / case.target, case.elapsed]


def _features_linear(case: Case) -> list[float]:
    linear = case.count / case.elapsed if case.elapsed > 0 else float(case.count)
    return [1.0, float(np.log((linear + 0.5) / case.target))]


def logistic_fit(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Logistic regression by Newton's method, with a small ridge for separable data."""
    beta = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(x @ beta)))
        hessian = x.T @ (x * (p * (1 - p))[:, None]) + 1e-3 * np.eye(x.shape[1])
        step = np.linalg.solve(hessian, x.T @ (y - p) - 1e-3 * beta)
        beta += step
        if np.abs(step).max() < 1e-8:
            break
    return beta


def logistic_predictor(
    train: Sequence[Case], features: Callable[[Case], list[float]]
) -> Callable[[Case], float]:
    x = np.array([features(c) for c in train])
    y = np.array([float(c.reached) for c in train])
    beta = logistic_fit(x, y)
    return lambda case: float(1.0 / (1.0 + np.exp(-(np.array(features(case)) @ beta))))


# --- scores -----------------------------------------------------------------------------

@dataclass
class Scores:
    accuracy: float
    brier: float
    coverage: float | None
    calibration: list[tuple[str, int, float, float]]  # decile, n, mean forecast, observed


def score(probs: Sequence[float], cases: Sequence[Case],
          intervals: Sequence[tuple[float, float]] | None = None,
          calls: Sequence[bool] | None = None) -> Scores:
    p = np.array(probs)
    y = np.array([float(c.reached) for c in cases])
    call = np.array(calls) if calls is not None else p >= 0.5
    deciles = []
    bins = np.minimum((p * 10).astype(int), 9)
    for d in range(10):
        sel = bins == d
        if sel.any():
            deciles.append((f"{d / 10:.1f}-{(d + 1) / 10:.1f}", int(sel.sum()),
                            float(p[sel].mean()), float(y[sel].mean())))
    coverage = None
    if intervals is not None:
        coverage = float(np.mean([lo <= c.final <= hi
                                  for (lo, hi), c in zip(intervals, cases, strict=True)]))
    return Scores(float(np.mean(call == (y == 1))), float(np.mean((p - y) ** 2)),
                  coverage, deciles)


def forecast_all(cases: Sequence[Case], refs: Sequence[Reference], **params: float):
    return [campaign_forecast(elapsed=c.elapsed, count=c.count, target=c.target,
                              points=c.points, references=refs, capacity=c.capacity, **params)
            for c in cases]


def binomial_se(n: int, p: float) -> float:
    """Standard error of an observed rate over n campaigns whose chance is p."""
    return float(np.sqrt(max(p * (1 - p), 1e-4) / max(n, 1)))


def calibration_verdict(n: int, mean: float, observed: float) -> str:
    """Within 5 points; off by more than 5 points beyond two standard errors; or beyond 5
    points by less than two standard errors (too few campaigns to tell it is off)."""
    gap = abs(observed - mean)
    if gap <= 0.05:
        return "within 5 points"
    if gap - 0.05 > 2 * binomial_se(n, mean):
        return "OFF by more than 5 points"
    return "beyond 5 points, within 2 se of it (inconclusive)"


def report(title: str, test: Sequence[Case], train: Sequence[Case],
           refs: Sequence[Reference], goals: bool = False) -> None:
    forecasts = forecast_all(test, refs)
    raw = score([f.probability for f in forecasts], test,
                intervals=[(f.low, f.high) for f in forecasts])
    rows = [("model (product default)", raw)]
    if len(train) >= 20:
        share = logistic_predictor(train, _features_share)
        linear = logistic_predictor(train, _features_linear)
        rows.append(("share so far, logistic", score([share(c) for c in test], test)))
        rows.append(("share >= elapsed (on pace)", score(
            [float(c.count / c.target >= c.elapsed) for c in test], test)))
        rows.append(("straight line, logistic", score([linear(c) for c in test], test)))
    rate = np.mean([c.reached for c in test])
    print(f"\n{title}: {len(test)} campaigns, {rate:.0%} reached their target")
    print(f"  {'method':<30}{'accuracy':>10}{'Brier':>8}{'80% cover':>11}")
    for name, s in rows:
        cover = f"{s.coverage:.1%}" if s.coverage is not None else "-"
        print(f"  {name:<30}{s.accuracy:>10.1%}{s.brier:>8.3f}{cover:>11}")
    verdicts = [calibration_verdict(n, mean, observed)
                for _, n, mean, observed in raw.calibration]
    print(f"  calibration of the model: {verdicts.count('within 5 points')} deciles within 5"
          f" points, {verdicts.count('OFF by more than 5 points')} off, "
          f"{sum(v.endswith('(inconclusive)') for v in verdicts)} inconclusive"
          " (decile: n, mean forecast, observed rate, gap, binomial standard error):")
    for (decile, n, mean, observed), verdict in zip(raw.calibration, verdicts, strict=True):
        se = binomial_se(n, mean)
        print(f"    {decile}: n={n:<5} {mean:6.1%} {observed:6.1%} "
              f"{observed - mean:+6.1%}  se {se:5.1%}  {verdict}")
    middle = [(n, mean, observed) for _, n, mean, observed in raw.calibration
              if 0.2 <= mean < 0.8]
    if middle:
        n_mid = sum(n for n, _, _ in middle)
        mean_mid = sum(n * m for n, m, _ in middle) / n_mid
        observed_mid = sum(n * o for n, _, o in middle) / n_mid
        print(f"    pooled 0.2-0.8: n={n_mid:<5} {mean_mid:6.1%} {observed_mid:6.1%} "
              f"{observed_mid - mean_mid:+6.1%}  se {binomial_se(n_mid, mean_mid):5.1%}  "
              f"{calibration_verdict(n_mid, mean_mid, observed_mid)}")
    if goals:
        cover = raw.coverage or 0.0
        judged_off = verdicts.count("OFF by more than 5 points")
        inconclusive = sum(v.endswith("(inconclusive)") for v in verdicts)
        calibration = ("met" if judged_off == inconclusive == 0 else
                       f"NOT MET ({judged_off} off)" if judged_off else
                       f"not shown ({inconclusive} beyond 5 points within noise)")
        print(f"  goal {'calibration within 5 points per decile':<45} {calibration}")
        for label, met in (
            ("accuracy >= 90 %", raw.accuracy >= 0.90),
            ("Brier <= 0.08", raw.brier <= 0.08),
            ("80 % interval covers 78-82 %", 0.78 <= cover <= 0.82),
            ("Brier <= share-so-far logistic baseline's",
             len(rows) > 1 and raw.brier <= rows[1][1].brier),
        ):
            print(f"  goal {label:<45} {'met' if met else 'NOT MET'}")


def tune(scenario: Scenario, n_train: int, n_val: int) -> None:
    """On TRAINING data only (never the test set): the training campaigns (seed 1) as
    references, validation campaigns from a third draw (seed 4); for each candidate
    setting, accuracy, Brier and 80 % coverage at 25 % and D-7 (docs/decisions.md, fourth
    round)."""
    refs = references_from(simulate_campaigns(n_train, seed=1, scenario=scenario))
    val = simulate_campaigns(n_val, seed=4, scenario=scenario)
    print(f"\n{scenario.name}:")
    print(f"tuning: {len(refs)} training references, {n_val} validation campaigns (seed 4)")
    settings: list[dict[str, float]] = [{}]
    settings += [{"elasticity": e} for e in (0.0, 0.4, 0.6, 1.0)]
    settings += [{"neighbours": k} for k in (0.9, 1.8, 7.2)]
    settings += [{"recent_bandwidth": 0.0}]
    settings += [{"interval_tail": 0.1}]  # the raw 10th and 90th percentiles
    settings += [{"coverage": c} for c in (0.77, 0.8)]  # the local conformal step's goal
    for params in settings:
        line = []
        for name in CHECKPOINTS:
            cases = cases_from(val, name)
            fc = forecast_all(cases, refs, **params)
            s = score([f.probability for f in fc], cases,
                      intervals=[(f.low, f.high) for f in fc])
            line.append(f"{name} acc {s.accuracy:.1%} Brier {s.brier:.4f} "
                        f"cover {s.coverage:.1%}")
        print(f"  {params or 'product defaults'}: " + "; ".join(line))


def timings(refs: Sequence[Reference], test: Sequence[SimulatedCampaign]) -> None:
    def median_ms(fn: Callable[[], object], repeat: int = 30) -> float:
        runs = []
        for _ in range(repeat):
            start = time.perf_counter()
            fn()
            runs.append((time.perf_counter() - start) * 1000)
        return statistics.median(runs)

    values = np.random.default_rng(0).random(1_000_000)
    reference_ms = median_ms(lambda: np.sort(values), 10)
    c = test[0]
    e = checkpoint_elapsed("D-7", c.duration_days)

    def one(rs: Sequence[Reference]) -> Callable[[], object]:
        return lambda: campaign_forecast(elapsed=e, count=c.count_at(e), target=c.target,
                                         points=c.points(e), references=rs)

    # 20,000 distinct references (another seed), prepared once as the hourly run would.
    extra = references_from(simulate_campaigns(20_000 - len(refs), seed=3,
                                               scenario=FULLMOBS))
    raw_many = list(refs) + list(extra)
    start = time.perf_counter()
    many = prepare_references(raw_many)
    prepare_ms = (time.perf_counter() - start) * 1000
    # Building stored references from 1,000,000 pledges: 20,000 trajectories of 50 points.
    trajectories = [[(i / 50, i) for i in range(1, 51)] for _ in range(20_000)]
    start = time.perf_counter()
    for points in trajectories:
        reference_from_points(points, target=40)
    build_ms = (time.perf_counter() - start) * 1000
    print(f"\ntimings (median; reference: numpy sort of 1,000,000 floats = "
          f"{reference_ms:.1f} ms)")
    for label, ms in (
        ("one forecast, no reference (prior)", median_ms(one([]))),
        (f"one forecast, {len(refs):,} references", median_ms(one(refs))),
        (f"one forecast, {len(many):,} references (prepared)", median_ms(one(many), 10)),
        (f"one forecast, {len(many):,} references (plain list)", median_ms(one(raw_many), 5)),
        (f"preparing {len(many):,} references (once per run)", prepare_ms),
        ("references from 1,000,000 pledges (20,000 campaigns)", build_ms),
    ):
        print(f"  {label:<55}{ms:9.1f} ms  {ms / reference_ms:6.2f} x reference")


def demo_replay() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from bench.forecast_demo import finished_campaigns

    campaigns = finished_campaigns()
    print(f"\ndemo database: {len(campaigns)} finished campaigns with a trajectory")
    if not campaigns:
        return
    for name in CHECKPOINTS:
        test, refs_for = [], []
        for i, (days, target, points) in enumerate(campaigns):
            e = checkpoint_elapsed(name, days)
            past = [(t, c) for t, c in points if t <= e]
            final = points[-1][1] if points else 0
            test.append(Case(e, past[-1][1] if past else 0, target, past, final))
            refs_for.append([reference_from_points(p, target=tg)
                             for j, (_, tg, p) in enumerate(campaigns) if j != i])
        fc = [campaign_forecast(elapsed=c.elapsed, count=c.count, target=c.target,
                                points=c.points, references=r)
              for c, r in zip(test, refs_for, strict=True)]
        s = score([f.probability for f in fc], test, intervals=[(f.low, f.high) for f in fc])
        base = score([float(c.count / c.target >= c.elapsed) for c in test], test)
        print(f"  {name}: model accuracy {s.accuracy:.0%}, Brier {s.brier:.3f}, coverage "
              f"{s.coverage:.0%}; share >= elapsed accuracy {base.accuracy:.0%}, "
              f"Brier {base.brier:.3f} (leave-one-out, n={len(test)})")


def run_scenario(scenario: Scenario, n_train: int, n_test: int) -> None:
    train_campaigns = simulate_campaigns(n_train, seed=1, scenario=scenario)
    test_campaigns = simulate_campaigns(n_test, seed=2, scenario=scenario)
    refs = references_from(train_campaigns)
    main_note = ("the main scenario: the goals are judged on it" if scenario == FULLMOBS
                 else "a harder sensitivity case, goals not judged on it")
    print(f"\n=== scenario {scenario.name} ({main_note}) ===")
    print(f"generator: {n_train} training references (seed 1), {n_test} test "
          "campaigns (seed 2)")
    for name in CHECKPOINTS:
        report(f"at {name}", cases_from(test_campaigns, name),
               cases_from(train_campaigns, name), refs,
               goals=scenario == FULLMOBS and name == "D-7")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", type=int, default=2000)
    parser.add_argument("--test", type=int, default=5000)
    parser.add_argument("--sensitivity-test", type=int, default=500,
                        help="test campaigns of the Kickstarter-like scenario")
    parser.add_argument("--scenario", choices=("all", "fullmobs", "kickstarter", "none"),
                        default="all")
    parser.add_argument("--tune", action="store_true")
    parser.add_argument("--validation", type=int, default=2000)
    parser.add_argument("--timings", action="store_true")
    parser.add_argument("--demo", action="store_true")
    args = parser.parse_args()

    if args.tune:
        for scenario in SCENARIOS:
            tune(scenario, args.train, args.validation if scenario == FULLMOBS
                 else args.validation // 2)
    for scenario in SCENARIOS:
        key = "fullmobs" if scenario == FULLMOBS else "kickstarter"
        if args.scenario in ("all", key):
            n_test = args.test if scenario == FULLMOBS else args.sensitivity_test
            run_scenario(scenario, args.train, n_test)
    if args.timings or args.scenario == "all":
        timings(references_from(simulate_campaigns(args.train, seed=1, scenario=FULLMOBS)),
                simulate_campaigns(10, seed=2, scenario=FULLMOBS))
    if args.demo:
        demo_replay()


if __name__ == "__main__":
    main()
