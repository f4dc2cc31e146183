"""Lever experiments at scale: the results page reads a stored look, the daily look
recomputes it in SQL, against the floor of one bare count of the pledges, measured in
the same run.

    .venv/bin/python bench/lab_experiments.py                 # 200,000 people, 1,000,000 pledges
    .venv/bin/python bench/lab_experiments.py 50000 250000

One organisation is provisioned and filled through the ORM (``bulk_create``): people in
teams of 10 and sites, 10 campaigns of 5 slots, the pledges; one experiment on the last
campaign whose wave reached every person (three arms and a 5 % holdout, assigned by the
hash as a launch does), then its look stored. Everything made is dropped at the end.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from engagement.models import Campaign, Participant, Pledge, Programme, Slot, Team  # noqa: E402
from lab.experiments.assignment import buckets, hash_value, unit_key, variant_for  # noqa: E402
from lab.experiments.models import Assignment, Experiment, Variant  # noqa: E402
from lab.experiments.person_sql import ARM_SUMS_SQL  # noqa: E402
from lab.experiments.results import experiment_look_store  # noqa: E402
from tenants.models import Membership, Organisation, User  # noqa: E402
from tenants.services import organisation_provision  # noqa: E402

PEOPLE = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
PLEDGES = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
CAMPAIGNS, SLOTS = 10, 5
SLUG = "bench-experiments"


def timed(call: Callable[[], object], runs: int = 5) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def fill(owner: User) -> Experiment:
    start = timezone.now() - timedelta(days=60)
    programme = Programme.objects.create(name="Bench", starts_on=start.date(),
                                         ends_on=(start + timedelta(days=100)).date())
    campaigns = Campaign.objects.bulk_create([
        Campaign(programme=programme, code=f"bench{n}", title=f"Action {n}",
                 starts_at=start + timedelta(days=7 * n),
                 ends_at=start + timedelta(days=7 * n, hours=3), participant_target=10,
                 mobilisation_deadline=start + timedelta(days=7 * n - 2),
                 status=Campaign.Status.OPEN) for n in range(1, CAMPAIGNS + 1)])
    slots = Slot.objects.bulk_create([
        Slot(campaign=c, starts_at=c.starts_at, ends_at=c.ends_at, capacity=PLEDGES)
        for c in campaigns for _ in range(SLOTS)])
    teams = Team.objects.bulk_create([Team(name=f"Team {n}") for n in range(PEOPLE // 10)])
    people = Participant.objects.bulk_create([
        Participant(email=f"p{n}@bench.example", referral_code=f"x{n:015d}",
                    team=teams[n // 10], site=f"Site {n % 7}", age_band="30-39")
        for n in range(PEOPLE)], batch_size=5000)
    launched = start + timedelta(days=1)
    rounds = -(-PLEDGES // PEOPLE)
    batch: list[Pledge] = []
    made = 0
    for r in range(rounds):
        for n, person in enumerate(people):
            if made >= PLEDGES:
                break
            if (n * 7 + r) % 10 < 3 or r < rounds - 1:
                batch.append(Pledge(slot=slots[(n + r * 7) % len(slots)], participant=person,
                                    status="confirmed", attendance="pending",
                                    created_at=launched + timedelta(seconds=n)))
                made += 1
            if len(batch) >= 20_000:
                Pledge.objects.bulk_create(batch)
                batch = []
    Pledge.objects.bulk_create(batch)
    experiment = Experiment.objects.create(
        campaign=campaigns[-1], title="Bench", hypothesis="H", salt="benchsalt",
        holdout_share=Decimal("0.05"), status=Experiment.Status.RUNNING, launched_at=launched,
        ends_at=timezone.now() + timedelta(days=10), created_by=owner)
    variants = [Variant.objects.create(experiment=experiment, name="Holdout", is_holdout=True),
                *[Variant.objects.create(experiment=experiment, name=f"V{i}", position=i,
                                         is_control=i == 1, lever_code="social_proof",
                                         channel="email", share=Decimal("0.3333"))
                  for i in (1, 2, 3)]]
    intervals = buckets(experiment, variants)
    rows = []
    for person in people:
        key = unit_key(unit="person", participant_id=person.pk, team_id=person.team_id)
        value = hash_value(experiment.salt, key)
        rows.append(Assignment(experiment=experiment, participant_id=person.pk, unit_key=key,
                               hash_value=Decimal(repr(value)).quantize(Decimal(10) ** -17),
                               variant=variant_for(value, intervals), assigned_at=launched))
    Assignment.objects.bulk_create(rows, batch_size=10_000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return experiment


def main() -> None:
    stale = Organisation.objects.filter(slug=SLUG).first()
    if stale is not None:
        drop(stale)
    organisation = organisation_provision(name="Bench experiments", slug=SLUG,
                                          owner_email=f"owner@{SLUG}.example",
                                          status=Organisation.Status.ACTIVE)
    owner = Membership.objects.get(organisation=organisation).user
    try:
        with tenant_context(organisation):
            started = time.perf_counter()
            experiment = fill(owner)
            print(f"filled {Pledge.objects.count():,} pledges, "
                  f"{Assignment.objects.count():,} assignments in "
                  f"{time.perf_counter() - started:.1f} s")
            floor, _ = timed(lambda: Pledge.objects.count())
            def look_again():
                # A look may conclude the experiment; each run measures a running one.
                Experiment.objects.filter(pk=experiment.pk).update(status="running")
                return experiment_look_store(experiment_id=experiment.pk)
            look_time, look = timed(look_again, runs=3)
            print(f"floor (count of the pledges)         {floor * 1000:8.0f} ms")
            print(f"daily look (SQL sums + analysis)     {look_time * 1000:8.0f} ms  "
                  f"x{look_time / floor:.2f} the floor; verdict {look.analysis['verdict']}")
            sums, _ = timed(lambda: _sums(ARM_SUMS_SQL, experiment.pk), runs=3)
            probes, _ = timed(lambda: _sums(_per_person(ARM_SUMS_SQL), experiment.pk), runs=3)
            print(f"arm sums, set-based (person_sql)     {sums * 1000:8.0f} ms  "
                  f"x{sums / floor:.2f} the floor")
            print(f"arm sums, one probe per person (old) {probes * 1000:8.0f} ms  "
                  f"x{probes / floor:.2f} the floor")
        client = Client(HTTP_HOST=organisation.domains.first().domain)
        client.force_login(owner)
        url = f"/experiments/{experiment.pk}/"
        assert client.get(url).status_code == 200
        page, _ = timed(lambda: client.get(url))
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        print(f"results page: {len(queries)} queries, "
              f"{sum(float(q['time']) for q in queries) * 1000:.0f} ms in the database")
        api, _ = timed(lambda: client.get(f"/api/v1/experiments/{experiment.pk}/results/"))
        print(f"results page (stored look)           {page * 1000:8.0f} ms  "
              f"x{page / floor:.2f} the floor")
        print(f"results API (stored look)            {api * 1000:8.0f} ms  "
              f"x{api / floor:.2f} the floor")
    finally:
        drop(organisation)


def _sums(sql: str, experiment_id: int) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, {"experiment_id": experiment_id})
        return cursor.fetchall()


def _per_person(sql: str) -> str:
    """The first version of the person query, kept as a reference: one probe of the
    pledges per assigned person (a LATERAL subquery) instead of one grouped scan."""
    start, end = sql.index("LEFT JOIN ("), sql.index(") pl")
    return sql[:start] + """CROSS JOIN LATERAL (
    SELECT coalesce(bool_or(true), false) AS pledged,
           coalesce(bool_or(x.attendance = 'attended'), false) AS attended
    FROM engagement_pledge x JOIN engagement_slot s ON s.id = x.slot_id
    WHERE x.participant_id = a.participant_id AND s.campaign_id = e.campaign_id
      AND x.status <> 'cancelled'
      AND (e.wave = 'reminder' OR x.created_at >= e.launched_at)
""" + sql[end:]


def drop(organisation: Organisation) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{organisation.schema_name}" CASCADE')
    users = list(organisation.memberships.values_list("user_id", flat=True))
    organisation.domains.all().delete()
    organisation.delete()
    User.objects.filter(pk__in=users).delete()


if __name__ == "__main__":
    main()
