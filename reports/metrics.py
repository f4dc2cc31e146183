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
                   "viral_coefficient": float},  # per_participant x participant_conversion
    }

Rates are fractions (0.0-1.0, 4 decimals), hours have 2 decimals; a rate whose
denominator is zero is 0.0, so an empty scope is all zeros. Each call runs a fixed number
of queries whatever the number of pledges (a test guards it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Count, Max, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from engagement.models import (
    Campaign,
    ImpactRecord,
    Invitation,
    Participant,
    Pledge,
    Programme,
    ProgrammeIndicator,
    Slot,
    Team,
)
from engagement.selectors import INVITATION_SENT

DECIDED = (Campaign.Status.SUCCEEDED, Campaign.Status.COMPLETED, Campaign.Status.FAILED)
SUCCESSFUL = (Campaign.Status.SUCCEEDED, Campaign.Status.COMPLETED)
# The columns of the people-and-snowball queries, in order.
PEOPLE_KEYS = ("mobilised", "returning", "companions", "pledged_hours", "attended_hours",
               "past_confirmed", "past_attended", "past_no_show", "generations",
               "largest_tree")
# An indicator's fields, the same whatever programme of the scope declares its code.
_INDICATOR_FIELDS = {"label_fr": Min("label_fr"), "label_en": Min("label_en"),
                     "sdg": Min("sdg"), "position": Min("position")}
# Invitations sent: the one rule of engagement.selectors, in the ORM and in raw SQL.
SENT = INVITATION_SENT
SENT_SQL = f"""(i.organiser_id IS NOT NULL OR i.invitee_email <> ''
            OR i.first_opened_at IS NOT NULL
            OR EXISTS (SELECT 1 FROM {Pledge._meta.db_table} sent_pl
                       WHERE sent_pl.invitation_id = i.id))"""  # noqa: S608 - a table name only
# A confirmed pledge counts toward attendance once its slot is over, or as soon as an
# organiser recorded its attendance (people checked in during an action that is still
# running count at once; "2 of 3 attended" must never read as "0 %"). The action of a
# campaign that missed its target did not take place: its pledges count only if an
# organiser recorded attendance all the same.
COUNTED = "((s.ends_at < c.now_at AND NOT c.failed) OR pl.attendance <> 'pending')"
# Memory for the per-person aggregates of one metrics query (a constant, never input).
WORK_MEM = "64MB"
# ... and for the per-person-and-campaign aggregates of all of a report's campaigns.
WORK_MEM_MANY = "256MB"


@contextmanager
def analytic_cursor(work_mem: str = WORK_MEM) -> Iterator[CursorWrapper]:
    """A cursor in a transaction set for one big aggregate: ``work_mem`` lets the
    per-person aggregates of a big organisation stay in memory instead of spilling to
    disk, and JIT is off (compiling such a plan took PostgreSQL 1–2 s, more than it
    saved). Both for this transaction only; ``work_mem`` is one of this module's
    constants, never input."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('work_mem'), current_setting('jit')")
        previous = cursor.fetchone()
        cursor.execute(f"SET LOCAL work_mem = '{work_mem}'")
        cursor.execute("SET LOCAL jit = off")
        yield cursor
        # Inside an enclosing transaction a released savepoint keeps SET LOCAL until that
        # transaction ends: put the settings back. (On an error the savepoint's rollback
        # undoes them.)
        cursor.execute("SELECT set_config('work_mem', %s, true), set_config('jit', %s, true)",
                       previous)


def ratio(numerator: float | Decimal, denominator: float | Decimal, *, digits: int = 4
          ) -> float:
    """``numerator / denominator``, 0.0 when there is nothing to divide by."""
    return round(float(numerator) / float(denominator), digits) if denominator else 0.0


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
    return _metrics(_Scope(kind="campaign", id=campaign.pk, name=campaign.title,
                           campaigns=Campaign.objects.filter(pk=campaign.pk),
                           programmes=Programme.objects.filter(pk=campaign.programme_id)))


def campaigns_metrics(ids: list[int]) -> dict[int, dict]:
    """``campaign_metrics`` of several campaigns at once (a report's campaign pages), in a
    fixed number of queries: each pledge is read once for all of them instead of once
    per campaign. Keyed by campaign id; ids of campaigns that do not exist are left out."""
    campaigns = list(Campaign.objects.filter(pk__in=ids).order_by("pk"))
    if not campaigns:
        return {}
    ids = [campaign.pk for campaign in campaigns]
    people = _people_and_snowball_by_campaign(ids)
    invitations = _invitations_by_campaign(ids)
    impact = _impact_by_campaign(campaigns)
    empty_invitations = {"sent": 0, "pledged": 0, "sent_by_participants": 0,
                         "pledged_by_participants": 0}
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
            impact=impact[campaign.pk])
    return result


def programme_metrics(programme: Programme) -> dict:
    """Figures of all campaigns of a programme."""
    return _metrics(_Scope(kind="programme", id=programme.pk, name=programme.name,
                           start=programme.starts_on, end=programme.ends_on,
                           campaigns=Campaign.objects.filter(programme=programme),
                           programmes=Programme.objects.filter(pk=programme.pk)))


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
    return _assemble(scope, people=_people_and_snowball(scope),
                     invitations=_invitations(scope), campaigns=_campaigns(scope),
                     impact=_impact(scope) if scope.with_impact else [])


def _assemble(scope: _Scope, *, people: dict, invitations: dict, campaigns: dict,
              impact: list[dict]) -> dict:
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
                                                people["mobilised"])},
    }


def _subquery(queryset: QuerySet) -> tuple[str, tuple]:
    """A queryset's SQL and parameters, to embed as ``IN (...)`` in raw SQL."""
    return queryset.order_by().query.sql_with_params()


def _people_and_snowball(scope: _Scope) -> dict:
    """One query over the confirmed pledges in scope: people, hours, attendance of past
    actions, and the referral forest among the people mobilised.

    Raw SQL because the figures need per-person steps (first campaign, largest party per
    campaign) and a recursive walk of ``referred_by``, which the ORM cannot express.
    The forest is the one induced on the people mobilised in scope: someone brought by a
    person outside the scope roots a tree of their own. Roots are generation 0, so
    ``generations`` counts referral hops and a lone participant makes a tree of size 1.

    Written for a million pledges: the pledges are read in two passes (one per person,
    one for the sums), only the pledges with companions are grouped per party, "returning"
    only looks at campaigns outside the scope (a person's first campaign in scope is the
    earliest of theirs inside it), and the recursive walk starts from the referral links
    inside the scope instead of from every person.
    """
    campaigns_sql, campaigns_params = _subquery(scope.campaigns.values("pk"))
    team_sql, team_params = ((f"JOIN {Participant._meta.db_table} p ON p.id = pl.participant_id"
                              " AND p.team_id = %s"), (scope.team.pk,)) \
        if scope.team else ("", ())
    pledge, slot = Pledge._meta.db_table, Slot._meta.db_table
    campaign, participant = Campaign._meta.db_table, Participant._meta.db_table
    in_scope = f"""{pledge} pl
        JOIN {slot} s ON s.id = pl.slot_id
        JOIN scope_campaigns c ON c.id = s.campaign_id
        {team_sql}"""
    # Only table names and the ORM's own subquery SQL are interpolated; every value is a
    # parameter.
    sql = f"""
    WITH RECURSIVE scope_campaigns AS MATERIALIZED (
        SELECT id, starts_at, %s::timestamptz AS now_at, status = 'failed' AS failed
        FROM {campaign} WHERE id IN ({campaigns_sql})
    ),
    people AS MATERIALIZED (
        SELECT pl.participant_id, MIN(c.starts_at) AS first_in_scope
        FROM {in_scope}
        WHERE pl.status = 'confirmed'
        GROUP BY pl.participant_id
    ),
    links AS MATERIALIZED (
        SELECT child.id, child.referred_by_id AS parent
        FROM {participant} child
        WHERE child.referred_by_id IS NOT NULL
          AND child.id IN (SELECT participant_id FROM people)
          AND child.referred_by_id IN (SELECT participant_id FROM people)
    ),
    tree AS (
        SELECT roots.parent AS id, roots.parent AS root, 0 AS depth
        FROM (SELECT DISTINCT parent FROM links) AS roots
        WHERE roots.parent NOT IN (SELECT id FROM links)
        UNION ALL
        SELECT links.id, tree.root, tree.depth + 1
        FROM links JOIN tree ON links.parent = tree.id
    ),
    sums AS (
        SELECT COALESCE(SUM(EXTRACT(EPOCH FROM (s.ends_at - s.starts_at)) / 3600
                            * (1 + pl.companions)), 0) AS pledged_hours,
               COALESCE(SUM(pl.hours_given) FILTER (WHERE pl.attendance = 'attended'), 0)
                   AS attended_hours,
               COUNT(*) FILTER (WHERE {COUNTED}) AS past_confirmed,
               COUNT(*) FILTER (WHERE {COUNTED} AND pl.attendance = 'attended')
                   AS past_attended,
               COUNT(*) FILTER (WHERE {COUNTED} AND pl.attendance = 'no_show') AS past_no_show
        FROM {in_scope}
        WHERE pl.status = 'confirmed'
    )
    SELECT
        (SELECT COUNT(*) FROM people),
        (SELECT COUNT(*) FROM people WHERE EXISTS (
            SELECT 1 FROM {pledge} e
            JOIN {slot} es ON es.id = e.slot_id
            JOIN {campaign} ec ON ec.id = es.campaign_id
            WHERE e.participant_id = people.participant_id AND e.status = 'confirmed'
              AND ec.starts_at < people.first_in_scope
              AND ec.starts_at < (SELECT MAX(starts_at) FROM scope_campaigns)
              AND ec.id NOT IN (SELECT id FROM scope_campaigns))),
        -- A party is one person's pledges to one campaign; its size is the largest.
        (SELECT COALESCE(SUM(party), 0) FROM (
            SELECT MAX(pl.companions) AS party FROM {in_scope}
            WHERE pl.status = 'confirmed' AND pl.companions > 0
            GROUP BY pl.participant_id, c.id) AS parties),
        sums.pledged_hours, sums.attended_hours,
        sums.past_confirmed, sums.past_attended, sums.past_no_show,
        (SELECT COALESCE(MAX(depth), 0) FROM tree),
        -- Someone mobilised makes a tree of one at least.
        GREATEST((SELECT MAX(size) FROM (SELECT COUNT(*) AS size FROM tree
                                         GROUP BY root) AS trees),
                 LEAST((SELECT COUNT(*) FROM people), 1))
    FROM sums
    """  # noqa: S608
    with analytic_cursor(WORK_MEM) as cursor:
        cursor.execute(sql, (timezone.now(), *campaigns_params, *team_params,
                             *team_params, *team_params))
        row = cursor.fetchone()
    return dict(zip(PEOPLE_KEYS, row, strict=True))


def _people_and_snowball_by_campaign(ids: list[int]) -> dict[int, dict]:
    """``_people_and_snowball`` of each campaign in ``ids``, in one query. A person is
    returning to a campaign when their first confirmed pledge, over every campaign, was
    to one that started earlier; parties, the referral forest and the sums are those of
    each campaign on its own."""
    pledge, slot = Pledge._meta.db_table, Slot._meta.db_table
    campaign, participant = Campaign._meta.db_table, Participant._meta.db_table
    sql = f"""
    WITH RECURSIVE scope_campaigns AS MATERIALIZED (
        SELECT id, starts_at, %s::timestamptz AS now_at, status = 'failed' AS failed
        FROM {campaign} WHERE id = ANY(%s)
    ),
    pairs AS MATERIALIZED (
        SELECT pl.participant_id, c.id AS campaign_id, MAX(pl.companions) AS party
        FROM {pledge} pl
        JOIN {slot} s ON s.id = pl.slot_id
        JOIN scope_campaigns c ON c.id = s.campaign_id
        WHERE pl.status = 'confirmed'
        GROUP BY pl.participant_id, c.id
    ),
    -- Each person's first campaign, among those that can come before one in scope.
    firsts AS (
        SELECT pl.participant_id, MIN(c.starts_at) AS first_start
        FROM {pledge} pl
        JOIN {slot} s ON s.id = pl.slot_id
        JOIN {campaign} c ON c.id = s.campaign_id
        WHERE pl.status = 'confirmed'
          AND c.starts_at < (SELECT MAX(starts_at) FROM scope_campaigns)
        GROUP BY pl.participant_id
    ),
    people AS (
        SELECT pairs.campaign_id, COUNT(*) AS mobilised,
               COUNT(*) FILTER (WHERE firsts.first_start < c.starts_at) AS returning,
               SUM(pairs.party) AS companions
        FROM pairs
        LEFT JOIN firsts ON firsts.participant_id = pairs.participant_id
        JOIN scope_campaigns c ON c.id = pairs.campaign_id
        GROUP BY pairs.campaign_id
    ),
    links AS MATERIALIZED (
        SELECT child_pair.campaign_id, child.id, child.referred_by_id AS parent
        FROM {participant} child
        JOIN pairs child_pair ON child_pair.participant_id = child.id
        JOIN pairs parent_pair ON parent_pair.participant_id = child.referred_by_id
                              AND parent_pair.campaign_id = child_pair.campaign_id
        WHERE child.referred_by_id IS NOT NULL
    ),
    tree AS (
        SELECT roots.campaign_id, roots.parent AS id, roots.parent AS root, 0 AS depth
        FROM (SELECT DISTINCT campaign_id, parent FROM links) AS roots
        WHERE NOT EXISTS (SELECT 1 FROM links l WHERE l.campaign_id = roots.campaign_id
                                                  AND l.id = roots.parent)
        UNION ALL
        SELECT links.campaign_id, links.id, tree.root, tree.depth + 1
        FROM links JOIN tree ON links.parent = tree.id
                            AND links.campaign_id = tree.campaign_id
    ),
    forests AS (
        SELECT campaign_id, MAX(depth) AS generations, MAX(size) AS largest_tree
        FROM (SELECT campaign_id, root, MAX(depth) AS depth, COUNT(*) AS size
              FROM tree GROUP BY campaign_id, root) AS trees
        GROUP BY campaign_id
    ),
    sums AS (
        SELECT c.id AS campaign_id,
               SUM(EXTRACT(EPOCH FROM (s.ends_at - s.starts_at)) / 3600
                   * (1 + pl.companions)) AS pledged_hours,
               SUM(pl.hours_given) FILTER (WHERE pl.attendance = 'attended')
                   AS attended_hours,
               COUNT(*) FILTER (WHERE {COUNTED}) AS past_confirmed,
               COUNT(*) FILTER (WHERE {COUNTED} AND pl.attendance = 'attended')
                   AS past_attended,
               COUNT(*) FILTER (WHERE {COUNTED} AND pl.attendance = 'no_show') AS past_no_show
        FROM {pledge} pl
        JOIN {slot} s ON s.id = pl.slot_id
        JOIN scope_campaigns c ON c.id = s.campaign_id
        WHERE pl.status = 'confirmed'
        GROUP BY c.id
    )
    SELECT c.id, COALESCE(people.mobilised, 0), COALESCE(people.returning, 0),
           COALESCE(people.companions, 0), COALESCE(sums.pledged_hours, 0),
           COALESCE(sums.attended_hours, 0), COALESCE(sums.past_confirmed, 0),
           COALESCE(sums.past_attended, 0), COALESCE(sums.past_no_show, 0),
           COALESCE(forests.generations, 0),
           GREATEST(forests.largest_tree, LEAST(COALESCE(people.mobilised, 0), 1))
    FROM scope_campaigns c
    LEFT JOIN people ON people.campaign_id = c.id
    LEFT JOIN sums ON sums.campaign_id = c.id
    LEFT JOIN forests ON forests.campaign_id = c.id
    """  # noqa: S608 - only table names are interpolated
    with analytic_cursor(WORK_MEM_MANY) as cursor:
        cursor.execute(sql, (timezone.now(), list(ids)))
        rows = cursor.fetchall()
    return {row[0]: dict(zip(PEOPLE_KEYS, row[1:], strict=True)) for row in rows}


def _invitations_by_campaign(ids: list[int]) -> dict[int, dict]:
    rows = (Invitation.objects.filter(campaign_id__in=ids).order_by()
            .values("campaign_id").annotate(**_invitation_counts()))
    return {row.pop("campaign_id"): row for row in rows}


def _impact_by_campaign(campaigns: list[Campaign]) -> dict[int, list[dict]]:
    """``_impact`` of each campaign: its programme's indicators, with that campaign's
    records added up (one query for the indicators, one for the sums)."""
    indicators: dict[int, list[dict]] = {}
    for row in (ProgrammeIndicator.objects
                .filter(programme_id__in={c.programme_id for c in campaigns}).order_by()
                .values("programme_id", "code", "unit").annotate(**_INDICATOR_FIELDS)
                .order_by("position", "code")):
        indicators.setdefault(row["programme_id"], []).append(row)
    totals = {(row["campaign_id"], row["indicator__code"], row["indicator__unit"]):
              row["total"] for row in
              ImpactRecord.objects.filter(campaign__in=campaigns).order_by()
              .values("campaign_id", "indicator__code", "indicator__unit")
              .annotate(total=Sum("value"))}
    return {campaign.pk: [
        _impact_row(row, totals.get((campaign.pk, row["code"], row["unit"]), 0))
        for row in indicators.get(campaign.programme_id, [])] for campaign in campaigns}


def _campaigns(scope: _Scope) -> dict:
    figures = scope.campaigns.order_by().aggregate(
        total=Count("pk"),
        decided=Count("pk", filter=Q(status__in=DECIDED)),
        succeeded=Count("pk", filter=Q(status__in=SUCCESSFUL)))
    return {**figures, "success_rate": ratio(figures["succeeded"], figures["decided"])}


def _invitations(scope: _Scope) -> dict:
    """Invitations to the scope's campaigns (for a team: those its members sent) and the
    live pledges (confirmed or waiting) made through them."""
    invitations = Invitation.objects.filter(campaign__in=scope.campaigns.values("pk"))
    if scope.team is not None:
        invitations = invitations.filter(inviter__team=scope.team)
    return invitations.order_by().aggregate(**_invitation_counts())


def _invitation_counts() -> dict:
    """Invitations sent and live pledges made through them, all and participants' own."""
    live = ~Q(pledges__status=Pledge.Status.CANCELLED) & Q(pledges__isnull=False)
    by_participant = Q(inviter__isnull=False)
    return {"sent": Count("pk", filter=SENT, distinct=True),
            "pledged": Count("pledges", filter=SENT & live, distinct=True),
            "sent_by_participants": Count("pk", filter=SENT & by_participant, distinct=True),
            "pledged_by_participants": Count("pledges", filter=SENT & live & by_participant,
                                             distinct=True)}


def _impact(scope: _Scope) -> list[dict]:
    """Totals per indicator code across the scope's programmes; indicators of those
    programmes without any record yet show 0, so a report lists what it aims at."""
    records = ImpactRecord.objects.filter(campaign__in=scope.campaigns.values("pk"))
    indicators = ProgrammeIndicator.objects.filter(
        programme__in=scope.programmes.values("pk")) if scope.programmes is not None \
        else ProgrammeIndicator.objects.none()
    rows = (indicators.order_by().values("code", "unit")
            .annotate(**_INDICATOR_FIELDS,
                      total=Coalesce(Sum("records__value",
                                         filter=Q(records__in=records.values("pk"))),
                                     Value(Decimal(0))))
            .order_by("position", "code"))
    return [_impact_row(row, row["total"]) for row in rows]



def _impact_row(row: dict, total: float | Decimal) -> dict:
    return {"code": row["code"], "unit": row["unit"], "label_fr": row["label_fr"],
            "label_en": row["label_en"], "sdg": row["sdg"], "total": round(float(total), 2)}
