"""Teams' figures and standings: the teams page's leaderboard, a challenge's standings, a
participant's challenges, the teams API. One rule for all of them:

- a team's figures are its members' confirmed pledges (people who took part) and the
  hours given by their attended pledges, on the campaigns and days in scope;
- a challenge counts only campaigns taking place (open, target reached, completed): a
  draft or a campaign whose target was missed (``FAILED``, its actions do not happen)
  adds nobody. A pledge for a slot still to come within the challenge's days counts
  among the people (they are mobilised: that is what a people challenge races for);
  its hours count once it is checked in;
- a team with fewer than ``TEAM_MIN_PEOPLE`` people taking part is never shown by name
  next to its figures: such teams are added up into one line, "Other teams (fewer than
  5 people each)", so that a figure cannot point at one or two colleagues (the same
  threshold as the lever analysis' segments, reports.levers.MIN_GROUP).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import Campaign, Participant, Pledge, Team, TeamChallenge

TEAM_MIN_PEOPLE = 5


@dataclass(frozen=True)
class TeamStanding:
    rank: int
    team_id: int
    name: str
    people: int
    hours: Decimal
    # The challenge's measure (people or hours) and the share of the goal reached, 0-1.
    value: Decimal
    progress: float
    reached: bool


@dataclass(frozen=True)
class SmallTeams:
    """The teams under ``TEAM_MIN_PEOPLE`` people, added up; never named."""

    teams: int
    people: int
    hours: Decimal
    value: Decimal
    progress: float


@dataclass(frozen=True)
class Standings:
    rows: list[TeamStanding] = field(default_factory=list)
    small: SmallTeams | None = None
    goal: int | None = None
    measure: str = TeamChallenge.Measure.HOURS

    def for_team(self, team_id: int | None) -> TeamStanding | None:
        return next((row for row in self.rows if row.team_id == team_id), None)


def challenge_campaigns(challenge: TeamChallenge) -> QuerySet[Campaign]:
    """The campaigns a challenge covers: those chosen, else its programme's, else all."""
    chosen = challenge.campaigns.all()
    if challenge.pk and chosen.exists():
        return Campaign.objects.filter(pk__in=chosen.values("pk"))
    if challenge.programme_id is not None:
        return Campaign.objects.filter(programme_id=challenge.programme_id)
    return Campaign.objects.all()


TAKING_PLACE = (Campaign.Status.OPEN, Campaign.Status.SUCCEEDED, Campaign.Status.COMPLETED)


def challenge_campaigns_counted(challenge: TeamChallenge) -> QuerySet[Campaign]:
    """The campaigns that count for a challenge, as its page lists them: those it
    covers that take place and have a slot starting within its days."""
    return challenge_campaigns(challenge).filter(
        status__in=TAKING_PLACE,
        slots__starts_at__date__gte=challenge.starts_on,
        slots__starts_at__date__lte=challenge.ends_on).distinct()


def challenge_pledges(challenge: TeamChallenge) -> QuerySet[Pledge]:
    """The confirmed pledges that count toward a challenge: to a campaign it covers that
    takes place, for a slot that starts within its days (in the organisation's time
    zone, the active one)."""
    return Pledge.objects.filter(
        status=Pledge.Status.CONFIRMED,
        slot__campaign__status__in=TAKING_PLACE,
        slot__campaign__in=challenge_campaigns(challenge).values("pk"),
        slot__starts_at__date__gte=challenge.starts_on,
        slot__starts_at__date__lte=challenge.ends_on)


def _standings(pledges: QuerySet[Pledge], *, measure: str, goal: int | None) -> Standings:
    by_people = measure == TeamChallenge.Measure.PEOPLE

    def value_of(people: int, hours: Decimal) -> Decimal:
        return Decimal(people) if by_people else hours

    def progress_of(value: Decimal) -> float:
        return min(float(value) / goal, 1.0) if goal else 0.0

    # (measure, people, hours, name, team id) of each team.
    shown: list[tuple[Decimal, int, Decimal, str, int]] = []
    small: list[tuple[Decimal, int, Decimal, str, int]] = []
    rows_by_team = (pledges.filter(participant__team__isnull=False).order_by()
                    .values("participant__team_id", "participant__team__name")
                    .annotate(people=Count("participant", distinct=True),
                              hours=Coalesce(Sum("hours_given", filter=Q(
                                  attendance=Pledge.Attendance.ATTENDED)),
                                  Value(0), output_field=DecimalField())))
    for row in rows_by_team:
        people, hours = int(row["people"]), Decimal(row["hours"])
        entry = (value_of(people, hours), people, hours, str(row["participant__team__name"]),
                 int(row["participant__team_id"]))
        (shown if people >= TEAM_MIN_PEOPLE else small).append(entry)
    # Ties on the measure go to the other figure, then to the name.
    shown.sort(key=lambda e: (-e[0], -(e[2] if by_people else e[1]), e[3].casefold()))
    rows = [TeamStanding(rank=index, team_id=team_id, name=name, people=people, hours=hours,
                         value=value, progress=progress_of(value),
                         reached=bool(goal) and value >= (goal or 0))
            for index, (value, people, hours, name, team_id) in enumerate(shown, start=1)]
    grouped = None
    if small:
        people = sum(e[1] for e in small)
        hours = sum((e[2] for e in small), Decimal(0))
        # The group's progress is that of an average team of it: the goal is per team.
        value = value_of(people, hours)
        grouped = SmallTeams(teams=len(small), people=people, hours=hours, value=value,
                             progress=progress_of(value / len(small)))
    return Standings(rows=rows, small=grouped, goal=goal, measure=measure)


def challenge_standings(challenge: TeamChallenge) -> Standings:
    """Teams ranked by the challenge's measure, with their progress toward its goal."""
    return _standings(challenge_pledges(challenge), measure=challenge.measure,
                      goal=challenge.goal)


def team_leaderboard() -> Standings:
    """Teams by hours given (attended pledges), then by people who took part, over every
    campaign."""
    return _standings(Pledge.objects.filter(status=Pledge.Status.CONFIRMED),
                      measure=TeamChallenge.Measure.HOURS, goal=None)


def challenges_current(today: date | None = None) -> QuerySet[TeamChallenge]:
    """Challenges not closed whose last day has not passed, the soonest ending first."""
    today = today or timezone.localdate()
    return (TeamChallenge.objects.filter(closed_at__isnull=True, ends_on__gte=today)
            .select_related("programme").order_by("ends_on", "name", "id"))


def participant_challenges(participant: Participant) -> list[tuple[TeamChallenge, Standings]]:
    """The current challenges a participant's team takes part in (it has someone in its
    standings, shown or among the small teams), with their standings."""
    if participant.team_id is None:
        return []
    result = []
    for challenge in challenges_current().filter(starts_on__lte=timezone.localdate()):
        pledges = challenge_pledges(challenge)
        if pledges.filter(participant__team_id=participant.team_id).exists():
            result.append((challenge, challenge_standings(challenge)))
    return result


def teams_with_figures() -> QuerySet[Team]:
    """Teams with ``people`` (members with a confirmed pledge) and ``hours`` (given by
    their attended pledges), over every campaign, for the teams API; figures of a team
    under ``TEAM_MIN_PEOPLE`` people are withheld by the API."""
    return Team.objects.annotate(
        people=Count("participants", filter=Q(
            participants__pledges__status=Pledge.Status.CONFIRMED), distinct=True),
        hours=Coalesce(Sum("participants__pledges__hours_given", filter=Q(
            participants__pledges__status=Pledge.Status.CONFIRMED,
            participants__pledges__attendance=Pledge.Attendance.ATTENDED)),
            Value(0), output_field=DecimalField()),
    ).order_by("name", "id")
