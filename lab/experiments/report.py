"""The lab's section of the PDF impact report (``reports.sections``): the covered
campaigns' concluded experiments and the running ones (marked as such), each with its
hypothesis, its variants and their rates, each variant's lift against the control with
its sequential interval, and the verdict sentence, all in the report's language from the
latest stored look. No section when the report's campaigns have none."""

from __future__ import annotations

from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

from core.formatting import count, percent
from reports.sections import ReportSection, SectionScope

from .models import Experiment, ExperimentLook
from .verdict import arm_name, headline, signed_points

SHOWN = (Experiment.Status.CONCLUDED, Experiment.Status.RUNNING)


def _rows(analysis: dict[str, Any]) -> list[dict[str, str]]:
    """One row per arm: people, rate and, for a variant, its lift with its interval."""
    lifts = {c["variant_id"]: c.get("sequential") for c in analysis.get("comparisons", [])}
    rows = []
    for arm in analysis.get("arms", []):
        primary = arm["primary"]
        people = primary["people"]
        lift = lifts.get(arm["variant_id"]) or {}
        bounded = lift.get("absolute_low") is not None and lift.get("absolute_high") is not None
        rows.append({
            "name": arm_name(arm), "is_control": arm["is_control"],
            "is_holdout": arm["is_holdout"], "people": count(people),
            "rate": percent(primary["successes"] / people) if people else "—",
            "lift": signed_points(lift["absolute"]) if lift else "",
            "low": signed_points(lift["absolute_low"]) if bounded else "",
            "high": signed_points(lift["absolute_high"]) if bounded else ""})
    return rows


def experiments_section(scope: SectionScope) -> dict[str, Any] | None:
    campaigns = [campaign.pk for campaign in scope.campaigns]
    experiments = list(Experiment.objects.filter(campaign_id__in=campaigns, status__in=SHOWN)
                       .select_related("campaign").prefetch_related("variants")
                       .order_by("launched_at", "pk"))
    # The latest look of each, in one query (not every day's stored analysis).
    latest = {look.experiment_id: look for look in ExperimentLook.objects.filter(
        experiment__in=experiments).order_by("experiment_id", "-day").distinct("experiment_id")}
    entries = []
    for experiment in experiments:
        look = latest.get(experiment.pk)
        analysis = look.analysis if look else {}
        entries.append({
            "experiment": experiment,
            "running": experiment.status == Experiment.Status.RUNNING,
            "day": formats.date_format(look.day, "DATE_FORMAT") if look else "",
            "metric": experiment.get_metric_display(),
            "variants": [arm_name({"is_holdout": v.is_holdout, "name": v.name})
                         for v in experiment.variants.all()],
            "rows": _rows(analysis),
            "verdict": headline(experiment, analysis, look.day) if look else ""})
    return {"experiments": entries} if entries else None


SECTION = ReportSection(
    key="experiments", order=100, template="lab/report/experiments.html",
    title=lambda: _("Lever experiments"), context=experiments_section)
