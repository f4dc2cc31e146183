"""Sufficient statistics of one arm, so that every result comes from stored figures in O(1)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ArmSums:
    """Sums over an arm's randomisation units c (a person, or a whole team).

    ``people`` = Σn_c, ``successes`` = Σy_c, ``people_sq`` = Σn_c², ``successes_sq`` = Σy_c²,
    ``cross`` = Σn_c·y_c. With person randomisation every unit has n_c = 1 and y_c ∈ {0, 1},
    so ``people_sq == people`` and ``successes_sq == cross == successes``. Sums add: the
    figures of a day's new units are added to yesterday's (``__add__``).
    """

    clusters: int = 0
    people: int = 0
    successes: int = 0
    people_sq: int = 0
    successes_sq: int = 0
    cross: int = 0

    @classmethod
    def from_units(cls, units: Iterable[tuple[int, int]]) -> ArmSums:
        """From (people, successes) per randomisation unit."""
        clusters = people = successes = people_sq = successes_sq = cross = 0
        for n, y in units:
            if n < 0 or y < 0 or y > n:
                raise ValueError(f"a unit needs 0 <= successes <= people, got ({n}, {y})")
            clusters += 1
            people += n
            successes += y
            people_sq += n * n
            successes_sq += y * y
            cross += n * y
        return cls(clusters, people, successes, people_sq, successes_sq, cross)

    @classmethod
    def from_people(cls, *, people: int, successes: int) -> ArmSums:
        """An arm randomised by person: every unit is one person, a success or not."""
        if people < 0 or not 0 <= successes <= people:
            raise ValueError(f"need 0 <= successes <= people, got ({people}, {successes})")
        return cls(people, people, successes, people, successes, successes)

    def __add__(self, other: ArmSums) -> ArmSums:
        return ArmSums(
            self.clusters + other.clusters,
            self.people + other.people,
            self.successes + other.successes,
            self.people_sq + other.people_sq,
            self.successes_sq + other.successes_sq,
            self.cross + other.cross,
        )

    @property
    def clustered(self) -> bool:
        """True when some unit holds more than one person (team randomisation)."""
        return self.people_sq > self.people

    @property
    def rate(self) -> float:
        return self.successes / self.people if self.people else 0.0

    @property
    def rate_variance(self) -> float:
        """Variance of the arm's rate Σy/Σn.

        Person units: the binomial p(1−p)/n (as statsmodels' Wald interval). Units of
        several people: the cluster-robust variance of a ratio estimator,
        K/(K−1) · Σ(y_c − p·n_c)² / (Σn_c)², expanded into the stored sums
        (Σy² − 2pΣny + p²Σn²), so no unit-level data is needed.
        """
        if self.people == 0:
            return 0.0
        p = self.rate
        if not self.clustered:
            return p * (1.0 - p) / self.people
        if self.clusters < 2:
            return 0.0
        residual_sq = self.successes_sq - 2.0 * p * self.cross + p * p * self.people_sq
        k = self.clusters
        return max(residual_sq, 0.0) * k / (k - 1) / (self.people * self.people)
