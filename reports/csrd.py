"""Volunteering figures of the organisation's own workforce, shaped for CSRD reporting
(ESRS S1, own workforce): for a period, the employees who took part, their share of the
workforce, the hours they gave and their value, for the whole organisation and by site
and team where a group has at least ``MIN_GROUP`` people. docs/csrd.md maps them to the
ESRS data points.

"Employees" are the people of the organisation's own workforce who attended an action of
an *internal* campaign: those whose address is at one of its verified e-mail domains
(``Organisation.allowed_email_domains``, the domains that may join internal campaigns),
or who came from a list it imported (``Participant.Source.IMPORT``, its HR lists). Anyone
else (a known participant from outside invited to an internal action, a public campaign's
citizen) is not its workforce. Their hours are their own, without their companions'
(``reports.own_hours``). The period covers the campaigns that start in it, like the
period dashboard. Hours and values
are the ones of ``reports.value`` (attended pledges, each valued at its skill's rate or
the hour value), so that the figures add up the same way everywhere.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from core.tenancy import current_organisation
from engagement.models import DEFAULT_HOUR_VALUE, Campaign, Participant, Pledge, TimeValuation
from tenants.models import Organisation

from .analytic import ratio
from .own_hours import own_hours
from .value import ZERO, pledges_given, value_sums


def csrd_applies() -> bool:
    """The CSRD figures (a company's own workforce) and the statement of skills-based
    volunteering (mécénat de compétences, a company's) are a company's only: a local
    authority's or an association's participants are citizens and volunteers, not a
    workforce lent to a cause (docs/decisions.md). Pages, CSV and API all ask here."""
    return getattr(current_organisation(), "kind", None) == Organisation.Kind.COMPANY


# Groups under this many people are not shown (a site of three people would name them),
# nor what a subtraction from the total would reveal of fewer people (``_shown``).
MIN_GROUP = 5
DIMENSIONS = ("site", "team")


def own_workforce() -> Q:
    """The participants of the organisation's own workforce (module docstring), on
    pledges: an address at one of its verified domains, or an imported list's."""
    workforce = Q(participant__source=Participant.Source.IMPORT)
    for domain in current_organisation().allowed_email_domains:
        workforce |= Q(participant__email__iendswith=f"@{domain.strip().lower()}")
    return workforce


def _pledges(start: date, end: date) -> QuerySet[Pledge]:
    return pledges_given().filter(
        own_workforce(),
        slot__campaign__visibility=Campaign.Visibility.INTERNAL,
        slot__campaign__starts_at__date__gte=start,
        slot__campaign__starts_at__date__lte=end)


def _shown(rows: list[dict[str, Any]], people: int) -> list[dict[str, Any]]:
    """The groups of one breakdown that may be shown. A person is in one group at most,
    so the total minus the groups shown gives the people left out (smaller groups and
    people in none) away: when they are 1 to ``MIN_GROUP - 1`` people, the smallest group
    shown is left out too (complementary suppression), which leaves ``MIN_GROUP`` or more
    to the subtraction."""
    shown = sorted((row for row in rows if row["people"] >= MIN_GROUP),
                   key=lambda row: (row["people"], row["name"]))
    while shown and 0 < people - sum(row["people"] for row in shown) < MIN_GROUP:
        shown.pop(0)
    return sorted(shown, key=lambda row: row["name"])


def _figures(row: dict, workforce: int | None) -> dict:
    people, hours = row["people"], float(row["hours"])
    return {"employees": people,
            "share_of_workforce": ratio(people, workforce) if workforce else None,
            "hours": round(hours, 2),
            "hours_per_employee": round(hours / people, 2) if people else 0.0,
            "amount": round(float(row["amount"]), 2),
            "skills_based_hours": round(float(row["skills_hours"]), 2),
            "skills_based_amount": round(float(row["skills_amount"]), 2)}


def csrd_figures(start: date, end: date) -> dict:
    """The period's own-workforce volunteering figures::

        {"period": {"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"},
         "workforce_size": int | None, "hour_value": float, "currency": "EUR",
         "total": {"employees", "share_of_workforce" (None without a workforce size),
                   "hours", "hours_per_employee", "amount", "skills_based_hours",
                   "skills_based_amount"},
         "groups": [{"dimension": "site" | "team", "name": str, **the same figures}],
         "hidden_groups": int}   # groups left out: under MIN_GROUP people, or one a
                                 # subtraction from the total would give away (``_shown``)

    Four queries whatever the number of pledges."""
    valuation = TimeValuation.objects.filter(pk=1).first()
    workforce = valuation.workforce_size if valuation else None
    default = valuation.hour_value if valuation else DEFAULT_HOUR_VALUE
    # A person's own hours: their companions are not employees (``reports.own_hours``).
    sums = {**value_sums(default, own_hours()), "people": Count("participant", distinct=True),
            "hours": Coalesce(Sum(own_hours()), ZERO)}
    pledges = _pledges(start, end)
    total_row = pledges.aggregate(**sums)
    total = _figures(total_row, workforce)
    groups, hidden = [], 0
    paths = {"site": "participant__site", "team": "participant__team__name"}
    for dimension in DIMENSIONS:
        rows = [dict(values) for values in (
            pledges.exclude(**{f"{paths[dimension]}__isnull": True})
            .exclude(**{paths[dimension]: ""})
            .values(name=F(paths[dimension])).annotate(**sums).order_by("name"))]
        shown = _shown(rows, total_row["people"])
        hidden += len(rows) - len(shown)
        groups += [{"dimension": dimension, "name": row["name"], **_figures(row, workforce)}
                   for row in shown]
    return {"period": {"start": start.isoformat(), "end": end.isoformat()},
            "workforce_size": workforce, "hour_value": float(default), "currency": "EUR",
            "total": total, "groups": groups, "hidden_groups": hidden}


def default_year(today: date) -> tuple[date, date]:
    """The reporting period a CSRD page opens on: the current calendar year."""
    return date(today.year, 1, 1), date(today.year, 12, 31)

