"""The hourly resync of each organisation's listed campaigns (``services.directory``): the
safety net behind the on-commit updates, for counts moved by paths that do not update the
index themselves (walk-ins, approved parties) and for a closure cancelled."""

from celery import shared_task

from core.tenancy import for_each_ready_organisation

from .services.directory import campaigns_directory_resync


@shared_task
def resync_directory_for_all_organisations() -> int:
    return for_each_ready_organisation(resync_directory)


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def resync_directory(self) -> int:
    return campaigns_directory_resync()
