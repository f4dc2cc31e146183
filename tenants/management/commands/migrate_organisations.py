from collections import Counter

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tenants.schema_migrations import (
    CURRENT,
    FAILED,
    MISSING,
    PENDING,
    MigrationLocked,
    SchemaOutcome,
    migration_status,
    organisations_migrate,
)


class Command(BaseCommand):
    help = (
        "Migrate public and every organisation's schema: schemas already up to date are found "
        "in one query and skipped; each other schema's migrations run in one transaction "
        "(a failure rolls that schema back whole), several schemas at a time. Failures are "
        "recorded; a re-run resumes with the failed and pending schemas. --status reports "
        "where each schema stands. One run at a time per database (an advisory lock): a "
        "second run waits for the first, or gives up after --lock-wait seconds."
    )

    def add_arguments(self, parser):
        parser.add_argument("--status", action="store_true",
                            help="Report each schema's state (up to date, pending N, failed) "
                                 "and apply nothing.")
        parser.add_argument("--processes", type=int,
                            default=getattr(settings, "TENANT_MULTIPROCESSING_MAX_PROCESSES", 2),
                            help="Schemas migrated at once (default: "
                                 "TENANT_MULTIPROCESSING_MAX_PROCESSES, or 2).")
        parser.add_argument("--fail-fast", action="store_true",
                            help="Stop handing out schemas after the first failure (those "
                                 "already running finish). By default every schema is tried.")
        parser.add_argument("--schema", action="append", dest="schemas", metavar="NAME",
                            help="Only this schema (repeatable).")
        parser.add_argument("--max-tasks-per-child", type=int, default=None,
                            help="Replace a worker process after this many schemas.")
        parser.add_argument("--lock-wait", type=float, default=None, metavar="SECONDS",
                            help="If another run holds the migration lock, wait at most this "
                                 "long, then exit with an error (0: do not wait). By default "
                                 "wait until it is done.")

    def handle(self, *args, **options):
        schemas = options["schemas"]
        if options["status"]:
            self._status(schemas, options["verbosity"])
            return
        verbosity = options["verbosity"]

        def progress(outcome: SchemaOutcome) -> None:
            if outcome.skipped:
                return
            if not outcome.ok:
                self.stderr.write(f"{outcome.schema_name}: FAILED at "
                                  f"{outcome.migration or '?'}, rolled back: {outcome.error}")
            elif verbosity >= 2:
                self.stdout.write(f"{outcome.schema_name}: {outcome.applied} applied "
                                  f"({outcome.seconds:.2f} s)")

        def waiting(holder: str) -> None:
            self.stderr.write(f"Another migrate_organisations run holds the lock ({holder}); "
                              "waiting for it to finish.")

        try:
            run = organisations_migrate(
                processes=options["processes"], fail_fast=options["fail_fast"],
                schema_names=schemas, max_tasks_per_child=options["max_tasks_per_child"],
                progress=progress, lock_wait=options["lock_wait"], on_lock_wait=waiting,
            )
        except MigrationLocked as exc:
            raise CommandError(f"{exc} Nothing was migrated; run again once it is done.") \
                from exc
        counts = Counter(status.state for status in run.statuses)
        migrated_names = {outcome.schema_name for outcome in run.outcomes if outcome.ok}
        migrated = len(migrated_names)
        untouched = sum(1 for status in run.statuses
                        if status.state == CURRENT and status.schema_name not in migrated_names)
        skipped = sum(1 for outcome in run.outcomes if outcome.skipped)
        if verbosity >= 1:
            self.stdout.write(
                f"{len(run.statuses)} schemas checked in {run.check_seconds:.2f} s: "
                f"{untouched} up to date, {migrated} migrated, {len(run.failed)} failed"
                + (f", {skipped} not attempted (--fail-fast)" if skipped else "")
                + (f", {counts[MISSING]} missing" if counts[MISSING] else "")
                + (f" ({run.apply_seconds:.1f} s)" if run.outcomes else "")
            )
            if run.spares_dropped:
                self.stdout.write(f"{len(run.spares_dropped)} spare schema(s) behind the "
                                  "template dropped (the pool is refilled by its task).")
        if run.failed or skipped:
            raise CommandError(
                f"{len(run.failed)} schema(s) failed and were rolled back; see "
                "`migrate_organisations --status`. A re-run resumes with them.")

    def _status(self, schemas, verbosity):
        statuses = migration_status(schemas)
        counts = Counter(status.state for status in statuses)
        for status in statuses:
            if status.state == PENDING:
                self.stdout.write(f"{status.schema_name}: pending {len(status.pending)} "
                                  f"({', '.join(status.pending[:5])}"
                                  f"{', …' if len(status.pending) > 5 else ''})")
            elif status.state == FAILED:
                self.stdout.write(f"{status.schema_name}: failed at {status.failed_migration}, "
                                  f"pending {len(status.pending)}: {status.error}")
            elif status.state == MISSING:
                self.stdout.write(f"{status.schema_name}: schema missing")
            elif verbosity >= 2:
                self.stdout.write(f"{status.schema_name}: up to date")
        self.stdout.write(f"{len(statuses)} schemas: {counts[CURRENT]} up to date, "
                          f"{counts[PENDING]} pending, {counts[FAILED]} failed"
                          + (f", {counts[MISSING]} missing" if counts[MISSING] else ""))

