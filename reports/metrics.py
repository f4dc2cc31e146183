"""Mobilisation metrics of a campaign, a programme, a period or a team, computed in SQL.

Every public function returns the same plain dict (the dashboard, the API and the PDF
reports render it), so the shape below is a contract; add keys, never rename them::

    {
      "scope": {"kind": "campaign" | "programme" | "period" | "team",
                "id": int | None, "name": str,
                "start": "YYYY-MM-DD" | None, "end": "YYYY-MM-DD" | None},
      "participants": {"mobilised": int,      # distinct people with a confirmed pledge
                       "new": int,            # ... whose first confirmed pledge is in scope
                       "returning": int,      # ... who had one in an earlier campaign
                       "with_companions": int},  # mobilised + companions
      "hours": {"pledged": float,             # slot length x seats, confirmed pledges
                "attended": float},           # hours given by attended pledges
      "value": {"amount": float,              # euros: the hours given, valued
                "skills_based_hours": float,  # ... of them skills-based volunteering
                "skills_based_amount": float,
                "hour_value": float,          # the organisation's value of an hour
                "currency": "EUR"},
      "attendance": {"confirmed": int,        # confirmed pledges of actions that are over
                     "attended": int, "no_show": int,
                     "attendance_rate": float, "no_show_rate": float},
      "campaigns": {"total": int, "decided": int, "succeeded": int, "success_rate": float},
      "impact": [{"code": str, "unit": str, "label_fr": str, "label_en": str, "sdg": int,
                  "total": float}],
      "invitations": {"sent": int, "pledged": int, "conversion": float,
                      "sent_by_participants": int, "pledged_by_participants": int,
                      "per_participant": float, "participant_conversion": float},
      "snowball": {"generations": int,        # referral hops (roots are generation 0)
                   "largest_tree": int,       # people in the largest referral tree
                   "viral_coefficient": float,  # per_participant x participant_conversion
                   "brought_pledged": int,    # people brought by a participant (the
                                              # invitation of their first pledge in scope)
                   "brought_attended": int},  # ... of whom attended
    }

Rates are fractions (0.0-1.0, 4 decimals), hours have 2 decimals; a rate whose
denominator is zero is 0.0, so an empty scope is all zeros. Each call runs a fixed number
of queries whatever the number of pledges (a test guards it).

This module assembles the parts. For a programme and for campaigns, ``participants``,
``hours``, ``attendance``, ``snowball`` and ``value`` are read from the tallies the
triggers keep (``reports.tallies``: a few rows per slot and per person, whatever the
number of pledges), and so is ``invitations`` (each campaign's funnel, kept in its
``CampaignTally``); for a period or a team, whose scopes are not tallied, they are
computed from the pledges (``reports.participants``, ``reports.value``) and the funnel
from engagement's one funnel selector (``engagement.selectors.funnel_counts``), and so
they are by ``programme_metrics_recounted`` and ``campaigns_metrics_recounted``, the
oracle a test compares the tallied figures with. ``impact`` comes from
``reports.impact``; ``campaigns`` is counted here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from engagement.models import Campaign, Invitation, Pledge, Programme, Team
from engagement.selectors import funnel_counts

from .analytic import ratio
from .impact import impact_by_campaign, impact_totals
from .participants import people_and_snowball, people_and_snowball_by_campaign
from .tallies import campaigns_people_and_value, programme_people_and_value
from .value import hour_value, value_by_campaign, value_totals

DECIDED = (Campaign.Status.SUCCEEDED, Campaign.Status.COMPLETED, Campaign.Status.FAILED)
SUCCESSFUL = (Campaign.Status.SUCCEEDED, Campaign.Status.COMPLETED)


@dataclass(frozen=True)
class _Scope:
    """What a metrics call covers: a set of campaigns, and optionally only one team's
    people (pledges by its members, invitations sent by its members)."""

    kind: str
    campaigns: QuerySet[Campaign]
    id: int | None = None
    name: str = ""
    start: date | None = None
    end: date | None = None
    team: Team | None = None
    # Impact records are measured per campaign: they cannot be split between teams.
    with_impact: bool = True
    programmes: QuerySet[Programme] | None = None


def campaign_metrics(campaign: Campaign) -> dict:
    """Figures of one campaign ("returning" people had pledged for an earlier one)."""
    return campaigns_metrics([campaign.pk])[campaign.pk]


def campaigns_metrics(ids: list[int]) -> dict[int, dict]:
    """``campaign_metrics`` of several campaigns at once (a report's campaign pages), in a
    fixed number of queries over the tallies. Keyed by campaign id; ids of campaigns that
    do not exist are left out."""
    return _campaigns_metrics(ids, recounted=False)


def campaigns_metrics_recounted(ids: list[int]) -> dict[int, dict]:
    """``campaigns_metrics`` computed from every pledge instead of the tallies: the
    oracle the tallies are tested against (and the way figures were computed before)."""
    return _campaigns_metrics(ids, recounted=True)


def _campaigns_metrics(ids: list[int], *, recounted: bool) -> dict[int, dict]:
    campaigns = list(Campaign.objects.filter(pk__in=ids).order_by("pk"))
    if not campaigns:
        return {}
    ids = [campaign.pk for campaign in campaigns]
    empty_invitations = {"sent": 0, "pledged": 0, "sent_by_participants": 0,
                         "pledged_by_participants": 0}
    if recounted:
        people, value = people_and_snowball_by_campaign(ids), value_by_campaign(ids)
        invitations = {row.pop("campaign_id"): row for row in funnel_counts(
            Invitation.objects.filter(campaign_id__in=ids), by=("campaign_id",))}
    else:
        default = hour_value()
        people = campaigns_people_and_value(ids, default)
        value = {pk: _value(row, default) for pk, row in people.items()}
        invitations = {pk: row.pop("invitations") for pk, row in people.items()}
    impact = impact_by_campaign(campaigns)
    result = {}
    for campaign in campaigns:
        decided = campaign.status in DECIDED
        succeeded = campaign.status in SUCCESSFUL
        result[campaign.pk] = _assemble(
            _Scope(kind="campaign", id=campaign.pk, name=campaign.title,
                   campaigns=Campaign.objects.none()),
            people=people[campaign.pk],
            invitations=invitations.get(campaign.pk, empty_invitations),
            campaigns={"total": 1, "decided": int(decided), "succeeded": int(succeeded),
                       "success_rate": ratio(int(succeeded), int(decided))},
            impact=impact[campaign.pk], value=value[campaign.pk])
    return result


def programme_metrics(programme: Programme) -> dict:
    """Figures of all campaigns of a programme, read from the tallies."""
    scope = _programme_scope(programme)
    default = hour_value()
    people = programme_people_and_value(programme, default)
    return _assemble(scope, people=people, invitations=people.pop("invitations"),
                     campaigns=_campaigns(scope),
                     impact=impact_totals(scope.campaigns, scope.programmes),
                     value=_value(people, default))


def programme_metrics_recounted(programme: Programme) -> dict:
    """``programme_metrics`` computed from every pledge instead of the tallies: the oracle
    the tallies are tested against (and the way figures were computed before)."""
    return _metrics(_programme_scope(programme))


def _programme_scope(programme: Programme) -> _Scope:
    return _Scope(kind="programme", id=programme.pk, name=programme.name,
                  start=programme.starts_on, end=programme.ends_on,
                  campaigns=Campaign.objects.filter(programme=programme),
                  programmes=Programme.objects.filter(pk=programme.pk))


def _value(sums: dict, default: Decimal) -> dict:
    """The ``value`` part from the tallies' sums (``reports.value``'s shape)."""
    return {"amount": round(float(sums["amount"]), 2),
            "skills_based_hours": round(float(sums["skills_hours"]), 2),
            "skills_based_amount": round(float(sums["skills_amount"]), 2),
            "hour_value": float(default), "currency": "EUR"}


def period_metrics(start: date, end: date) -> dict:
    """Figures of the campaigns starting between ``start`` and ``end`` (both included, in
    the current time zone), e.g. a calendar year for the annual CSR report."""
    campaigns = Campaign.objects.filter(starts_at__date__gte=start, starts_at__date__lte=end)
    return _metrics(_Scope(kind="period", name=f"{start.isoformat()} – {end.isoformat()}",
                           start=start, end=end, campaigns=campaigns,
                           programmes=Programme.objects.filter(
                               campaigns__in=campaigns.values("pk")).distinct()))


def default_period(today: date | None = None) -> tuple[date, date]:
    """The period dashboards and period reports cover unless told otherwise: the last
    twelve months, through the start of the latest campaign planned (next January's
    campaign is then in view in December, which a calendar year would hide)."""
    today = today or timezone.localdate()
    try:
        start = today.replace(year=today.year - 1) + timedelta(days=1)
    except ValueError:  # 29 February
        start = today.replace(year=today.year - 1, day=28) + timedelta(days=1)
    latest = (Campaign.objects.exclude(status=Campaign.Status.DRAFT)
              .aggregate(latest=Max("starts_at"))["latest"])
    end = max(today, timezone.localtime(latest).date()) if latest else today
    return start, end


def team_metrics(team: Team) -> dict:
    """What a team's members gave, over every campaign. ``impact`` is empty: impact is
    measured per campaign and cannot be attributed to one team."""
    campaigns = Campaign.objects.filter(
        slots__pledges__participant__team=team,
        slots__pledges__status=Pledge.Status.CONFIRMED).distinct()
    return _metrics(_Scope(kind="team", id=team.pk, name=team.name, campaigns=campaigns,
                           team=team, with_impact=False))


def _metrics(scope: _Scope) -> dict:
    return _assemble(scope, people=people_and_snowball(scope.campaigns, scope.team),
                     invitations=_invitations(scope), campaigns=_campaigns(scope),
                     impact=impact_totals(scope.campaigns, scope.programmes)
                     if scope.with_impact else [],
                     value=value_totals(scope.campaigns, scope.team))


def _assemble(scope: _Scope, *, people: dict, invitations: dict, campaigns: dict,
              impact: list[dict], value: dict) -> dict:
    per_participant = ratio(invitations["sent_by_participants"], people["mobilised"])
    participant_conversion = ratio(invitations["pledged_by_participants"],
                                   invitations["sent_by_participants"])
    return {
        "scope": {"kind": scope.kind, "id": scope.id, "name": scope.name,
                  "start": scope.start.isoformat() if scope.start else None,
                  "end": scope.end.isoformat() if scope.end else None},
        "participants": {"mobilised": people["mobilised"],
                         "new": people["mobilised"] - people["returning"],
                         "returning": people["returning"],
                         "with_companions": people["mobilised"] + people["companions"]},
        "hours": {"pledged": round(float(people["pledged_hours"]), 2),
                  "attended": round(float(people["attended_hours"]), 2)},
        "value": value,
        "attendance": {"confirmed": people["past_confirmed"],
                       "attended": people["past_attended"],
                       "no_show": people["past_no_show"],
                       "attendance_rate": ratio(people["past_attended"],
                                                people["past_confirmed"]),
                       "no_show_rate": ratio(people["past_no_show"],
                                             people["past_confirmed"])},
        "campaigns": campaigns,
        "impact": impact,
        "invitations": {
            "sent": invitations["sent"], "pledged": invitations["pledged"],
            "conversion": ratio(invitations["pledged"], invitations["sent"]),
            "sent_by_participants": invitations["sent_by_participants"],
            "pledged_by_participants": invitations["pledged_by_participants"],
            "per_participant": per_participant,
            "participant_conversion": participant_conversion,
        },
        "snowball": {"generations": people["generations"],
                     "largest_tree": people["largest_tree"],
                     # K = invitations per participant x their conversion, which is
                     # pledges through participants' invitations per participant
                     # (computed so, it is not skewed by the rounding of its factors).
                     "viral_coefficient": ratio(invitations["pledged_by_participants"],
                                                people["mobilised"]),
                     "brought_pledged": people["brought_pledged"],
                     "brought_attended": people["brought_attended"]},
    }


def _campaigns(scope: _Scope) -> dict:
    figures = scope.campaigns.order_by().aggregate(
        total=Count("pk"),
        decided=Count("pk", filter=Q(status__in=DECIDED)),
        succeeded=Count("pk", filter=Q(status__in=SUCCESSFUL)))
    return {**figures, "success_rate": ratio(figures["succeeded"], figures["decided"])}


def _invitations(scope: _Scope) -> dict:
    """The funnel of the invitations to the scope's campaigns (for a team: those its
    members sent), counted by engagement's one selector."""
    invitations = Invitation.objects.filter(campaign__in=scope.campaigns.values("pk"))
    if scope.team is not None:
        invitations = invitations.filter(inviter__team=scope.team)
    return funnel_counts(invitations, by=())[0]
