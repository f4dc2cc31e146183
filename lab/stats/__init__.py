"""The lab's statistics: pure functions of stored sums (numpy and the standard library).

Power calculation, lift with intervals, sample-ratio mismatch, group-sequential monitoring
with alpha spending, Benjamini–Hochberg. scipy and statsmodels are only reference values
in tests (tests/lab/test_stats.py).
"""

from lab.stats.inference import (
    BhResult,
    Lift,
    Srm,
    benjamini_hochberg,
    chi2_sf,
    lift,
    lift_at,
    srm_check,
)
from lab.stats.normal import normal_quantile, two_sided_p
from lab.stats.power import SampleSize, achieved_power, design_effect, sample_size
from lab.stats.sequential import (
    SequentialLift,
    information_fraction,
    observed_information,
    sequential_inflation,
    sequential_lift,
    spending_boundaries,
    spent_alpha,
)
from lab.stats.sums import ArmSums

__all__ = [
    "ArmSums",
    "BhResult",
    "Lift",
    "SampleSize",
    "SequentialLift",
    "Srm",
    "achieved_power",
    "benjamini_hochberg",
    "chi2_sf",
    "design_effect",
    "information_fraction",
    "lift",
    "lift_at",
    "normal_quantile",
    "observed_information",
    "sample_size",
    "sequential_inflation",
    "sequential_lift",
    "spending_boundaries",
    "spent_alpha",
    "srm_check",
    "two_sided_p",
]
