from django.core.management.base import BaseCommand, CommandError

from billing import stripe_api
from billing.services import catalogue_sync


class Command(BaseCommand):
    help = ("Create or update the Stripe products and prices of billing/catalogue.yaml, "
            "found by lookup key (idempotent: a second run reports everything unchanged).")

    def handle(self, *args, **options):
        if not stripe_api.configured():
            raise CommandError("STRIPE_SECRET_KEY is not set: nothing to synchronise.")
        report = catalogue_sync()
        for label, names in (("created", report.created), ("updated", report.updated),
                             ("unchanged", report.unchanged)):
            for name in names:
                self.stdout.write(f"{label:<9} {name}")
        self.stdout.write(self.style.SUCCESS(
            f"{len(report.created)} created, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged."))
