"""Periodic work of the public schema. (The daily usage row of each organisation is counted
by engagement.organisation_usage, where its programmes are.)"""

from celery import shared_task


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def drop_unverified_organisations(self) -> list[str]:
    """Beat entry point (public schema): drop self-service spaces never verified in time."""
    from .services import unverified_organisations_drop as drop

    return drop()


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def build_closure_archive(self, organisation_id: int) -> str | None:
    """In the organisation's schema: the full export of a closing organisation."""
    from .models import Organisation
    from .services import closure_archive_build, is_closing

    organisation = Organisation.objects.get(pk=organisation_id)
    if not is_closing(organisation):  # cancelled meanwhile
        return None
    return str(closure_archive_build(organisation=organisation))


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def close_due_organisations(self) -> list[str]:
    """Beat entry point (public schema): close the organisations whose closure is due, and
    queue again the exports that a worker gave up on."""
    from .services import closure_archives_requeue, organisations_close_due

    closure_archives_requeue()
    return organisations_close_due()


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def send_closure_done_email(self, organisation_id: int, email: str, language: str) -> None:
    from .models import Organisation
    from .services import closure_done_email_send

    closure_done_email_send(organisation=Organisation.objects.get(pk=organisation_id),
                            email=email, language=language)


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def refill_spare_schemas(self) -> int:
    """Public schema: clone spare schemas until the pool (``SPARE_SCHEMAS``) is full; queued
    after every spare taken, and by the beat every minute."""
    from .spare_schemas import spare_schemas_refill

    return len(spare_schemas_refill())
