"""The value of the hours given, in euros: the ``value`` part of ``reports.metrics``.

An hour given is valued at the rate of its skill when it was skills-based volunteering
("mécénat de compétences": the pledge's own skill, else its slot's), otherwise at the
organisation's hour value (``engagement.TimeValuation``, the French gross minimum wage
unless the organisation set another). Only the hours given count (attended pledges, the
``hours.attended`` figure), so the amount is the value of what people actually gave.

A skill's rate is the one of the day the hours were given: the pledge keeps it
(``Pledge.hour_rate``, taken when its attendance is recorded), so changing a skill's rate
later never rewrites past figures nor a statement already issued.

The same rule values each pledge of the pledges export (``pledge_value``), so that a
spreadsheet adding that column up finds the dashboard's amount.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Round

from engagement.models import DEFAULT_HOUR_VALUE, Campaign, Pledge, Team, TimeValuation

MONEY = DecimalField(max_digits=14, decimal_places=2)
ZERO = Value(Decimal(0), output_field=MONEY)
SKILLED = Q(skill__isnull=False) | Q(slot__skill__isnull=False)


def hour_value() -> Decimal:
    """The organisation's value of an hour given (its own, or the default)."""
    stored = TimeValuation.objects.filter(pk=1).values_list("hour_value", flat=True).first()
    return stored if stored is not None else DEFAULT_HOUR_VALUE


def _rate(default: Decimal) -> Case:
    # The rate kept on the pledge; the skill's current one only for a pledge given before
    # a rate could be kept (none after the migration that filled them).
    return Case(When(SKILLED, then=Coalesce(
        F("hour_rate"), F("skill__hourly_rate"), F("slot__skill__hourly_rate"),
        output_field=MONEY)), default=Value(default, output_field=MONEY), output_field=MONEY)


def value_sums(default: Decimal, hours: Any = None) -> dict:
    # Each pledge's value is rounded to the cent before the sum, as on its export row.
    # ``hours``: the hours valued, all the hours given unless told (the CSRD figures
    # value a person's own hours, ``reports.own_hours``).
    hours = F("hours_given") if hours is None else hours
    amount = Round(ExpressionWrapper(hours * _rate(default), output_field=MONEY),
                   2, output_field=MONEY)
    return {"amount": Coalesce(Sum(amount), ZERO),
            "skills_hours": Coalesce(Sum(hours, filter=SKILLED), ZERO),
            "skills_amount": Coalesce(Sum(amount, filter=SKILLED), ZERO)}


def pledges_given() -> QuerySet[Pledge]:
    # The pledges whose hours ``hours.attended`` adds up (reports.participants' sums).
    return Pledge.objects.filter(status=Pledge.Status.CONFIRMED,
                                 attendance=Pledge.Attendance.ATTENDED).order_by()


def _shape(row: dict[str, Any], default: Decimal) -> dict[str, Any]:
    return {"amount": round(float(row["amount"]), 2),
            "skills_based_hours": round(float(row["skills_hours"]), 2),
            "skills_based_amount": round(float(row["skills_amount"]), 2),
            "hour_value": float(default), "currency": "EUR"}


def value_totals(campaigns: QuerySet[Campaign], team: Team | None = None) -> dict:
    """The value of the hours given to ``campaigns`` (by ``team``'s members only, for a
    team), in one query."""
    default = hour_value()
    pledges = pledges_given().filter(slot__campaign__in=campaigns.values("pk"))
    if team is not None:
        pledges = pledges.filter(participant__team=team)
    return _shape(pledges.aggregate(**value_sums(default)), default)


def value_by_campaign(ids: list[int]) -> dict[int, dict]:
    """``value_totals`` of each campaign in ``ids``, in one query (campaigns where nobody
    gave time yet are all zeros)."""
    default = hour_value()
    rows = (pledges_given().filter(slot__campaign_id__in=ids).values("slot__campaign_id")
            .annotate(**value_sums(default)))
    empty = {"amount": 0, "skills_hours": 0, "skills_amount": 0}
    by_id: dict[int, dict[str, Any]] = {row["slot__campaign_id"]: dict(row) for row in rows}
    return {pk: _shape(by_id.get(pk, empty), default) for pk in ids}


def pledge_value(pledge: Pledge, default: Decimal) -> Decimal:
    """One pledge's value by the same rule (0 unless its hours count as given)."""
    if pledge.status != Pledge.Status.CONFIRMED or \
            pledge.attendance != Pledge.Attendance.ATTENDED:
        return Decimal(0)
    rate = pledge_rate(pledge, default)
    # PostgreSQL rounds halves away from zero; so does ROUND_HALF_UP for amounts >= 0.
    return (pledge.hours_given * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def pledge_rate(pledge: Pledge, default: Decimal) -> Decimal:
    """The hourly rate ``pledge``'s given hours are valued at: its skill's rate kept when
    they were given, else ``default`` (not skills-based)."""
    skill = pledge.skill or pledge.slot.skill
    if skill is None:
        return default
    return pledge.hour_rate if pledge.hour_rate is not None else skill.hourly_rate
