"""The daily usage row of each organisation (tenants.OrganisationUsage): its programmes,
counted here where they live, and its members. Periodic work that fans out over
organisations, each part running in its own schema."""

from celery import shared_task
from django.utils import timezone

from core.tenancy import current_organisation, current_schema, for_each_ready_organisation
from tenants.models import Membership, OrganisationUsage

from .models import Programme


@shared_task
def refresh_usage_for_all_organisations() -> int:
    """Beat entry point (public schema): queue one usage refresh per ready organisation.

    Each task is queued inside the organisation's context, so tenant-schemas-celery stamps
    its schema on the message and the worker runs it there.
    """
    return for_each_ready_organisation(refresh_organisation_usage)


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def refresh_organisation_usage(self) -> dict:
    """Count today's figures of the organisation whose schema this task runs in."""
    organisation = current_organisation()
    usage, _ = OrganisationUsage.objects.update_or_create(
        organisation=organisation,
        day=timezone.localdate(),
        defaults={
            "programmes": Programme.objects.count(),
            "members": Membership.objects.filter(organisation=organisation).count(),
            "schema_name": current_schema(),
            "computed_at": timezone.now(),
        },
    )
    return {"schema": usage.schema_name, "programmes": usage.programmes}
