from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from tenants.models import Organisation
from tenants.services import organisation_provision


class Command(BaseCommand):
    help = "Create an organisation (schema cloned from the template), its domain and its owner."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("name")
        parser.add_argument("owner_email")
        parser.add_argument("--kind", default=Organisation.Kind.COMPANY,
                            choices=Organisation.Kind.values)
        parser.add_argument("--locale", default="fr", choices=["fr", "en"])
        parser.add_argument("--timezone", default="Europe/Paris")
        parser.add_argument("--owner-name", default="")

    def handle(self, *args, **options):
        try:
            organisation = organisation_provision(
                name=options["name"], slug=options["slug"], owner_email=options["owner_email"],
                owner_name=options["owner_name"], kind=options["kind"],
                locale=options["locale"], timezone_name=options["timezone"],
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"Created {organisation.name} at {organisation.absolute_url('/')}; "
            f"an invitation was e-mailed to {options['owner_email']}."
        ))
