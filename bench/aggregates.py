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
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_reports", ROOT / "bench" / "reports.py")
assert _spec is not None and _spec.loader is not None
bench_reports = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_reports)  # sets Django up, reads the sizes from argv

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from config.broker import ensure_configured_broker  # noqa: E402
from engagement.models import Campaign, Participant, Programme, Slot  # noqa: E402
from engagement.services.pledges import pledge_create  # noqa: E402
from reports import figures, metrics, tallies  # noqa: E402
from reports.models import CampaignTally  # noqa: E402

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

            # Bulk path: the same pledges again, with and without the triggers.
            copy = Campaign.objects.filter(programme=programme).order_by("pk").first()
            with connection.cursor() as cursor:
                cursor.execute(
                    "CREATE TEMP TABLE bench_copy_slots (id bigint, original bigint)")
                for slot in Slot.objects.filter(campaign__programme=programme):
                    twin = Slot.objects.create(campaign=copy, starts_at=slot.starts_at,
                                               ends_at=slot.ends_at, capacity=slot.capacity)
                    cursor.execute("INSERT INTO bench_copy_slots VALUES (%s, %s)",
                                   [twin.pk, slot.pk])
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
            with connection.cursor() as cursor:
                cursor.execute("SELECT reports_tally_recount(current_schema(), %s)",
                               [[open_campaign.pk]])

            # Programme figures: tallied against computed.
            computed_time, computed = timed(lambda: metrics.programme_metrics(programme))
            tallied_time, tallied = timed(lambda: tallies.programme_tallies(programme), runs=5)
            # The same without the programme's row: distinct people counted over the
            # person-and-campaign rows (what any other scope, a period, does).
            distinct_time, distinct = timed(lambda: tallies.scope_tallies(
                Campaign.objects.filter(programme=programme)), runs=3)
            assert distinct == tallied
            assert tallied["mobilised"] == computed["participants"]["mobilised"], \
                (tallied, computed["participants"])
            assert tallied["pledged_hours"] == computed["hours"]["pledged"]
            assert tallied["attended_hours"] == computed["hours"]["attended"]

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
                "pledged_seconds", "attended_hours"))
            recount_time, _r = timed(lambda: _recount_all(), runs=1)
            after = list(CampaignTally.objects.order_by("campaign_id").values_list(
                "campaign_id", "people", "pledges_confirmed", "seats_confirmed",
                "pledged_seconds", "attended_hours"))
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
        print(f"programme figures computed (metrics): {computed_time * 1000:8.1f} ms")
        print(f"programme figures from the tallies:   {tallied_time * 1000:8.1f} ms  "
              f"({computed_time / tallied_time:.0f}× faster; target {TARGET * 1000:.0f} ms: "
              f"{'met' if tallied_time < TARGET else 'MISSED'}; same people and hours)")
        print(f"... people counted over the person rows: {distinct_time * 1000:8.1f} ms  "
              "(COUNT DISTINCT, as for a period)")
        print(f"after a write to 1 campaign: {still_current} of {len(campaigns)} campaigns' "
              "stored figures still current (an organisation-wide version: 0)")
        print(f"full recount of every campaign's tallies: {recount_time:.2f} s "
              "(equal to the maintained tallies)")
    finally:
        bench_reports.teardown(organisation)


def _recount_all() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reports_tally_recount(current_schema(), "
                       "(SELECT array_agg(id) FROM engagement_campaign))")


if __name__ == "__main__":
    sys.exit(main())
