from django.conf import settings
from django.core.management.base import BaseCommand

from config.broker import ensure_configured_broker


class Command(BaseCommand):
    help = "Prepare the Celery broker (installs PGMQ in the database when it is the broker)."

    def handle(self, *args, **options):
        ensure_configured_broker()
        self.stdout.write(f"Broker ready: {settings.CELERY_BROKER_URL.split('://')[0]}")
