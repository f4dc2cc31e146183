"""The consultant's portfolio: each client organisation a consultant accompanies, with its
state at a glance, read from stored figures only (nothing is recomputed here).

Cost: two statements on the public schema (the assignments with their organisations and
subscriptions, the month's accompaniment time), then per client one statement in its own
schema (the connection's ``SET search_path`` and one ``SELECT`` of sub-selects), whatever
the client's size: the page grows by two statements per client (bench/portfolio.py).

"Awaiting commentary" (docs/decisions.md, Issue 15: the consultant's portfolio): a report
that is ready, finished in the last ``AWAITING_DAYS`` days, whose subject (campaign,
programme or period, ``reports.selectors.subject_key_for``) has no commentary written by
a consultant in any section.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Sum
from django.utils import timezone
from django_tenants.utils import tenant_context

from billing.entitlements import entitlements_for
from billing.models import ConsultantTime
from billing.services.consultant_time import pack_minutes_per_month
from core.formatting import number
from engagement.models import Campaign, Programme
from reports.metrics import DECIDED, SUCCESSFUL
from reports.models import Commentary, Report
from tenants.models import ConsultantAssignment, Organisation, User

from . import lab_results as portfolio_lab

AWAITING_DAYS = 30


class BillingState:
    TRIAL = "trial"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    READ_ONLY = "read_only"


@dataclass
class ClientState:
    organisation: Organisation
    billing: str
    running_programmes: int | None = None
    open_campaigns: int | None = None
    at_risk: int | None = None  # None: no stored forecast model (yet)
    decided: int = 0
    succeeded: int = 0
    benchmark_rate: float | None = None
    benchmark_organisations: int | None = None
    benchmark_label: str = ""  # what the benchmark is: template, kind, organisations
    benchmark_template: str = ""
    unforecast: int = 0  # open campaigns whose forecast is not computed yet
    experiments_running: int | None = None
    experiments_concluded: int | None = None
    awaiting_commentary: int | None = None
    included_minutes: int = 0
    logged_minutes: int = 0
    reasons: list[str] = field(default_factory=list)

    @property
    def success_rate(self) -> float | None:
        return self.succeeded / self.decided if self.decided else None

    @property
    def left_minutes(self) -> int:
        return max(0, self.included_minutes - self.logged_minutes)

    @property
    def beyond_minutes(self) -> int:
        return max(0, self.logged_minutes - self.included_minutes)

    @property
    def logged_hours(self) -> str:
        return hours(self.logged_minutes)

    @property
    def included_hours(self) -> str:
        return hours(self.included_minutes)

    @property
    def left_hours(self) -> str:
        return hours(self.left_minutes)

    @property
    def beyond_hours(self) -> str:
        return hours(self.beyond_minutes)

    @property
    def needs_attention(self) -> bool:
        return bool(self.reasons)


def hours(minutes: int) -> str:
    """Minutes as hours people read: "1.5 h", "1,5 h" in French ("h" in both languages),
    the unit kept with its figure by a no-break space."""
    return f"{number(minutes / 60, 1)}\u00a0h"


def client_organisations(consultant: User) -> list[Organisation]:
    """The consultant's clients: organisations of their assignments, closed ones aside."""
    assignments = (ConsultantAssignment.objects.filter(consultant=consultant)
                   .exclude(organisation__status=Organisation.Status.CLOSED)
                   .filter(organisation__is_template=False)
                   .select_related("organisation", "organisation__subscription"))
    return [assignment.organisation for assignment in assignments]


def portfolio_states(consultant: User, *, now: datetime | None = None) -> list[ClientState]:
    """Every client of ``consultant`` with its state, those needing attention first (at
    risk, payment overdue or read-only, reports awaiting commentary), then by name."""
    now = now or timezone.now()
    organisations = client_organisations(consultant)
    # "This month" is each client's month, in its own time zone.
    month_starts = {organisation.pk: _local_today(organisation, now).replace(day=1)
                    for organisation in organisations}
    minutes: dict[int, int] = {}
    for organisation_id, worked_on, total in (ConsultantTime.objects.filter(
            organisation__in=organisations,
            worked_on__gte=min(month_starts.values(), default=now.date()))
            .values("organisation_id", "worked_on").annotate(total=Sum("minutes"))
            .values_list("organisation_id", "worked_on", "total")):
        if worked_on >= month_starts[organisation_id]:
            minutes[organisation_id] = minutes.get(organisation_id, 0) + total
    states = []
    for organisation in organisations:
        state = ClientState(organisation=organisation,
                            billing=_billing_state(organisation, now),
                            included_minutes=pack_minutes_per_month(organisation),
                            logged_minutes=minutes.get(organisation.pk) or 0)
        with tenant_context(organisation):
            _read_schema(state, now)
        state.reasons = _reasons(state)
        states.append(state)
    portfolio_lab.add_benchmarks(states)
    return sorted(states, key=lambda s: (not s.needs_attention, s.organisation.name.lower()))


def _billing_state(organisation: Organisation, now: datetime) -> str:
    if organisation.status == Organisation.Status.PAST_DUE or getattr(
            getattr(organisation, "subscription", None), "stripe_status", "") == "past_due":
        return BillingState.PAST_DUE
    rights = entitlements_for(organisation, now=now)
    if rights.read_only:
        return BillingState.READ_ONLY
    return BillingState.TRIAL if rights.in_trial else BillingState.ACTIVE


def _reasons(state: ClientState) -> list[str]:
    reasons = []
    if state.at_risk:
        reasons.append("at_risk")
    if state.billing in (BillingState.PAST_DUE, BillingState.READ_ONLY):
        reasons.append("billing")
    if state.awaiting_commentary:
        reasons.append("commentary")
    return reasons


def _local_today(organisation: Organisation, now: datetime) -> date:
    try:
        return now.astimezone(ZoneInfo(organisation.time_zone)).date()
    except (ValueError, KeyError):
        return timezone.localdate(now)


def _read_schema(state: ClientState, now: datetime) -> None:
    """One statement in the client's schema: every figure as a sub-select."""
    today = _local_today(state.organisation, now)
    report, commentary = Report._meta.db_table, Commentary._meta.db_table
    user_table = User._meta.db_table
    parts: list[tuple[str, list]] = [
        (f"(SELECT count(*) FROM {Programme._meta.db_table} "  # noqa: S608
         "WHERE starts_on <= %s AND ends_on >= %s)", [today, today]),
        (f"(SELECT count(*) FROM {Campaign._meta.db_table} WHERE status = %s)",  # noqa: S608
         [Campaign.Status.OPEN]),
        (f"(SELECT count(*) FROM {Campaign._meta.db_table} WHERE status = ANY(%s))",  # noqa: S608
         [list(DECIDED)]),
        (f"(SELECT count(*) FROM {Campaign._meta.db_table} WHERE status = ANY(%s))",  # noqa: S608
         [list(SUCCESSFUL)]),
        # Reports awaiting commentary: see the module's docstring.
        (f"(SELECT count(*) FROM {report} r WHERE r.status = %s "  # noqa: S608
         "AND coalesce(r.finished_at, r.requested_at) >= %s "
         f"AND NOT EXISTS (SELECT 1 FROM {commentary} c JOIN {user_table} u "
         "ON u.id = c.author_id AND u.is_consultant WHERE c.subject_key = CASE r.scope "
         "WHEN 'campaign' THEN 'campaign:' || r.campaign_id "
         "WHEN 'programme' THEN 'programme:' || r.programme_id "
         "ELSE 'period:' || to_char(r.period_start, 'YYYY-MM-DD') || ':' "
         "|| to_char(r.period_end, 'YYYY-MM-DD') END))",
         [Report.Status.READY, now - timedelta(days=AWAITING_DAYS)]),
        *portfolio_lab.schema_parts(),
    ]
    # Table names come from the models, values are parameters.
    sql = "SELECT " + ", ".join(part for part, _ in parts)
    params = [value for _, values in parts for value in values]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    assert row is not None  # a SELECT of sub-selects gives one row
    (state.running_programmes, state.open_campaigns, state.decided, state.succeeded,
     state.awaiting_commentary) = row[:5]
    portfolio_lab.read_row(state, row[5:])
