"""The daily retention pass (beat entry in config/settings/celery.py): in each ready
organisation, inactive people are warned, then anonymised (``services.retention``).

Report files, which engagement cannot see, have their own pass in ``reports.retention``."""

from celery import shared_task
from django.utils import timezone

from core.tenancy import for_each_ready_organisation

from .services.retention import participants_retention_apply


@shared_task
def apply_retention_for_all_organisations() -> int:
    """Beat entry point (public schema): one pass per ready organisation, queued inside
    its context so tenant-schemas-celery stamps its schema on the message."""
    return for_each_ready_organisation(apply_retention)


@shared_task
def apply_retention() -> dict[str, int]:
    """Idempotent: a second run, or one overlapping this one, warns and erases nobody
    twice; a failed run needs no retry, the next day's does its work."""
    return participants_retention_apply(now=timezone.now())
