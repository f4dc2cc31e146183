"""Stored figures: what dashboards, the API and reports read instead of recomputing.

Computing the metrics of a programme means reading every pledge of it: about 2 s at a
million pledges, against the 300 ms a dashboard may take. So figures are stored once
computed (``FiguresSnapshot``, one row per subject) with two versions at the time: the
organisation's *data version*, a sequence that triggers on the organisation-wide source
tables (campaigns, participants, teams, programmes, skills, the hour value) move on each
row written (``reports_figures_version``, migration ``0002``), and the sum of the *data
versions of the campaigns in scope* (``CampaignTally.data_version``, moved by their
pledges, slots, invitations and impact records, migration ``0009``): a busy campaign
outdates the figures of its own programme and of the periods holding it, not the
others'. Stored figures are *current* while neither has moved and before
``expires_at``: the next end of a campaign in scope (attendance figures count the
actions that are over) or ``MAX_AGE``.

Who reads what:

- dashboards ask with ``allow_stale=True``: current figures are returned at once; outdated
  ones too, marked ``current=False``, while a worker computes new ones (``refreshing``:
  the page polls until they are there) — unless computing them is cheap
  (``settings.REPORTS_FIGURES_INLINE_MS``), as in any small organisation, where they are
  recomputed in the request. A busy organisation's figures are recomputed at most once
  per ``REFRESH_SPACING`` times their computing time;
- reports and the API ask for current figures: stored ones when current, else computed
  now (and stored for the next reader). A report's campaign pages are computed together
  (``metrics.campaigns_metrics``), and a worker refreshing a programme's figures stores
  its campaigns' too;
- a schedule (every five minutes) recomputes the outdated figures of programmes and their
  lever rows that somebody looked at lately (``KEPT_CURRENT_FOR``), so that dashboards and
  the first report on a programme usually find them current; figures nobody read for
  ``KEEP`` are dropped.

Exactness: the triggers move the organisation's version when a writing transaction
commits, and figures are computed in one REPEATABLE READ transaction that reads the
version first, so the figures see exactly the writes the version counts — except a write
whose commit falls between those two statements of the computation (well under a
millisecond), which shows at the next write or after ``MAX_AGE``. A campaign's version
is a row written in the writing transaction itself, read in the same snapshot as the
figures: it matches them exactly.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, connections, transaction
from django.db.models import Min, QuerySet
from django.utils import timezone

from core.replica import reader, replica_reading
from core.tenancy import enqueue_on_commit
from engagement.models import Campaign, Programme, Slot

from . import levers, metrics
from .analytic import subquery_sql
from .models import CampaignTally, FiguresSnapshot

# The shape of stored figures: raise it when metrics or lever rows change shape, so
# that figures stored by an older version of the code are never current.
# 2: attendance counts pledges whose slot is over or whose attendance is recorded, and
# invitations count only when sent (``engagement.selectors.INVITATION_SENT``).
# 3: the snowball is drawn per scope from the invitations people joined through, and
# counts the people brought who pledged and who attended.
# 4: metrics carry the value of the hours given (``reports.value``).
FORMAT = 4
MAX_AGE = timedelta(minutes=15)
# Stored figures nobody read for this long are dropped (the next reader computes them).
KEEP = timedelta(days=30)
# Subjects a schedule keeps current in the background while somebody reads them, so that
# programme dashboards and the first report on a programme find their figures ready.
KEPT_CURRENT = ("metrics:programme:", "levers:programme:")
KEPT_CURRENT_FOR = timedelta(days=7)
# ``read_at`` is written at most this often (reads stay reads).
READ_STAMP_EVERY = timedelta(hours=1)
# Outdated figures are recomputed at most once per this many times their computation.
REFRESH_SPACING = 10
# A refresh asked for this long ago and not done (a lost message) may be asked again.
REFRESH_RETRY_AFTER = timedelta(minutes=2)


@dataclass(frozen=True)
class Figures:
    """Figures and when they were computed; ``current`` is False when newer figures are
    being computed by a worker."""

    data: Any
    computed_at: datetime
    current: bool = True
    # Outdated figures whose successor a worker is computing (the page polls for it).
    refreshing: bool = False


@dataclass(frozen=True)
class _Subject:
    key: str
    compute: Callable[[], Any]
    campaigns: QuerySet[Campaign]


def programme_figures(programme: Programme, *, allow_stale: bool = False) -> Figures:
    return _figures(_subject(f"metrics:programme:{programme.pk}"), allow_stale=allow_stale)


def campaign_figures(campaign: Campaign, *, allow_stale: bool = False) -> Figures:
    return _figures(_subject(f"metrics:campaign:{campaign.pk}"), allow_stale=allow_stale)


def period_figures(start: date, end: date, *, allow_stale: bool = False) -> Figures:
    return _figures(_subject(f"metrics:period:{start.isoformat()}:{end.isoformat()}"),
                    allow_stale=allow_stale)


def lever_figures(*, campaign: Campaign | None = None, programme: Programme | None = None,
                  period: tuple[date, date] | None = None, segment: str = "team",
                  allow_stale: bool = False) -> Figures:
    if segment not in levers.SEGMENTS:
        raise ValueError(f"Unknown segment {segment!r}; choose one of {sorted(levers.SEGMENTS)}.")
    if campaign is not None and programme is not None:
        # Both: the campaign's rows if it belongs to the programme, else none.
        if campaign.programme_id != programme.pk:
            return Figures([], timezone.now())
        programme = None
    if period is not None:
        return _figures(_subject(f"levers:period:{period[0].isoformat()}:"
                                 f"{period[1].isoformat()}:{segment}"),
                        allow_stale=allow_stale)
    scope = (f"campaign:{campaign.pk}" if campaign is not None
             else f"programme:{programme.pk}" if programme is not None else "all:0")
    return _figures(_subject(f"levers:{scope}:{segment}"), allow_stale=allow_stale)


def _subject(key: str) -> _Subject:
    """What a key stands for; nothing is read until its figures are computed (a subject
    gone by then raises ``DoesNotExist``)."""
    kind, scope, *rest = key.split(":")
    if scope == "period":
        start, end = date.fromisoformat(rest[0]), date.fromisoformat(rest[1])
        in_period = Campaign.objects.filter(starts_at__date__gte=start,
                                            starts_at__date__lte=end)
        if kind == "metrics":
            return _Subject(key, lambda: metrics.period_metrics(start, end), in_period)
        return _Subject(key, lambda: levers.lever_analysis(period=(start, end),
                                                           segment=rest[2]), in_period)
    if scope == "campaign":
        pk = int(rest[0])
        if kind == "metrics":
            return _Subject(key, lambda: metrics.campaign_metrics(
                Campaign.objects.get(pk=pk)), Campaign.objects.filter(pk=pk))
        return _Subject(key, lambda: levers.lever_analysis(
            campaign=Campaign.objects.get(pk=pk), segment=rest[1]),
            Campaign.objects.filter(pk=pk))
    if scope == "programme":
        pk = int(rest[0])
        if kind == "metrics":
            return _Subject(key, lambda: metrics.programme_metrics(
                Programme.objects.get(pk=pk)), Campaign.objects.filter(programme_id=pk))
        return _Subject(key, lambda: levers.lever_analysis(
            programme=Programme.objects.get(pk=pk), segment=rest[1]),
            Campaign.objects.filter(programme_id=pk))
    return _Subject(key, lambda: levers.lever_analysis(segment=rest[1]),
                    Campaign.objects.all())


def data_version() -> int:
    """The organisation's data version: moves whenever a row the figures read changes,
    outside the campaign-scoped tables (those move their campaign's version)."""
    with connections[reader()].cursor() as cursor:
        cursor.execute("SELECT CASE WHEN is_called THEN last_value ELSE 0 END "
                       "FROM reports_figures_version")
        return cursor.fetchone()[0]


def campaigns_version(campaigns: QuerySet[Campaign]) -> int:
    """The sum of the data versions of ``campaigns`` (``CampaignTally.data_version``,
    moved by every write to their pledges, slots, invitations or impact records). Each
    only grows, so the sum moves whenever one of them changed; a campaign leaving or
    joining a scope moves the organisation's version (the campaigns table does)."""
    return _versions(campaigns)[1]


def _versions(campaigns: QuerySet[Campaign]) -> tuple[int, int]:
    """The organisation's data version and ``campaigns_version`` in one query."""
    scope_sql, scope_params = subquery_sql(campaigns.values("pk"))
    sql = ("SELECT (SELECT CASE WHEN is_called THEN last_value ELSE 0 END "  # noqa: S608
           "FROM reports_figures_version), "
           f"(SELECT COALESCE(SUM(data_version), 0) FROM {CampaignTally._meta.db_table} "
           f"WHERE campaign_id IN ({scope_sql}))")  # a table name and the ORM's own SQL
    with connections[reader()].cursor() as cursor:
        cursor.execute(sql, scope_params)
        version, scope_version = cursor.fetchone()
    return version, int(scope_version)


def _versions_by_campaign(ids: list[int]) -> dict[int, int]:
    return dict(CampaignTally.objects.filter(campaign_id__in=ids)
                .values_list("campaign_id", "data_version"))


def _is_current(snapshot: FiguresSnapshot, version: int, scope_version: int,
                now: datetime) -> bool:
    return (snapshot.version == version and snapshot.campaigns_version == scope_version
            and now < snapshot.expires_at and snapshot.format == FORMAT)


def _stamp_read(snapshot: FiguresSnapshot, now: datetime) -> None:
    if snapshot.read_at < now - READ_STAMP_EVERY:
        FiguresSnapshot.objects.filter(pk=snapshot.pk).update(read_at=now)


def _figures(subject: _Subject, *, allow_stale: bool) -> Figures:
    # Figures tolerate replication lag: read from the replica when there is one (the
    # versions in the same snapshot as the data, so figures stored from a replica behind
    # the primary are outdated at once, never current); stored on the primary.
    with replica_reading():
        return _figures_read(subject, allow_stale=allow_stale)


def _figures_read(subject: _Subject, *, allow_stale: bool) -> Figures:
    now = timezone.now()
    version, scope_version = _versions(subject.campaigns)
    snapshot = FiguresSnapshot.objects.filter(key=subject.key).first()
    if snapshot is not None:
        if _is_current(snapshot, version, scope_version, now):
            _stamp_read(snapshot, now)
            return Figures(snapshot.data, snapshot.computed_at)
        if (allow_stale and snapshot.format == FORMAT
                and snapshot.duration_ms > settings.REPORTS_FIGURES_INLINE_MS):
            _stamp_read(snapshot, now)
            refreshing = _in_flight(snapshot, now)
            if not refreshing and _due(snapshot, now):
                refreshing = _queue_refresh(subject.key, now)
            return Figures(snapshot.data, snapshot.computed_at, current=False,
                           refreshing=refreshing)
    return _compute(subject)


def _due(snapshot: FiguresSnapshot, now: datetime) -> bool:
    """In a busy organisation figures are outdated again as soon as computed: at most one
    computation per REFRESH_SPACING of its own duration keeps workers mostly free for
    other work."""
    spacing = timedelta(milliseconds=snapshot.duration_ms * REFRESH_SPACING)
    return now - snapshot.computed_at >= spacing


def _in_flight(snapshot: FiguresSnapshot, now: datetime) -> bool:
    return (snapshot.refresh_queued_at is not None
            and snapshot.refresh_queued_at > now - REFRESH_RETRY_AFTER)


@contextmanager
def _consistent_read() -> Iterator[int]:
    """A transaction whose queries all see one snapshot of the data, and the data version
    of that snapshot (read first; the campaigns' versions are read inside it too). Inside
    a transaction already open (a test's) its isolation is kept."""
    alias = reader()
    outermost = not connections[alias].in_atomic_block
    with transaction.atomic(using=alias):
        if outermost:
            with connections[alias].cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield data_version()


def _compute(subject: _Subject) -> Figures:
    """Compute a subject's figures and store them with the version they reflect."""
    started_at, started = timezone.now(), time.perf_counter()
    with _consistent_read() as version:
        # Rows the campaigns' versions count are written with the data in one transaction:
        # read in the same snapshot, they match the figures exactly.
        scope_version = campaigns_version(subject.campaigns)
        data = subject.compute()
    _store(subject, data, version=version, scope_version=scope_version,
           started_at=started_at, duration_ms=round((time.perf_counter() - started) * 1000))
    return Figures(data, started_at)


def _store(subject: _Subject, data: Any, *, version: int, scope_version: int,
           started_at: datetime, duration_ms: int) -> None:
    # Attendance counts a pledge once its slot is over: the next end of a slot in scope
    # (a campaign ends with its last slot) makes the figures outdated.
    next_end = (Slot.objects.filter(campaign__in=subject.campaigns.values("pk"),
                                    ends_at__gt=started_at).order_by()
                .aggregate(next_end=Min("ends_at"))["next_end"])
    expires_at = min(started_at + MAX_AGE, next_end or started_at + MAX_AGE)
    # Two computations at once both store; the one of the newer version stays.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {FiguresSnapshot._meta.db_table} AS f "  # noqa: S608 - table name
            "(key, format, data, version, campaigns_version, computed_at, expires_at, "
            "duration_ms, read_at, refresh_queued_at) "
            "VALUES (%s, %s, %s::jsonb, %s, %s, %s, %s, %s, %s, NULL) "
            "ON CONFLICT (key) DO UPDATE SET format = EXCLUDED.format, "
            "data = EXCLUDED.data, version = EXCLUDED.version, "
            "campaigns_version = EXCLUDED.campaigns_version, "
            "computed_at = EXCLUDED.computed_at, expires_at = EXCLUDED.expires_at, "
            "duration_ms = EXCLUDED.duration_ms, refresh_queued_at = NULL "
            "WHERE (f.version, f.campaigns_version) <= "
            "(EXCLUDED.version, EXCLUDED.campaigns_version) OR f.format <> EXCLUDED.format",
            [subject.key, FORMAT, json.dumps(data, cls=DjangoJSONEncoder), version,
             scope_version, started_at, expires_at, duration_ms, started_at])


def campaigns_figures(campaigns: list[Campaign]) -> dict[int, dict]:
    """Current metrics of several campaigns (a report's campaign pages), keyed by id:
    the stored ones when current, the others computed together in one pass and stored.
    A campaign deleted meanwhile has no entry."""
    with replica_reading():
        return _campaigns_figures_read(campaigns)


def _campaigns_figures_read(campaigns: list[Campaign]) -> dict[int, dict]:
    now, version = timezone.now(), data_version()
    keys = {campaign.pk: f"metrics:campaign:{campaign.pk}" for campaign in campaigns}
    stored = {snapshot.key: snapshot for snapshot in
              FiguresSnapshot.objects.filter(key__in=keys.values())}
    versions = _versions_by_campaign(list(keys))
    result = {pk: stored[key].data for pk, key in keys.items()
              if key in stored and _is_current(stored[key], version, versions.get(pk, 0), now)}
    missing = [pk for pk in keys if pk not in result]
    if missing:
        started_at, started = timezone.now(), time.perf_counter()
        with _consistent_read() as version:
            versions = _versions_by_campaign(missing)
            computed = metrics.campaigns_metrics(missing)
        # Each campaign's share of the time, as if computed alone.
        duration_ms = round((time.perf_counter() - started) * 1000 / len(missing))
        for pk, data in computed.items():
            _store(_subject(keys[pk]), data, version=version,
                   scope_version=versions.get(pk, 0), started_at=started_at,
                   duration_ms=duration_ms)
        result.update(computed)
    return result


def _queue_refresh(key: str, now: datetime) -> bool:
    """Ask a worker for new figures, once: a refresh already asked for and recent is not
    asked again."""
    if _claim(key, now):
        # By its registered name: the tasks module imports this one.
        enqueue_on_commit("reports.tasks.refresh_figures", key)
        return True
    return False


def _claim(key: str, now: datetime) -> bool:
    """Mark a subject's refresh as under way, unless one recently was (one database
    statement: of two claimants at once, one wins)."""
    return bool(FiguresSnapshot.objects.filter(key=key)
                .exclude(refresh_queued_at__gt=now - REFRESH_RETRY_AFTER)
                .update(refresh_queued_at=now))


def figures_refresh(*, key: str) -> bool:
    """Compute and store a subject's figures unless they are current (for the worker).
    False when the subject is gone: its stored figures are dropped."""
    with replica_reading():
        return _figures_refresh_read(key)


def _figures_refresh_read(key: str) -> bool:
    snapshot = FiguresSnapshot.objects.filter(key=key).first()
    if snapshot is not None and _is_current(snapshot, *_versions(_subject(key).campaigns),
                                            timezone.now()):
        FiguresSnapshot.objects.filter(pk=snapshot.pk).update(refresh_queued_at=None)
        return True
    try:
        _compute(_subject(key))
    except (Campaign.DoesNotExist, Programme.DoesNotExist):
        FiguresSnapshot.objects.filter(key=key).delete()
        return False
    if key.startswith("metrics:programme:"):
        # Its campaigns' figures too, in one pass: a report on the programme needs them.
        campaigns_figures(list(Campaign.objects.filter(programme_id=int(key.split(":")[2]))
                               .exclude(status=Campaign.Status.DRAFT)))
    return True


def figures_refresh_outdated(*, now: datetime) -> int:
    """The schedule's pass in one organisation: recompute the outdated figures of its
    programmes (their campaigns' with them) and lever rows that somebody read within
    ``KEPT_CURRENT_FOR``, spaced like the dashboards' refreshes, each claimed first so
    that overlapping passes or a dashboard's refresh never compute it twice; drop figures
    nobody read for ``KEEP``. Returns how many subjects were recomputed."""
    FiguresSnapshot.objects.filter(read_at__lt=now - KEEP).delete()
    refreshed = 0
    for snapshot in FiguresSnapshot.objects.filter(
            key__regex=r"^(" + "|".join(KEPT_CURRENT) + ")",
            read_at__gte=now - KEPT_CURRENT_FOR).order_by("key"):
        if (_is_current(snapshot, *_versions(_subject(snapshot.key).campaigns), now)
                or _in_flight(snapshot, now)
                or not _due(snapshot, now) or not _claim(snapshot.key, now)):
            continue
        if figures_refresh(key=snapshot.key):
            refreshed += 1
    return refreshed
