"""The lab's statistics proven by simulation (issue 15, part 2).

    .venv/bin/python bench/experiments.py                # 10,000 A/A and 4,000 powered runs each
    .venv/bin/python bench/experiments.py 2000 1000      # quicker

An invitation wave is sent on day 0 to everyone in the experiment; pledges arrive over 14
days with the U shape of invitations (many at once, a second bump before the deadline).
The product looks every day at the sums so far (``ArmSums``: everyone invited, pledges so
far) and asks ``sequential_lift`` with the information fractions of all looks so far; the
last look is the deadline, or the day the planned information is reached.

Two designs: people randomised one by one, and whole teams (6 to 14 colleagues, mean 10)
whose pledge rates vary from team to team (beta-distributed, intraclass correlation 0.05),
analysed with the cluster-robust variance. For each, 10,000 A/A experiments print the
false-positive rate of (a) the sequential test, (b) naive daily peeking at fixed 95 %
intervals (the reference, same data), (c) one look at the deadline; then experiments with
a true effect of the planned size, at the size the power calculation gives for 80 %, print
the power achieved. Pure numpy and ``lab.stats``; two worker processes.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lab.stats import (  # noqa: E402
    ArmSums,
    SampleSize,
    information_fraction,
    lift,
    sample_size,
    sequential_lift,
    srm_check,
)
from lab.stats.sequential import _look  # noqa: E402

# Share of the wave's eventual pledges arriving on each day: the U shape of invitations.
ARRIVALS = np.array([30, 14, 8, 5, 4, 3, 3, 3, 3, 4, 5, 6, 5, 7], dtype=float)
ARRIVALS /= ARRIVALS.sum()
DAYS = len(ARRIVALS)
BATCH = 250


@dataclass(frozen=True)
class Design:
    name: str
    baseline: float
    mde: float
    team_sizes: tuple[int, int] | None = None  # inclusive range; None: person units
    icc: float = 0.0

    @property
    def plan(self) -> SampleSize:
        if self.team_sizes is None:
            return sample_size(baseline=self.baseline, mde=self.mde)
        low, high = self.team_sizes
        return sample_size(
            baseline=self.baseline, mde=self.mde, cluster_size=(low + high) / 2, icc=self.icc
        )


DESIGNS = (
    Design("people", baseline=0.15, mde=0.04),
    Design("teams", baseline=0.15, mde=0.05, team_sizes=(6, 14), icc=0.05),
)


def _cumulative_sums(
    design: Design, rates: tuple[float, float], runs: int, rng: np.random.Generator
):
    """Per run, arm and day: (clusters, people, successes, people², successes², cross)."""
    plan = design.plan
    if design.team_sizes is None:
        n = plan.people_per_arm
        finals = rng.binomial(n, rates, size=(runs, 2))
        successes = rng.multinomial(finals, ARRIVALS).cumsum(axis=2)  # runs, 2, days
        people = np.full((runs, 2), n)
        return {
            "clusters": people,
            "people": people,
            "people_sq": people,
            "successes": successes,
            "successes_sq": successes,
            "cross": successes,
        }
    teams = plan.clusters_per_arm
    low, high = design.team_sizes
    sizes = rng.integers(low, high + 1, size=(runs, 2, teams))
    scale = (1 - design.icc) / design.icc
    means = np.array(rates)[None, :, None]
    team_rates = rng.beta(means * scale, (1 - means) * scale, size=(runs, 2, teams))
    finals = rng.binomial(sizes, team_rates)
    by_day = rng.multinomial(finals, ARRIVALS).cumsum(axis=3)  # runs, 2, teams, days
    return {
        "clusters": np.full((runs, 2), teams),
        "people": sizes.sum(axis=2),
        "people_sq": (sizes * sizes).sum(axis=2),
        "successes": by_day.sum(axis=2),
        "successes_sq": (by_day * by_day).sum(axis=2),
        "cross": (sizes[..., None] * by_day).sum(axis=2),
    }


def _arm(sums, run: int, arm: int, day: int) -> ArmSums:
    return ArmSums(
        clusters=int(sums["clusters"][run, arm]),
        people=int(sums["people"][run, arm]),
        successes=int(sums["successes"][run, arm, day]),
        people_sq=int(sums["people_sq"][run, arm]),
        successes_sq=int(sums["successes_sq"][run, arm, day]),
        cross=int(sums["cross"][run, arm, day]),
    )


def simulate(job: tuple[int, bool, int, int]) -> tuple[int, int, int, int, int]:
    """One batch: (runs, sequential rejections, naive, single look, looks made)."""
    design_index, effect, runs, seed = job
    design = DESIGNS[design_index]
    plan = design.plan
    rates = (design.baseline, design.baseline + (design.mde if effect else 0.0))
    sums = _cumulative_sums(design, rates, runs, np.random.default_rng(seed))
    sequential = naive = single = looks = 0
    for run in range(runs):
        fractions: list[float] = []
        peeked = False
        for day in range(DAYS):
            control, treatment = _arm(sums, run, 0, day), _arm(sums, run, 1, day)
            fraction = information_fraction(control=control, treatment=treatment, planned=plan)
            fractions.append(fraction)
            final = day == DAYS - 1 or fraction >= 1.0
            result = sequential_lift(
                control=control, treatment=treatment, fractions=fractions, final=final
            )
            looks += 1
            peeked = peeked or result.lift.p_value < 0.05
            # With a true effect, only a rejection in its direction is a success.
            if result.crossed and (not effect or result.lift.z > 0):
                sequential += 1
                break
            if final:
                break
        naive += peeked
        end = lift(control=_arm(sums, run, 0, DAYS - 1), treatment=_arm(sums, run, 1, DAYS - 1))
        single += end.p_value < 0.05 and (not effect or end.z > 0)
    return runs, sequential, naive, single, looks


def run_design(pool, design_index: int, effect: bool, runs: int, seed: int) -> tuple[float, ...]:
    seeds = np.random.SeedSequence(seed).generate_state(math.ceil(runs / BATCH))
    jobs = [
        (design_index, effect, min(BATCH, runs - i * BATCH), int(s)) for i, s in enumerate(seeds)
    ]
    totals = np.zeros(5, dtype=np.int64)
    for result in pool.imap_unordered(simulate, jobs):
        totals += np.array(result)
    done = totals[0]
    return tuple(float(x) / done for x in totals[1:4]) + (float(totals[4]) / done,)


def _micro(label: str, fn, repeat: int = 2000) -> float:
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        samples.append((time.perf_counter() - start) / repeat * 1e6)
    value = statistics.median(samples)
    print(f"  {label:<62} {value:>10.1f} µs")
    return value


def timings() -> None:
    print("\nTimings (median of 5 rounds, one process):")
    control = ArmSums.from_people(people=500_000, successes=75_000)
    treatment = ArmSums.from_people(people=500_000, successes=77_100)
    fractions = [0.3, 0.44, 0.52, 0.57, 0.6, 0.62, 0.64, 0.66, 0.68, 0.7, 0.74, 0.78, 0.82, 1.0]
    full = _micro(
        "lift from stored sums (1,000,000 people)",
        lambda: lift(control=control, treatment=treatment),
    )
    _micro(
        "sample-ratio check",
        lambda: srm_check(observed=[control.people, treatment.people], expected_shares=[1, 1]),
    )

    def cold() -> None:
        _look.cache_clear()
        sequential_lift(control=control, treatment=treatment, fractions=fractions, final=True)

    cold_us = _micro("sequential lift, 14 daily looks, boundaries computed (cold)", cold, 50)
    warm_us = _micro(
        "sequential lift, 14 daily looks, earlier looks cached (warm)",
        lambda: sequential_lift(
            control=control, treatment=treatment, fractions=fractions, final=True
        ),
    )
    # Reference, same run: the same lift from the unit-level rows (the floor of any query).
    rng = np.random.default_rng(0)
    outcomes = (rng.random((2, 500_000)) < np.array([[0.15], [0.1542]])).astype(np.int8)

    def from_rows() -> None:
        rates = outcomes.mean(axis=1)
        variances = rates * (1 - rates) / outcomes.shape[1]
        float(rates[1] - rates[0]) / math.sqrt(float(variances.sum()))

    rows = _micro("reference: the same lift from 1,000,000 person rows (numpy)", from_rows, 20)
    print(
        f"  ratio rows/stored sums: {rows / full:,.0f}x; a full daily analysis from stored sums"
        f" (cold boundaries) {cold_us / 1000:.1f} ms, warm {warm_us / 1000:.2f} ms"
    )


def main() -> None:
    aa_runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    power_runs = int(sys.argv[2]) if len(sys.argv) > 2 else 4_000
    print(f"Daily looks over {DAYS} days; pledges arrive in a U shape: {np.round(ARRIVALS, 3)}")
    started = time.perf_counter()
    with Pool(2) as pool:
        for index, design in enumerate(DESIGNS):
            plan = design.plan
            unit = (
                "people"
                if design.team_sizes is None
                else f"teams of {design.team_sizes[0]}-{design.team_sizes[1]}, ICC {design.icc}"
            )
            print(
                f"\n{design.name}: baseline {design.baseline:.0%},"
                f" MDE {design.mde * 100:.0f} points, {unit}; plan {plan.people_per_arm:,} people"
                f" ({plan.clusters_per_arm:,} units) per arm,"
                f" design effect {plan.design_effect:.2f}"
            )
            t0 = time.perf_counter()
            seq, naive, single, looks = run_design(pool, index, False, aa_runs, 1000 + index)
            se = math.sqrt(0.05 * 0.95 / aa_runs) * 100
            print(
                f"  A/A x {aa_runs:,}: false positives  sequential {seq:.2%}"
                f"  |  naive daily peeking {naive:.2%}  |  one look at the deadline {single:.2%}"
                f"   (±{se:.2f} pp s.e.; goal 5 % ± 0.7 pp; {looks:.1f} looks per experiment;"
                f" {time.perf_counter() - t0:.0f} s)"
            )
            t0 = time.perf_counter()
            seq, naive, single, looks = run_design(pool, index, True, power_runs, 2000 + index)
            se = math.sqrt(0.8 * 0.2 / power_runs) * 100
            print(
                f"  effect of {design.mde * 100:.0f} points x {power_runs:,}:"
                f" power  sequential {seq:.2%}  |  one look at the deadline {single:.2%}"
                f"  (planned 80 %; ±{se:.2f} pp s.e.; goal within 5 pp; {looks:.1f} looks;"
                f" {time.perf_counter() - t0:.0f} s)"
            )
    print(f"\nSimulations: {time.perf_counter() - started:.0f} s on 2 processes")
    timings()


if __name__ == "__main__":
    main()
