"""Figures maintained, not recomputed (issue 16): what the tallies cost and save at scale.

    .venv/bin/python bench/aggregates.py                  # 200,000 participants, 1,000,000 pledges
    .venv/bin/python bench/aggregates.py 20000 100000     # a quick check

The organisation of bench/reports.py (its ``fill``: one programme of 14 campaigns), whose
pledges the triggers count as they are inserted. Then, each against a reference measured
in the same run:

- the bulk insert of the pledges with the tallies' triggers, against the same insert
  with them disabled (the cost on bulk paths);
- one pledge written through ``pledge_create`` with and without the triggers (the cost
  on every write);
- a programme's tallied figures read from the tallies (``reports.tallies``: its people
  from its ``ProgrammeTally`` row, and counted over the person rows as for a period)
  against ``metrics.programme_metrics`` computed from the pledges (target: ≤ 300 ms);
- how many of the campaigns' stored figures stay current after a write to one campaign
  (organisation-wide version: none);
- the tallies against a full recount (``reports_tally_recount``), which must agree.

Everything made is dropped at the end.
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_reports", ROOT / "bench" / "reports.py")
assert _spec is not None and _spec.loader is not None
bench_reports = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_reports)  # sets Django up, reads the sizes from argv

from django.db import connection  # noqa: E402
from django.db.models import Sum  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from config.broker import ensure_configured_broker  # noqa: E402
from engagement.models import Campaign, Participant, Programme, Slot  # noqa: E402
from engagement.services.pledges import pledge_create  # noqa: E402
from reports import figures, levers, metrics, tallies  # noqa: E402
from reports.models import CampaignTally  # noqa: E402
from reports.value import hour_value  # noqa: E402

SLUG = "bench-aggregates"
TARGET = 0.300
TRIGGERS = ("engagement_pledge_tally_insert", "engagement_pledge_tally_update",
            "engagement_pledge_tally_delete")

timed = bench_reports.timed


def triggers(enabled: bool) -> None:
    """The pledges' tally triggers (the programmes' ones only fire through them)."""
    with connection.cursor() as cursor:
        for name in TRIGGERS:
            cursor.execute(f"ALTER TABLE engagement_pledge "
                           f"{'ENABLE' if enabled else 'DISABLE'} TRIGGER {name}")


def pledge_copy_time() -> float:
    """Insert a copy of every pledge (to other slots of a campaign made for it) and
    delete it again; returns the insert's time."""
    with connection.cursor() as cursor:
        start = time.perf_counter()
        cursor.execute("INSERT INTO engagement_pledge (slot_id, participant_id, companions, "
                       "companion_names, status, attendance, hours_given, created_at, walk_in)"
                       " SELECT s2.id, pl.participant_id, pl.companions, '', pl.status, "
                       "pl.attendance, pl.hours_given, now(), false FROM engagement_pledge pl"
                       " JOIN engagement_slot s ON s.id = pl.slot_id "
                       "JOIN bench_copy_slots s2 ON s2.original = s.id")
        took = time.perf_counter() - start
        cursor.execute("DELETE FROM engagement_pledge WHERE slot_id IN "
                       "(SELECT id FROM bench_copy_slots)")
    return took


def main() -> None:
    ensure_configured_broker()
    organisation = bench_reports.organisation_setup("Bench aggregates", SLUG)
    try:
        with tenant_context(organisation):
            today = timezone.localdate()
            programme = Programme.objects.create(
                name="Bench programme", starts_on=today - timedelta(days=365),
                ends_on=today + timedelta(days=365))
            started = time.perf_counter()
            bench_reports.fill(programme)
            fill_time = time.perf_counter() - started
            pledges = bench_reports.PLEDGES

            print(f"data: {bench_reports.PARTICIPANTS:,} participants, {pledges:,} pledges, "
                  f"generated in {fill_time:.1f} s with the tallies' triggers", flush=True)
            # Bulk path: the same pledges again, with and without the triggers (skipped
            # with BENCH_SKIP_BULK=1: a million pledges take minutes each way).
            copy = Campaign.objects.filter(programme=programme).order_by("pk").first()
            with connection.cursor() as cursor:
                cursor.execute(
                    "CREATE TEMP TABLE bench_copy_slots (id bigint, original bigint)")
                for slot in Slot.objects.filter(campaign__programme=programme):
                    twin = Slot.objects.create(campaign=copy, starts_at=slot.starts_at,
                                               ends_at=slot.ends_at, capacity=slot.capacity)
                    cursor.execute("INSERT INTO bench_copy_slots VALUES (%s, %s)",
                                   [twin.pk, slot.pk])
            bulk_with = bulk_without = float("nan")
            if not os.environ.get("BENCH_SKIP_BULK"):
                bulk_with = pledge_copy_time()
                triggers(enabled=False)
                bulk_without = pledge_copy_time()
                triggers(enabled=True)
            with connection.cursor() as cursor:
                cursor.execute("SELECT reports_tally_recount(current_schema(), %s)",
                               [[copy.pk]])
                cursor.execute("DELETE FROM engagement_slot WHERE id IN "
                               "(SELECT id FROM bench_copy_slots)")
                # The copies' dead rows would slow every later scan.
                cursor.execute("VACUUM ANALYZE engagement_pledge")
                cursor.execute("VACUUM ANALYZE reports_persontally")
                cursor.execute("VACUUM ANALYZE reports_campaigntally")
                cursor.execute("VACUUM ANALYZE reports_programmepersontally")

            # One pledge through the service, with and without the triggers.
            open_campaign = Campaign.objects.create(
                programme=programme, code="bench-open", title="Open", place="Lyon",
                starts_at=timezone.now() + timedelta(days=10),
                ends_at=timezone.now() + timedelta(days=10, hours=3),
                participant_target=10, status=Campaign.Status.OPEN,
                mobilisation_deadline=timezone.now() + timedelta(days=5))
            open_slot = Slot.objects.create(campaign=open_campaign,
                                            starts_at=open_campaign.starts_at,
                                            ends_at=open_campaign.ends_at, capacity=10**6)
            people = iter(Participant.objects.order_by("pk")[:40])

            def one_pledge() -> None:
                pledge_create(slot=open_slot, participant=next(people))

            one_pledge()  # warm-up
            write_with, _p = timed(one_pledge, runs=15)
            triggers(enabled=False)
            write_without, _p = timed(one_pledge, runs=15)
            triggers(enabled=True)
            # The statement alone (no Django around it), alternating with and without the
            # triggers so that the machine's noise falls on both.
            statement_with, statement_without = [], []
            with connection.cursor() as cursor:
                for index, person in enumerate(Participant.objects.order_by("-pk")[:60]):
                    enabled = index % 2 == 0
                    triggers(enabled=enabled)
                    start = time.perf_counter()
                    cursor.execute(
                        "INSERT INTO engagement_pledge (slot_id, participant_id, companions, "
                        "companion_names, status, attendance, hours_given, created_at, "
                        "walk_in) VALUES (%s, %s, 0, '', 'confirmed', 'pending', 0, now(), "
                        "false)", [open_slot.pk, person.pk])
                    (statement_with if enabled else statement_without).append(
                        time.perf_counter() - start)
            triggers(enabled=True)
            # The triggers' own time in one pledge INSERT, as PostgreSQL measures it: the
            # first in a new connection plans their statements (as 0009's EXECUTE did on
            # every call), the next ones run the plans cached.
            trigger_times = []
            connection.close()
            with connection.cursor() as cursor:
                for person in Participant.objects.order_by("-pk")[60:81]:
                    cursor.execute(
                        "EXPLAIN (ANALYZE, FORMAT JSON) INSERT INTO engagement_pledge "
                        "(slot_id, participant_id, companions, companion_names, status, "
                        "attendance, hours_given, created_at, walk_in) VALUES (%s, %s, 0, '', "
                        "'confirmed', 'pending', 0, now(), false)", [open_slot.pk, person.pk])
                    plan = cursor.fetchone()[0]
                    plan = json.loads(plan) if isinstance(plan, str) else plan
                    trigger_times.append(sum(t["Time"] for t in plan[0].get("Triggers", [])
                                             if "tally" in t["Trigger Name"]))
            first_trigger_time = trigger_times.pop(0)
            with connection.cursor() as cursor:
                cursor.execute("SELECT reports_tally_recount(current_schema(), %s)",
                               [[open_campaign.pk]])

            # Concurrent joins on one campaign (ten slots, so that no slot row is the
            # queue), with and without the tallies: the campaign's tally row is locked by
            # each pledge until its transaction commits.
            joins_with = concurrent_joins(organisation, programme, "with")
            # The same with a campaign per connection: no row shared, only the triggers'
            # work (tells the hot row's queue from the cost of the work itself).
            joins_spread = concurrent_joins(organisation, programme, "spread")
            triggers(enabled=False)
            joins_without = concurrent_joins(organisation, programme, "without")
            triggers(enabled=True)
            with connection.cursor() as cursor:  # the pledges made without them, counted
                cursor.execute("SELECT reports_tally_recount(current_schema(), ARRAY(SELECT "
                               "id FROM engagement_campaign WHERE code LIKE 'bj-%%'))")

            # Programme figures: every figure as the dashboard, the API, the CSV and the
            # PDF read them (``metrics.programme_metrics``, from the tallies), against the
            # same figures computed from the pledges (the oracle the tests compare with).
            computed_time, computed = timed(
                lambda: metrics.programme_metrics_recounted(programme))
            tallied_time, tallied = timed(lambda: metrics.programme_metrics(programme), runs=7)
            assert tallied == computed, (tallied, computed)
            tallies_time, _t = timed(lambda: tallies.programme_people_and_value(
                programme, hour_value()), runs=7)
            print(f"programme figures: from the tallies {tallied_time * 1000:.1f} ms (their "
                  f"query {tallies_time * 1000:.1f} ms), from the pledges "
                  f"{computed_time * 1000:.1f} ms, equal", flush=True)
            # The programme's campaigns, all at once (a report's campaign pages).
            ids = list(Campaign.objects.filter(programme=programme).values_list("pk", flat=True))
            campaigns_computed_time, campaigns_computed = timed(
                lambda: metrics.campaigns_metrics_recounted(ids), runs=1)
            campaigns_time, campaigns_tallied = timed(
                lambda: metrics.campaigns_metrics(ids), runs=3)
            assert campaigns_tallied == campaigns_computed
            levers_time, _rows = timed(lambda: levers.lever_analysis(programme=programme),
                                       runs=3)
            # The invitations' funnel: read from the campaigns' tallies (in the tallies'
            # query above), against its count over the invitations and their pledges
            # (``funnel_counts``, the way it was computed before 0013, the oracle).
            scope = metrics._programme_scope(programme)  # noqa: SLF001
            funnel_time, counted_funnel = timed(
                lambda: metrics._invitations(scope), runs=5)  # noqa: SLF001
            tallied_funnel_time, tallied_funnel = timed(lambda: CampaignTally.objects.filter(
                campaign_id__in=scope.campaigns.values("pk")).aggregate(
                    sent=Sum("invitations_sent"), pledged=Sum("invitations_pledged"),
                    sent_by_participants=Sum("invitations_sent_by_participants"),
                    pledged_by_participants=Sum("invitations_pledged_by_participants")),
                runs=7)
            assert tallied_funnel == {key: counted_funnel[key] for key in tallied_funnel}
            assert tallied_funnel["sent"] > 0 and tallied_funnel["pledged"] > 0
            # The tallied counters of 0009/0010 (pledges by status, seats, people, hours).
            counters_time, counters = timed(lambda: tallies.programme_tallies(programme),
                                            runs=5)
            assert counters["mobilised"] == computed["participants"]["mobilised"]
            distinct_time, distinct = timed(lambda: tallies.scope_tallies(
                Campaign.objects.filter(programme=programme)), runs=3)
            assert distinct == counters

            # Per-campaign versions: one write, which campaigns' figures stay current.
            campaigns = list(Campaign.objects.filter(programme=programme)
                             .exclude(pk=open_campaign.pk))
            figures.campaigns_figures(campaigns)
            with connection.cursor() as cursor:
                cursor.execute("UPDATE engagement_pledge SET hours_given = hours_given + 1 "
                               "WHERE id = (SELECT min(pl.id) FROM engagement_pledge pl "
                               "JOIN engagement_slot s ON s.id = pl.slot_id "
                               "WHERE s.campaign_id = %s)", [campaigns[0].pk])
            versions = dict(CampaignTally.objects.values_list("campaign_id", "data_version"))
            still_current = sum(
                figures._is_current(snapshot, figures.data_version(),  # noqa: SLF001
                                    versions.get(int(snapshot.key.split(":")[2]), 0),
                                    timezone.now())
                for snapshot in figures.FiguresSnapshot.objects.filter(
                    key__startswith="metrics:campaign:"))

            # The tallies against a full recount.
            before = list(CampaignTally.objects.order_by("campaign_id").values_list(
                "campaign_id", "people", "pledges_confirmed", "seats_confirmed",
                "pledged_seconds", "attended_hours", "invitations_sent",
                "invitations_pledged", "invitations_sent_by_participants",
                "invitations_pledged_by_participants"))
            recount_time, _r = timed(lambda: _recount_all(), runs=1)
            after = list(CampaignTally.objects.order_by("campaign_id").values_list(
                "campaign_id", "people", "pledges_confirmed", "seats_confirmed",
                "pledged_seconds", "attended_hours", "invitations_sent",
                "invitations_pledged", "invitations_sent_by_participants",
                "invitations_pledged_by_participants"))
            assert before == after, "the tallies differ from a full recount"

        print(f"data: {bench_reports.PARTICIPANTS:,} participants, {pledges:,} pledges, "
              f"{bench_reports.CAMPAIGNS} campaigns, generated in {fill_time:.1f} s "
              "(tallies counted by the triggers as the pledges were inserted)")
        print(f"bulk insert of {pledges:,} pledges, tallies kept: {bulk_with:7.2f} s  "
              f"(without the triggers {bulk_without:.2f} s: {bulk_with / bulk_without:.2f}×)")
        print(f"one pledge_create, tallies kept:    {write_with * 1000:8.2f} ms  "
              f"(without the triggers {write_without * 1000:.2f} ms: "
              f"{write_with / write_without:.2f}×)")
        print(f"one pledge INSERT statement, tallies kept: "
              f"{statistics.median(statement_with) * 1000:6.2f} ms  (without the triggers "
              f"{statistics.median(statement_without) * 1000:.2f} ms)")
        for label, (count, took) in (("with the tallies", joins_with),
                                     ("with the tallies, a campaign per connection",
                                      joins_spread),
                                     ("without them", joins_without)):
            print(f"concurrent joins on one campaign ({JOINERS} connections), {label}: "
                  f"{count / took:7.1f} pledges/s ({count} in {took:.2f} s)")
        rate_with, rate_without = joins_with[0] / joins_with[1], joins_without[0] / joins_without[1]
        rate_spread = joins_spread[0] / joins_spread[1]
        print(f"  ratio with/without: {rate_with / rate_without:.2f}; a campaign per "
              f"connection/without: {rate_spread / rate_without:.2f}")
        print(f"one pledge INSERT's tally triggers in a new connection (their plans made): "
              f"{first_trigger_time:.3f} ms; then (plans cached, median): "
              f"{statistics.median(trigger_times):.3f} ms")
        print(f"programme figures from the pledges (programme_metrics_recounted): "
              f"{computed_time * 1000:8.1f} ms")
        print(f"programme figures from the tallies (programme_metrics, every figure): "
              f"{tallied_time * 1000:8.1f} ms  ({computed_time / tallied_time:.0f}× faster; "
              f"target {TARGET * 1000:.0f} ms: {'met' if tallied_time < TARGET else 'MISSED'};"
              " equal to the recount)")
        print(f"  of which the tallies' query (people, hours, attendance, value, forest, "
              f"the invitations' funnel): {tallies_time * 1000:8.1f} ms")
        print(f"the invitations' funnel alone: from the campaigns' tallies "
              f"{tallied_funnel_time * 1000:8.1f} ms; counted over the invitations and their "
              f"pledges (funnel_counts, before 0013) {funnel_time * 1000:8.1f} ms "
              f"({funnel_time / tallied_funnel_time:.0f}×, equal: {tallied_funnel})")
        print(f"campaigns' figures, {len(ids)} at once: {campaigns_time * 1000:8.1f} ms from "
              f"the tallies, {campaigns_computed_time * 1000:8.1f} ms from the pledges "
              f"({campaigns_computed_time / campaigns_time:.0f}×, equal)")
        print(f"lever analysis (computed, segments of distinct people): "
              f"{levers_time * 1000:8.1f} ms")
        print(f"0009/0010 counters (pledges by status, seats, people): "
              f"{counters_time * 1000:8.1f} ms; people counted over the person rows "
              f"(COUNT DISTINCT, as a period would): {distinct_time * 1000:8.1f} ms")
        print(f"after a write to 1 campaign: {still_current} of {len(campaigns)} campaigns' "
              "stored figures still current (an organisation-wide version: 0)")
        print(f"full recount of every campaign's tallies: {recount_time:.2f} s "
              "(equal to the maintained tallies)")
    finally:
        bench_reports.teardown(organisation)


JOINERS = 8
JOINS_EACH = 25


def concurrent_joins(organisation, programme, label: str) -> tuple[int, float]:
    """``JOINERS`` connections each making ``JOINS_EACH`` pledges (one transaction each)
    to a campaign of ten slots at once; returns the pledges made and the wall time."""
    with tenant_context(organisation):
        campaign = Campaign.objects.create(
            programme=programme, code=f"bj-{label}", title="Joins", place="Lyon",
            starts_at=timezone.now() + timedelta(days=10),
            ends_at=timezone.now() + timedelta(days=10, hours=3),
            participant_target=10, status=Campaign.Status.OPEN,
            mobilisation_deadline=timezone.now() + timedelta(days=5))
        slots = [Slot.objects.create(campaign=campaign, starts_at=campaign.starts_at,
                                     ends_at=campaign.ends_at, capacity=10**6)
                 for _ in range(10)]
        if label == "spread":
            # Each connection its own campaign (each slot above moved to one of its own).
            for index in range(JOINERS):
                own = Campaign.objects.create(
                    programme=programme, code=f"bj-spread-{index}", title="Joins",
                    place="Lyon", starts_at=campaign.starts_at, ends_at=campaign.ends_at,
                    participant_target=10, status=Campaign.Status.OPEN,
                    mobilisation_deadline=campaign.mobilisation_deadline)
                slots[index].campaign = own
                slots[index].save(update_fields=["campaign"])
        offset = 100 + ["with", "spread", "without"].index(label) * JOINERS * JOINS_EACH
        people = list(Participant.objects.order_by("pk")[offset:offset
                                                          + JOINERS * JOINS_EACH])
    start = threading.Barrier(JOINERS + 1)

    def joiner(index: int) -> None:
        try:
            with tenant_context(organisation):
                start.wait(timeout=60)
                for n in range(JOINS_EACH):
                    slot = slots[index] if label == "spread" else slots[(index + n) % len(slots)]
                    pledge_create(slot=slot, participant=people[index * JOINS_EACH + n])
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=JOINERS) as pool:
        futures = [pool.submit(joiner, index) for index in range(JOINERS)]
        start.wait(timeout=60)
        began = time.perf_counter()
        for future in futures:
            future.result()
        took = time.perf_counter() - began
    return JOINERS * JOINS_EACH, took


def _recount_all() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reports_tally_recount(current_schema(), "
                       "(SELECT array_agg(id) FROM engagement_campaign))")
        cursor.execute("SELECT reports_tally_funnel_recount(current_schema(), "
                       "(SELECT array_agg(id ORDER BY id) FROM engagement_campaign))")


if __name__ == "__main__":
    sys.exit(main())
