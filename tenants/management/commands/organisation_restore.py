"""Bring one organisation back from its archive, at its address or a new one, into this
database or another (--database-url)."""

from pathlib import Path

import dj_database_url
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from tenants.services.backup import BackupError
from tenants.services.backup_restore import organisation_restore


class Command(BaseCommand):
    help = "Restore one organisation from an archive made by organisation_backup."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--slug", help="restore under this address instead of the archive's")
        parser.add_argument("--database-url",
                            help="restore into this database instead of DATABASE_URL's")

    def handle(self, *args, **options):
        if options["database_url"]:
            parsed = dj_database_url.parse(options["database_url"])
            connection.close()
            for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT"):
                connection.settings_dict[key] = parsed.get(key) or ""
        try:
            result = organisation_restore(path=Path(options["file"]), slug=options["slug"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        organisation = result.organisation
        self.stdout.write(self.style.SUCCESS(
            f"Restored {organisation.name} at {organisation.absolute_url('/')} "
            f"(schema {organisation.schema_name})."))
        for email in result.users_created:
            self.stdout.write(f"Created the login {email} without a password "
                              "(they choose one with the password reset).")
        for skipped in result.skipped:
            self.stdout.write(self.style.WARNING(f"Not restored: {skipped}"))
