"""Write one organisation's archive: schema, public rows, files (docs/deployment.md)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tenants.models import Organisation
from tenants.services.backup import BackupError, organisation_backup


class Command(BaseCommand):
    help = "Export one organisation (schema, rows, members, files) into an archive."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("file", help="the archive to write (.tar.gz)")

    def handle(self, *args, **options):
        organisation = Organisation.objects.filter(slug=options["slug"]).first()
        if organisation is None:
            raise CommandError(f"No organisation at the address {options['slug']!r}.")
        path = Path(options["file"])
        try:
            manifest = organisation_backup(organisation=organisation, path=path)
        except BackupError as exc:
            path.unlink(missing_ok=True)
            raise CommandError(str(exc)) from exc
        rows = sum(table["rows"] for table in manifest["tables"].values())
        files = sum(1 for name in manifest["members"] if name.startswith("files/"))
        self.stdout.write(self.style.SUCCESS(
            f"Wrote {path} ({path.stat().st_size} bytes): {len(manifest['tables'])} tables, "
            f"{rows} rows, {files} files."))
