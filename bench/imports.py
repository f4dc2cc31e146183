"""A 20,000-row participant import: the check (dry run) and the writing, against references
measured in the same run — a raw COPY of the same rows (the floor: no check, no merge, no
consent) and the former row-by-row path (``participant_upsert`` per row, on a sample, scaled
to the list). One list in ten is people already known (completed, not created), and one
row in three says "yes" to consent (records in bulk). Each timed writing is rolled back,
so every run sees the same organisation; then the job path (stored list, check, confirm,
writing, as the worker runs it) once. The organisation is dropped at the end.

    DATABASE_URL=... python bench/imports.py [rows, default 20000]

The database is migrated (``migrate_schemas --shared``). Goal (issue 16): check + writing
of 20,000 rows under 10 s.
"""

from __future__ import annotations

import sys
import time

from _support import django_setup

django_setup()

from _support import organisation_drop, organisation_fresh, timed  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from engagement.models import BulkJob, Participant  # noqa: E402
from engagement.services import bulk_jobs  # noqa: E402
from engagement.services.bulk_jobs import (  # noqa: E402
    import_job_check,
    import_job_confirm,
    import_job_create,
    import_job_run,
)
from engagement.services.joining import participant_upsert  # noqa: E402
from engagement.services.participants import participants_import  # noqa: E402

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
SAMPLE = 1_000  # rows through the former path, scaled to ROWS
TEAMS = ("Ventes", "Support", "Finance", "Logistique", "RH")


class Rollback(Exception):
    pass


def rolled_back(call):
    def run():
        try:
            with transaction.atomic():
                result = call()
                raise Rollback
        except Rollback:
            return result
    return run


def csv_text() -> str:
    lines = ["email;first_name;last_name;team;site;postcode;age_band;language;consent"]
    for n in range(ROWS):
        lines.append(f"person{n}@bench-import.example;Prénom{n};Nom{n};{TEAMS[n % 5]};"
                     f"Site {n % 7};{69000 + n % 100};25-34;{'fr' if n % 2 else 'en'};"
                     f"{'oui' if n % 3 == 0 else ''}")
    return "\n".join(lines) + "\n"


def main() -> None:
    organisation = organisation_fresh("bench-import")
    try:
        with tenant_context(organisation):
            # One person in ten is known already (by another case of their address).
            Participant.objects.bulk_create(
                Participant(email=f"PERSON{n}@bench-import.example", first_name="Known")
                for n in range(0, ROWS, 10))
            text = csv_text()
            print(f"{ROWS} rows, {len(text.encode()) / 2**20:.1f} MB, "
                  f"{ROWS // 10} already known")

            check, report = timed(lambda: participants_import(
                text=text, dry_run=True, consent_collected=True), runs=3)
            assert report.valid_rows == ROWS and not report.errors, report.errors[:3]
            write, report = timed(rolled_back(lambda: participants_import(
                text=text, dry_run=False, consent_collected=True)), runs=3)
            assert report.imported and report.created == ROWS - ROWS // 10

            columns = [f.column for f in Participant._meta.concrete_fields
                       if not f.primary_key]

            def raw_copy() -> None:
                with connection.cursor() as cursor:
                    cursor.execute("CREATE TEMP TABLE bench_rows ON COMMIT DROP AS SELECT "
                                   f"{', '.join(columns)} FROM engagement_participant "
                                   "WITH NO DATA")
                    people = [Participant(email=f"copy{n}@bench-import.example",
                                          first_name=f"Prénom{n}") for n in range(ROWS)]
                    with cursor.copy(f"COPY bench_rows ({', '.join(columns)}) "
                                     "FROM STDIN") as copy:
                        for person in people:
                            copy.write_row([getattr(person, f.attname) for f in
                                            Participant._meta.concrete_fields
                                            if not f.primary_key])
            copy_time, _ = timed(rolled_back(raw_copy), runs=3)

            def row_by_row() -> None:
                for n in range(SAMPLE):
                    participant_upsert(email=f"person{n}@bench-import.example",
                                       first_name=f"Prénom{n}", last_name=f"Nom{n}",
                                       team=TEAMS[n % 5], site=f"Site {n % 7}",
                                       language="fr", consent_to_contact=n % 3 == 0 or None,
                                       source=Participant.Source.IMPORT)
            sample, _ = timed(rolled_back(row_by_row), runs=1)
            former = sample * ROWS / SAMPLE

            # The steps run here, as the worker runs them: no message to a broker.
            bulk_jobs.enqueue_on_commit = lambda *args, **kwargs: None
            start = time.perf_counter()
            job = import_job_create(text=text, consent_collected=True)
            import_job_check(job_id=job.pk)
            job.refresh_from_db()
            checked = time.perf_counter()
            import_job_confirm(job=job)
            import_job_run(job_id=job.pk)
            job.refresh_from_db()
            done = time.perf_counter()
            assert job.status == BulkJob.Status.DONE, job.report
            assert Participant.objects.count() == ROWS

        total = check + write
        print(f"check (dry run)            {check:6.2f} s")
        print(f"writing (bulk upsert)      {write:6.2f} s")
        print(f"check + writing            {total:6.2f} s   goal < 10 s: "
              f"{'met' if total < 10 else 'NOT met'}")
        print(f"raw COPY of the rows       {copy_time:6.2f} s   writing = "
              f"{write / copy_time:4.1f} × raw COPY")
        print(f"former row-by-row path     {former:6.1f} s   (measured on {SAMPLE} rows; "
              f"bulk is {former / write:4.0f} × faster)")
        print(f"job: stored + checked      {checked - start:6.2f} s; confirmed + written "
              f"{done - checked:6.2f} s (in this process, as the worker runs it)")
    finally:
        organisation_drop(organisation)


if __name__ == "__main__":
    main()
