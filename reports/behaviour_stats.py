"""The statistics of behaviour change, in plain Python (no SciPy at run time; the tests
check every figure against scipy.stats and statsmodels).

- ``paired_t_interval``: the mean of paired differences with its Student-t confidence
  interval (the paired t-test's interval).
- ``mcnemar_p``: McNemar's test of a before/after yes/no question, from the discordant
  pairs: exact (two-sided binomial, p = 1/2) under 25 discordant pairs, else the
  chi-square with continuity correction (statsmodels' ``mcnemar`` defaults).
"""

from __future__ import annotations

import math

# Below this many answers (paired answers, respondents, people in a cell) a figure is
# not shown: "not enough answers yet". One rule for the dashboard, the API and the PDF.
MIN_RESPONDENTS = 5
EXACT_BELOW = 25


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """Student's t distribution function."""
    tail = 0.5 * incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The inverse of ``t_cdf`` (bisection: 200 halvings reach double precision)."""
    low, high = -1e4, 1e4
    for _ in range(200):
        mid = (low + high) / 2.0
        if t_cdf(mid, df) < p:
            low = mid
        else:
            high = mid
    return (low + high) / 2.0


def paired_t_interval(differences: list[float], *, level: float = 0.95
                      ) -> tuple[float, float, float]:
    """(mean, low, high) of the paired differences; needs at least two."""
    n = len(differences)
    mean = sum(differences) / n
    variance = sum((d - mean) ** 2 for d in differences) / (n - 1)
    half = t_quantile(0.5 + level / 2.0, n - 1) * math.sqrt(variance / n)
    return mean, mean - half, mean + half


def mcnemar_p(yes_to_no: int, no_to_yes: int) -> float:
    """Two-sided p-value of McNemar's test from the two discordant counts."""
    n = yes_to_no + no_to_yes
    if n == 0:
        return 1.0
    if n < EXACT_BELOW:
        k = min(yes_to_no, no_to_yes)
        tail = sum(math.comb(n, i) for i in range(k + 1)) / 2.0 ** n
        return min(1.0, 2.0 * tail)
    statistic = (abs(yes_to_no - no_to_yes) - 1.0) ** 2 / n
    return math.erfc(math.sqrt(statistic / 2.0))  # chi-square, one degree of freedom
