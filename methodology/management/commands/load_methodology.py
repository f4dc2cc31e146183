from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from methodology.services import library_load


class Command(BaseCommand):
    help = ("Load the lever and indicator catalogue and the template library shipped in "
            "methodology/library/ (idempotent: reports what it created, updated or left).")

    def add_arguments(self, parser):
        parser.add_argument("--quiet-unchanged", action="store_true",
                            help="Only list what changed.")

    def handle(self, *args, **options):
        try:
            report = library_load()
        except DomainError as exc:
            lines = [f"  {where}: {message}" for where, messages in exc.errors.items()
                     for message in messages]
            raise CommandError("The library was not loaded:\n" + "\n".join(lines)) from exc
        for line in report.lines():
            if options["quiet_unchanged"] and line.startswith("unchanged"):
                continue
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(
            f"{len(report.created)} created, {len(report.updated)} updated, "
            f"{len(report.skipped)} skipped, {len(report.unchanged)} unchanged."))
