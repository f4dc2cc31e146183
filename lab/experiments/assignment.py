"""Deterministic assignment: who gets which variant, from a hash anyone can recompute.

``h = int(first 13 hex digits of SHA-256(salt || ":" || unit_key), 16) / 16**13``, a
number in [0, 1) exact in a double (52 bits). The holdout takes ``[0, holdout_share)``;
the variants share the rest in their order (``position``), each its ``share`` of it.
``unit_key`` is ``team:<team id>`` when whole teams are randomised (a person without a
team is their own unit, ``person:<participant id>``), else ``person:<participant id>``.

The same computation in SQL is ``HASH_SQL`` (used by the exported ``.sql`` file and the
test that compares them): a reader can check every row of the export.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .models import Experiment, Variant

HEX_DIGITS = 13
SCALE = 16 ** HEX_DIGITS

# The hash in PostgreSQL, for a salt and a unit key given as %(salt)s and a column.
HASH_SQL = ("(('x' || substr(encode(sha256(convert_to({salt} || ':' || {unit_key}, 'UTF8')),"
            " 'hex'), 1, 13))::bit(52)::bigint)::float8 / 4503599627370496.0")


def unit_key(*, unit: str, participant_id: int, team_id: int | None) -> str:
    """The randomisation unit of a person."""
    if unit == Experiment.Unit.TEAM and team_id is not None:
        return f"team:{team_id}"
    return f"person:{participant_id}"


def hash_value(salt: str, key: str) -> float:
    """The unit's place in [0, 1): the same on every machine, in Python and in SQL."""
    digest = hashlib.sha256(f"{salt}:{key}".encode()).hexdigest()
    return int(digest[:HEX_DIGITS], 16) / SCALE


@dataclass(frozen=True)
class Bucket:
    """A variant's interval of hash values: ``low <= h < high``."""

    variant: Variant
    low: float
    high: float


def buckets(experiment: Experiment, variants: list[Variant]) -> list[Bucket]:
    """The intervals, holdout first then the variants in order. The shares of the
    variants are normalised to the part left by the holdout; the last one ends at 1."""
    holdout = [v for v in variants if v.is_holdout]
    arms = [v for v in variants if not v.is_holdout]
    result: list[Bucket] = []
    start = 0.0
    if holdout:
        start = float(experiment.holdout_share)
        result.append(Bucket(holdout[0], 0.0, start))
    weights = [float(v.share) for v in arms]
    if sum(weights) <= 0:
        weights = [1.0] * len(arms)
    total, cumulative, low = sum(weights), 0.0, start
    for index, (variant, weight) in enumerate(zip(arms, weights, strict=True)):
        cumulative += weight
        high = 1.0 if index == len(arms) - 1 else start + (1.0 - start) * cumulative / total
        result.append(Bucket(variant, low, high))
        low = high
    return result


def variant_for(hash_: float, intervals: list[Bucket]) -> Variant:
    for bucket in intervals:
        if bucket.low <= hash_ < bucket.high:
            return bucket.variant
    return intervals[-1].variant
