"""Periodic work of the public schema. (The daily usage row of each organisation is counted
by engagement.organisation_usage, where its programmes are.)"""

from celery import shared_task


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def drop_unverified_organisations(self) -> list[str]:
    """Beat entry point (public schema): drop self-service spaces never verified in time."""
    from .services import unverified_organisations_drop as drop

    return drop()
