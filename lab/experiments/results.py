"""The daily look: the arms' sums read in SQL, the analysis computed from them alone
(``lab.stats``), both stored in an ``ExperimentLook`` that the results page reads as it is.

Each treatment is compared with the control (the first variant, the usual message) at
α / (arms − 1). The verdict reads the sequential (repeated) interval, so looking every day
does not inflate false positives; a sample-ratio mismatch (p < 0.001) blocks it and stops
the experiment. The experiment concludes when every comparison crossed its boundary or
the final look is reached (its last day, or the planned information).
"""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from lab.stats import (
    ArmSums,
    benjamini_hochberg,
    information_fraction,
    lift,
    lift_at,
    normal_quantile,
    sample_size,
    sequential_lift,
    srm_check,
)

from .assignment import buckets
from .models import Experiment, ExperimentLook, Variant
from .person_sql import ARM_SUMS_SQL, SEGMENT_SQL, SENT_SQL

SMALL_CELL = 5
METRICS = {"primary": "s", "unsubscribes": "u", "complaints": "c"}


def arm_sums(experiment_id: int) -> dict[int, dict[str, ArmSums]]:
    """Per variant id: the sums of the primary metric and of each guardrail."""
    with connection.cursor() as cursor:
        cursor.execute(ARM_SUMS_SQL, {"experiment_id": experiment_id})
        columns = [c.name for c in cursor.description or []]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    result: dict[int, dict[str, ArmSums]] = {}
    for row in rows:
        result[int(row["variant_id"])] = {name: ArmSums(
            clusters=int(row["clusters"]), people=int(row["people"]),
            successes=int(row[p]), people_sq=int(row["people_sq"]),
            successes_sq=int(row[p + "_sq"]), cross=int(row[p + "_cross"]))
            for name, p in METRICS.items()}
    return result


def segment_sums(experiment_id: int) -> list[tuple[str, str, int, ArmSums]]:
    """Per (dimension, value, variant): the segment's sums over randomisation units."""
    with connection.cursor() as cursor:
        cursor.execute(SEGMENT_SQL, {"experiment_id": experiment_id})
        return [(str(d), str(v), int(variant), ArmSums(
            clusters=int(k), people=int(n), successes=int(y), people_sq=int(n2),
            successes_sq=int(y2), cross=int(ny)))
            for d, v, variant, k, n, y, n2, y2, ny in cursor.fetchall()]


def sent_units(experiment_id: int, now: datetime) -> dict[int, tuple[int, int]]:
    """Per variant: (units, people) the wave reached by ``now`` (the holdout: assigned)."""
    with connection.cursor() as cursor:
        cursor.execute(SENT_SQL, {"experiment_id": experiment_id, "now": now})
        return {int(v): (int(units), int(people)) for v, units, people in cursor.fetchall()}


def finite(value: Any) -> Any:
    """JSON holds no infinity (an unbounded interval before any information): None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def _lift_json(control: ArmSums, treatment: ArmSums, alpha: float) -> dict[str, Any] | None:
    if control.people == 0 or treatment.people == 0:
        return None
    return dataclasses.asdict(lift(control=control, treatment=treatment, alpha=alpha))


def _segments(experiment: Experiment, control: Variant, treatments: list[Variant],
              alpha: float) -> list[dict[str, Any]]:
    """Lift per segment and treatment from sums over randomisation units (a team
    experiment's segments get the cluster variance), cells under 5 people hidden, p-values
    adjusted by Benjamini–Hochberg at q = α across the m segments shown. Exploratory: read
    at the final look only. The interval of a segment BH selects is the FCR-adjusted one
    of Benjamini & Yekutieli (2005), level 1 − q·R/m with R selected, so that it agrees
    with the decision; the others get none. Teams are left out when whole teams are
    randomised (a team is then in one arm only)."""
    cells: dict[tuple[str, str], dict[int, ArmSums]] = {}
    for dimension, value, variant_id, sums in segment_sums(experiment.pk):
        if dimension == "team" and experiment.unit == Experiment.Unit.TEAM:
            continue
        cells.setdefault((dimension, value), {})[variant_id] = sums
    rows: list[dict[str, Any]] = []
    for (dimension, value), arms in sorted(cells.items()):
        base = arms.get(control.pk)
        for treatment in treatments:
            other = arms.get(treatment.pk)
            if base is None or other is None or min(base.people, other.people) < SMALL_CELL:
                continue
            result = lift(control=base, treatment=other, alpha=alpha)
            rows.append({"dimension": dimension, "value": value, "variant_id": treatment.pk,
                         "control_people": base.people, "treatment_people": other.people,
                         "control_units": base.clusters, "treatment_units": other.clusters,
                         "absolute": result.absolute, "p_value": result.p_value,
                         "low": None, "high": None, "sums": (base, other)})
    decisions = benjamini_hochberg([r["p_value"] for r in rows], q=alpha)
    selected = sum(1 for d in decisions if d.rejected)
    critical = (normal_quantile(1.0 - alpha * selected / len(rows) / 2.0) if selected
                else math.inf)
    for row, adjusted in zip(rows, decisions, strict=True):
        base, other = row.pop("sums")
        row["adjusted"], row["rejected"] = adjusted.adjusted, adjusted.rejected
        if adjusted.rejected:
            selected_lift = lift_at(control=base, treatment=other, critical_value=critical)
            row["low"] = max(selected_lift.absolute_low, -1.0)
            row["high"] = min(selected_lift.absolute_high, 1.0)
    return rows


def _planned_information(experiment: Experiment, base: ArmSums, arms: int,
                         team: bool) -> float:
    """The maximum information frozen at launch; for an experiment launched before it was
    stored, the design's with the planned (not observed) settings."""
    if experiment.planned_information > 0:
        return float(experiment.planned_information)
    size = base.people / max(base.clusters, 1)
    return sample_size(
        baseline=float(experiment.baseline_rate), mde=float(experiment.minimum_effect),
        alpha=float(experiment.alpha), power=float(experiment.power), arms=arms,
        cluster_size=max(size, 1.0), icc=float(experiment.icc) if team else 0.0,
        looks=max(experiment.days, 1)).planned_information


def _people_fraction(experiment: Experiment, people: int, arms: int) -> float:
    """People of both compared arms over the two arms' share of the planned people."""
    per_arm = experiment.planned_people * (1.0 - float(experiment.holdout_share)) / arms
    return people / (2.0 * per_arm) if per_arm > 0 else 0.0


def _srm(experiment: Experiment, intervals: list[Any], now: datetime,
         team: bool) -> dict[str, Any]:
    """The sample-ratio check on the units the wave reached, from a day after the launch
    (every variant's send hour has passed): before that, not checked."""
    started = experiment.launched_at is not None and now >= experiment.launched_at + \
        timedelta(days=1)
    if not started:
        return {"statistic": 0.0, "p_value": 1.0, "mismatch": False, "checked": False}
    reached = sent_units(experiment.pk, now)
    observed = [reached.get(b.variant.pk, (0, 0))[0 if team else 1] for b in intervals]
    srm = srm_check(observed=observed,
                    expected_shares=[max(b.high - b.low, 1e-9) for b in intervals])
    return dataclasses.asdict(srm) | {"checked": True, "observed": observed}


def experiment_analyse(experiment: Experiment, *, now: datetime,
                       earlier: list[list[float]] | None = None,
                       previous: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The analysis of the experiment's current sums (nothing written). A comparison that
    crossed its boundary at an earlier look (``previous``) stays crossed with that look's
    result: it is no longer tested; with 3+ arms the others go on."""
    variants = list(experiment.variants.all())
    sums = arm_sums(experiment.pk)
    empty = {name: ArmSums() for name in METRICS}
    control = next(v for v in variants if v.is_control)
    treatments = [v for v in variants if not v.is_holdout and not v.is_control]
    alpha = float(experiment.alpha) / max(len(treatments), 1)
    team = experiment.unit == Experiment.Unit.TEAM
    srm = _srm(experiment, buckets(experiment, variants), now, team)
    final_day = experiment.ends_at is not None and now >= experiment.ends_at
    base = sums.get(control.pk, empty)
    latched = {c["variant_id"]: c for c in previous or [] if c.get("crossed")}
    comparisons: list[dict[str, Any]] = []
    for index, treatment in enumerate(treatments):
        if treatment.pk in latched:
            comparisons.append(latched[treatment.pk] | {"latched": True})
            continue
        arm = sums.get(treatment.pk, empty)
        entry: dict[str, Any] = {"variant_id": treatment.pk, "name": treatment.name}
        if base["primary"].people and arm["primary"].people:
            planned = _planned_information(experiment, base["primary"], len(treatments) + 1,
                                           team)
            fraction = information_fraction(control=base["primary"], treatment=arm["primary"],
                                            planned=planned)
            fractions = [*((earlier or [])[index] if earlier and index < len(earlier)
                           else []), fraction]
            sequential = sequential_lift(control=base["primary"], treatment=arm["primary"],
                                         fractions=fractions, alpha=alpha, final=final_day)
            entry |= {"fixed": _lift_json(base["primary"], arm["primary"], alpha),
                      "sequential": dataclasses.asdict(sequential.lift),
                      "boundary": sequential.boundary, "crossed": sequential.crossed,
                      "final": sequential.final, "fraction": sequential.fraction,
                      "fractions": fractions,
                      "people_fraction": _people_fraction(
                          experiment, base["primary"].people + arm["primary"].people,
                          len(treatments) + 1),
                      "guardrails": {name: _lift_json(base[name], arm[name], alpha)
                                     for name in ("unsubscribes", "complaints")}}
        comparisons.append(entry)
    arms = [{"variant_id": v.pk, "name": v.name, "is_holdout": v.is_holdout,
             "is_control": v.is_control, **{f"{name}": dataclasses.asdict(
                 sums.get(v.pk, empty)[name]) for name in METRICS}} for v in variants]
    done = bool(comparisons) and all(c.get("crossed") or c.get("final") for c in comparisons)
    verdict = ("srm" if srm["mismatch"] else
               "evidence" if any(c.get("crossed") for c in comparisons) else
               "no_effect" if done else "not_yet")
    return finite({"arms": arms, "srm": srm, "comparisons": comparisons,
            "segments": _segments(experiment, control, treatments, alpha)
            if done and not srm["mismatch"] else [],
            "alpha": alpha, "verdict": verdict, "done": done or srm["mismatch"],
            "final_day": final_day, "mde": float(experiment.minimum_effect)})


def experiment_look_store(*, experiment_id: int,
                          now: datetime | None = None) -> ExperimentLook | None:
    """Compute and store today's look of a running experiment (again, if run twice the
    same day: the day's row is replaced), and conclude it or stop it on a mismatch."""
    now = now or timezone.now()
    with transaction.atomic():
        experiment = (Experiment.objects.select_for_update().filter(pk=experiment_id)
                      .first())
        if experiment is None or experiment.status != Experiment.Status.RUNNING:
            return None
        day = timezone.localdate(now)
        previous = experiment.looks.exclude(day=day).order_by("-day").first()
        earlier = ([list(c.get("fractions", [])) for c in
                    previous.analysis.get("comparisons", [])] if previous else None)
        analysis = experiment_analyse(
            experiment, now=now, earlier=earlier,
            previous=previous.analysis.get("comparisons", []) if previous else None)
        fractions = [c.get("fraction", 0.0) for c in analysis["comparisons"]]
        look, _created = ExperimentLook.objects.update_or_create(
            experiment=experiment, day=day,
            defaults={"computed_at": now, "analysis": analysis,
                      "information_fraction": min(fractions) if fractions else 0.0,
                      "sums": {str(a["variant_id"]): {k: a[k] for k in METRICS}
                               for a in analysis["arms"]},
                      "segments": {"rows": analysis["segments"]}})
        if analysis["done"]:
            experiment.status = (Experiment.Status.STOPPED if analysis["verdict"] == "srm"
                                 else Experiment.Status.CONCLUDED)
            experiment.concluded_at = now
            experiment.save(update_fields=["status", "concluded_at"])
    return look


def running_experiments_look() -> int:
    """Every running experiment of the current organisation gets today's look."""
    done = 0
    for experiment_id in Experiment.objects.filter(
            status=Experiment.Status.RUNNING).values_list("pk", flat=True):
        if experiment_look_store(experiment_id=experiment_id) is not None:
            done += 1
    return done
