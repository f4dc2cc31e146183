"""A stored look read aloud: the verdict in plain words and the figures of each arm, in
the reader's language (numbers by ``core.formatting``). Nothing here computes a statistic:
it reads ``ExperimentLook.analysis``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.formatting import count, number, percent

from .models import Experiment


def points(value: float | None) -> str:
    """A difference of rates in percentage points, signed words left to the sentence; always
    one decimal, so that "+10,0" stands beside "+0,2" (not "+10")."""
    return floatformat(abs(value or 0) * 100, "1g")


def signed_points(value: float | None) -> str:
    sign = "−" if (value or 0) < 0 else "+"
    return f"{sign}{points(value)}"


def level(alpha: float) -> str:
    """The confidence level of an interval: "95 %", "97,5 %" (the percentage pattern of
    ``core.formatting.percent``, with a decimal when it needs one)."""
    return pgettext("percentage", "%(value)s%%") % {"value": number((1 - alpha) * 100, 1)}


def metric_words(experiment: Experiment) -> str:
    """The metric as the verdict's sentence names it ("les inscriptions" in French)."""
    if experiment.metric == Experiment.Metric.ATTENDED:
        return pgettext("experiment metric in a sentence", "attendance")
    return pgettext("experiment metric in a sentence", "sign-ups")


def comparison_sentence(experiment: Experiment, comparison: dict[str, Any],
                        alpha: float, verdict: str) -> str:
    """One treatment against the control, in a sentence an organiser reads aloud."""
    sequential = comparison.get("sequential")
    if not sequential:
        return _("%(variant)s: nobody measured in one of the arms yet.") % {
            "variant": comparison["name"]}
    values = {"variant": comparison["name"], "metric": metric_words(experiment),
              "points": points(sequential["absolute"]),
              "low": signed_points(sequential["absolute_low"]),
              "high": signed_points(sequential["absolute_high"]),
              "level": level(alpha)}
    if sequential["absolute_low"] is None or sequential["absolute_high"] is None:
        # No information yet (nobody has pledged in either arm since the launch).
        return _("%(variant)s: not enough evidence yet (no difference measured so far).") % {
            "variant": comparison["name"]}
    if comparison.get("crossed"):
        text = (_("%(variant)s raised %(metric)s by %(points)s points (%(level)s CI: %(low)s "
                  "to %(high)s); enough evidence.") if sequential["absolute"] > 0 else
                _("%(variant)s lowered %(metric)s by %(points)s points (%(level)s CI: %(low)s "
                  "to %(high)s); enough evidence."))
    elif comparison.get("final"):
        text = _("%(variant)s: no difference large enough to matter was found "
                 "(%(level)s CI: %(low)s to %(high)s points).")
    else:
        text = _("%(variant)s: not enough evidence yet (%(level)s CI so far: %(low)s to "
                 "%(high)s points).")
    return text % values


@dataclass(frozen=True)
class ArmRow:
    name: str
    is_holdout: bool
    is_control: bool
    people: str
    units: str
    rate: str
    unsubscribes: str
    complaints: str


def arm_rows(analysis: dict[str, Any]) -> list[ArmRow]:
    rows = []
    for arm in analysis.get("arms", []):
        primary = arm["primary"]
        people = primary["people"]
        rows.append(ArmRow(
            name=arm["name"], is_holdout=arm["is_holdout"], is_control=arm["is_control"],
            people=count(people), units=count(primary["clusters"]),
            rate=percent(primary["successes"] / people) if people else "—",
            unsubscribes=count(arm["unsubscribes"]["successes"]),
            complaints=count(arm["complaints"]["successes"])))
    return rows


def headline(experiment: Experiment, analysis: dict[str, Any]) -> str:
    """The verdict: stopped on a mismatch, or one sentence per comparison."""
    if analysis.get("verdict") == "srm":
        return _("Stopped: sample ratio mismatch. The variants did not receive the share of "
                 "people they were planned to (p < 0.001): something in the sending or the "
                 "recording went wrong, so the comparison cannot be trusted and no verdict "
                 "is given.")
    return " ".join(comparison_sentence(experiment, comparison, analysis.get("alpha", 0.05),
                                        analysis.get("verdict", ""))
                    for comparison in analysis.get("comparisons", []))
