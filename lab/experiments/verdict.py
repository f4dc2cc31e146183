"""A stored look read aloud: the verdict in plain words and the figures of each arm, in
the reader's language (numbers by ``core.formatting``). Nothing here computes a statistic:
it reads ``ExperimentLook.analysis``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.template.defaultfilters import floatformat
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.formatting import count, number, percent

from .models import Experiment

# Under this many people, the holdout's rate is stated but flagged too few to read.
HOLDOUT_READABLE = 30
# Under this many teams in an arm, a team experiment's intervals are unreliable.
FEW_TEAMS = 10


def holdout_name() -> str:
    """The holdout's name in the reader's language (never the stored creator's one)."""
    return _("Holdout (no message)")


def arm_name(arm: dict[str, Any]) -> str:
    return holdout_name() if arm.get("is_holdout") else str(arm.get("name", ""))


def points(value: float | None) -> str:
    """A difference of rates in percentage points, signed words left to the sentence; always
    one decimal, so that "+10,0" stands beside "+0,2" (not "+10")."""
    return floatformat(min(abs(value or 0), 1.0) * 100, "1g")


def signed_points(value: float | None) -> str:
    sign = "−" if (value or 0) < 0 else "+"
    return f"{sign}{points(value)}"


def _relative(value: float | None, low: float | None, high: float | None) -> str:
    """", that is +12 % relative (CI +3 % to +22 %)" from the delta-method interval."""
    if value is None or low is None or high is None:
        return ""
    return _(", that is %(value)s relative (CI %(low)s to %(high)s)") % {
        "value": signed_percent(value), "low": signed_percent(low),
        "high": signed_percent(high)}


def signed_percent(value: float) -> str:
    sign = "−" if value < 0 else "+"
    return sign + percent(abs(value))


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
    relative = sequential.get("relative")
    values |= {"relative": _relative(relative, sequential.get("relative_low"),
                                     sequential.get("relative_high"))}
    if comparison.get("crossed"):
        text = (_("%(variant)s raised %(metric)s by %(points)s points (%(level)s CI: %(low)s "
                  "to %(high)s)%(relative)s; enough evidence.") if sequential["absolute"] > 0
                else
                _("%(variant)s lowered %(metric)s by %(points)s points (%(level)s CI: %(low)s "
                  "to %(high)s)%(relative)s; enough evidence."))
    elif comparison.get("final"):
        mde = float(experiment.minimum_effect)
        if -mde <= sequential["absolute_low"] and sequential["absolute_high"] <= mde:
            text = _("%(variant)s: no difference large enough to matter was found "
                     "(%(level)s CI: %(low)s to %(high)s points, inside ±%(mde)s points).")
            values["mde"] = points(mde)
        else:
            text = _("%(variant)s: not enough evidence either way: the effect could be "
                     "anywhere from %(low)s to %(high)s points (%(level)s CI).")
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
            name=arm_name(arm), is_holdout=arm["is_holdout"], is_control=arm["is_control"],
            people=count(people), units=count(primary["clusters"]),
            rate=percent(primary["successes"] / people) if people else "—",
            unsubscribes=count(arm["unsubscribes"]["successes"]),
            complaints=count(arm["complaints"]["successes"])))
    return rows


def _empty(experiment: Experiment, analysis: dict[str, Any], day: date) -> str | None:
    """Before any outcome in any arm: no table of +0 rows, the day of the next reading."""
    compared = [a for a in analysis.get("arms", []) if not a["is_holdout"]]
    if any(a["primary"]["successes"] for a in compared):
        return None
    values = {"day": formats.date_format(day + timedelta(days=1), "DATE_FORMAT")}
    if experiment.metric == Experiment.Metric.ATTENDED:
        return _("Nobody has attended yet in any variant; first reading on %(day)s.") % values
    return _("No pledge yet in any variant; first reading on %(day)s.") % values


def holdout_sentence(experiment: Experiment, analysis: dict[str, Any]) -> str:
    """What happened without any message, flagged when too few people to read."""
    arm = next((a for a in analysis.get("arms", []) if a["is_holdout"]), None)
    if arm is None or not arm["primary"]["people"]:
        return ""
    people = arm["primary"]["people"]
    values = {"rate": percent(arm["primary"]["successes"] / people), "people": count(people)}
    few = people < HOLDOUT_READABLE
    if experiment.metric == Experiment.Metric.ATTENDED:
        text = (_("Without any message, %(rate)s attended (%(people)s people: too few to "
                  "read).") if few else
                _("Without any message, %(rate)s attended (%(people)s people)."))
    else:
        text = (_("Without any message, %(rate)s pledged (%(people)s people: too few to "
                  "read).") if few else
                _("Without any message, %(rate)s pledged (%(people)s people)."))
    return text % values


def teams_warning(experiment: Experiment, analysis: dict[str, Any]) -> str:
    """Whole teams randomised: too few teams in an arm make the intervals unreliable."""
    if experiment.unit != Experiment.Unit.TEAM:
        return ""
    teams = [a["primary"]["clusters"] for a in analysis.get("arms", []) if not a["is_holdout"]]
    if not teams or min(teams) >= FEW_TEAMS:
        return ""
    return _("Only %(teams)s teams in the smallest variant: with fewer than %(few)s teams "
             "per variant the intervals are unreliable.") % {
        "teams": count(min(teams)), "few": count(FEW_TEAMS)}


def progress(experiment: Experiment, analysis: dict[str, Any], day: date) -> str:
    """Where the experiment stands, in people AND information (never "100 % of the
    planned information" alone when a third of the people were reached)."""
    comparisons = [c for c in analysis.get("comparisons", []) if "fraction" in c]
    if not comparisons:
        return ""
    people = percent(min(min(c.get("people_fraction", 0.0) for c in comparisons), 1.0))
    information = percent(min(c["fraction"] for c in comparisons))
    values = {"people": people, "information": information,
              "day": formats.date_format(day, "DATE_FORMAT")}
    if analysis.get("final_day"):
        return _("Figures of %(day)s. Planned duration over; %(people)s of the planned "
                 "people reached, %(information)s of the planned information.") % values
    return _("Figures of %(day)s: %(people)s of the planned people reached, "
             "%(information)s of the planned information. The intervals allow for "
             "looking every day (sequential intervals).") % values


def segment_rows(analysis: dict[str, Any]) -> list[dict[str, Any]]:
    """Segments for the page: names, n per arm, the BH-consistent interval (selected
    segments only), rates' bounds within ±100 points."""
    names = {"team": _("Team"), "site": _("Site"), "age_band": _("Age band")}
    variants = {c["variant_id"]: c["name"] for c in analysis.get("comparisons", [])}
    return [{"dimension": names.get(row["dimension"], ""), "value": row["value"],
             "variant": variants.get(row["variant_id"], ""),
             "control_people": count(row["control_people"]),
             "treatment_people": count(row["treatment_people"]),
             "lift": signed_points(max(min(row["absolute"], 1.0), -1.0)),
             "low": signed_points(row["low"]) if row.get("low") is not None else "",
             "high": signed_points(row["high"]) if row.get("high") is not None else "",
             "significant": row.get("rejected")}
            for row in analysis.get("segments", [])]


def headline(experiment: Experiment, analysis: dict[str, Any],
             day: date | None = None) -> str:
    """The verdict: stopped on a mismatch, nothing yet, or one sentence per comparison;
    then the holdout and, for too few teams, the warning."""
    if analysis.get("verdict") == "srm":
        return _("Stopped: sample ratio mismatch. The variants did not receive the share of "
                 "people they were planned to (p < 0.001): something in the sending or the "
                 "recording went wrong, so the comparison cannot be trusted and no verdict "
                 "is given.")
    empty = _empty(experiment, analysis, day or timezone.localdate())
    sentences = [empty] if empty else [
        comparison_sentence(experiment, comparison, analysis.get("alpha", 0.05),
                            analysis.get("verdict", ""))
        for comparison in analysis.get("comparisons", [])]
    sentences += [holdout_sentence(experiment, analysis), teams_warning(experiment, analysis)]
    return " ".join(s for s in sentences if s)
