"""Large exports streamed, not built in memory: the peak memory (tracemalloc) of writing
the participants CSV and a lever experiment's per-person CSV at 10,000 and at 100,000
rows, streamed (as the responses now are: a server-side cursor read in chunks, one line
at a time) against the same export built whole in memory (every row fetched, then one
text: how the experiment's CSV was built before) in the same run. Flat means the 100k
peak is about the 10k peak; built whole, it grows with the rows.

Then the time of each streamed export at 100,000 rows against the floor of the same
run: PostgreSQL's own ``COPY (SELECT …) TO STDOUT`` of the same table's rows. That
decides whether an export can stay in the request (it streams from its first row: the
browser sees the download start at once) or must become a job with a file.

    DATABASE_URL=... python bench/exports_memory.py [rows, default 100000]
"""

from __future__ import annotations

import csv
import io
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterable
from datetime import timedelta
from decimal import Decimal

from _support import django_setup

django_setup()

from _support import analyze, organisation_drop, organisation_fresh  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone, translation  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from engagement.models import Campaign, Participant, Programme, Slot  # noqa: E402
from lab.experiments import export  # noqa: E402
from lab.experiments.models import Experiment  # noqa: E402
from lab.experiments.person_sql import PERSON_SQL  # noqa: E402
from lab.experiments.services import ExperimentSpec, VariantSpec, experiment_save  # noqa: E402
from methodology.services import library_load  # noqa: E402
from reports import exports  # noqa: E402

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
SMALL = ROWS // 10


def peak(call: Callable[[], object]) -> int:
    """The peak of Python memory allocated while ``call`` runs, in bytes."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def drain(lines: Iterable[str]) -> int:
    """What a streamed response does with its lines: encode and hand each one on."""
    size = 0
    for line in lines:
        size += len(line.encode())
    return size


def participants_streamed() -> int:
    return drain(exports.csv_lines(exports.PARTICIPANT_HEADER, exports.participant_rows()))


def participants_whole() -> int:
    rows = list(exports.participant_rows())
    return len("".join(exports.csv_lines(exports.PARTICIPANT_HEADER, rows)).encode())


def experiment_whole(experiment: Experiment) -> int:
    """The per-person CSV as it was built before: every row fetched, one text."""
    with connection.cursor() as cursor:
        cursor.execute(PERSON_SQL + " ORDER BY a.participant_id",
                       {"experiment_id": experiment.pk})
        columns = [c.name for c in cursor.description or []]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(export.CSV_COLUMNS)
    writer.writerows((r["participant_id"], r["unit_key"], r["variant"], int(r["is_holdout"]),
                      int(r["is_control"]), r["hash_value"], r["assigned_at"].isoformat(),
                      int(r["pledged"]), int(r["attended"]), int(r["success"]),
                      int(r["unsubscribed"]), int(r["complained"])) for r in rows)
    return len(out.getvalue().encode())


def copy_out(sql: str) -> int:
    size = 0
    with connection.cursor() as cursor, cursor.copy(
            f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
        for block in copy:
            size += len(block)
    return size


def people(start: int, end: int) -> None:
    Participant.objects.bulk_create(
        (Participant(email=f"person{n}@bench-export.example", first_name=f"Prénom{n}",
                     last_name=f"Nom{n}", site=f"Site {n % 7}", consent_to_contact=n % 2 == 0)
         for n in range(start, end)), batch_size=5_000)


def experiment_of(campaign: Campaign, size: int) -> Experiment:
    experiment = experiment_save(campaign=campaign, spec=ExperimentSpec(
        title=f"Bench {size}", hypothesis="Bench", holdout_share=Decimal(0),
        variants=[VariantSpec(name="A", lever_code="social_proof", channel="email"),
                  VariantSpec(name="B", lever_code="deadline", channel="email")]),
        user=None)
    variants = list(experiment.variants.order_by("pk").values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO lab_assignment (experiment_id, participant_id, variant_id, unit_key, "
            "hash_value, assigned_at) SELECT %s, p.id, CASE WHEN p.id %% 2 = 0 THEN %s ELSE %s "
            "END, 'p' || p.id, (p.id %% 1000) / 1000.0, now() FROM engagement_participant p "
            "ORDER BY p.id LIMIT %s", [experiment.pk, variants[0], variants[1], size])
    Experiment.objects.filter(pk=experiment.pk).update(launched_at=timezone.now(),
                                                       status=Experiment.Status.RUNNING)
    return experiment


def mb(size: int) -> str:
    return f"{size / 2**20:7.1f} MB"


def main() -> None:
    library_load()
    organisation = organisation_fresh("bench-export")
    try:
        with tenant_context(organisation), translation.override("en"):
            start = timezone.now() + timedelta(days=30)
            programme = Programme.objects.create(name="Bench", starts_on=start.date(),
                                                 ends_on=start.date())
            campaign = Campaign.objects.create(
                programme=programme, title="Bench", starts_at=start,
                ends_at=start + timedelta(hours=3), participant_target=10,
                mobilisation_deadline=start - timedelta(days=1), status="open")
            Slot.objects.create(campaign=campaign, starts_at=start,
                                ends_at=start + timedelta(hours=3), capacity=10)
            figures: dict[tuple[str, int], tuple[int, int]] = {}
            for size in (SMALL, ROWS):
                people(Participant.objects.count(), size)
                experiment = experiment_of(campaign, size)
                analyze()
                figures[("participants", size)] = (peak(participants_streamed),
                                                   peak(participants_whole))
                figures[("experiment", size)] = (
                    peak(lambda e=experiment: drain(export.people_csv_lines(e))),
                    peak(lambda e=experiment: experiment_whole(e)))
            # Time at ROWS, against PostgreSQL's own COPY of the same rows.
            began = time.perf_counter()
            size_participants = participants_streamed()
            participants_s = time.perf_counter() - began
            began = time.perf_counter()
            size_experiment = drain(export.people_csv_lines(experiment))
            experiment_s = time.perf_counter() - began
            began = time.perf_counter()
            copy_out("SELECT * FROM engagement_participant ORDER BY id")
            copy_participants_s = time.perf_counter() - began
            began = time.perf_counter()
            copy_out((PERSON_SQL + " ORDER BY a.participant_id").replace(
                "%(experiment_id)s", str(experiment.pk)))
            copy_experiment_s = time.perf_counter() - began

        print(f"peak Python memory (tracemalloc) at {SMALL:,} and {ROWS:,} rows:")
        for name in ("participants", "experiment"):
            small, large = figures[(name, SMALL)], figures[(name, ROWS)]
            print(f"  {name:12} streamed {mb(small[0])} → {mb(large[0])}  "
                  f"({large[0] / small[0]:4.1f} ×)   built whole {mb(small[1])} → "
                  f"{mb(large[1])}  ({large[1] / small[1]:4.1f} ×)")
        print(f"time at {ROWS:,} rows, streamed against PostgreSQL's COPY of the same rows:")
        print(f"  participants {participants_s:6.2f} s ({mb(size_participants)}, "
              f"{ROWS / participants_s:7.0f} rows/s)   COPY {copy_participants_s:5.2f} s   "
              f"{participants_s / copy_participants_s:5.1f} × COPY")
        print(f"  experiment   {experiment_s:6.2f} s ({mb(size_experiment)}, "
              f"{ROWS / experiment_s:7.0f} rows/s)   COPY {copy_experiment_s:5.2f} s   "
              f"{experiment_s / copy_experiment_s:5.1f} × COPY")
    finally:
        organisation_drop(organisation)


if __name__ == "__main__":
    main()
