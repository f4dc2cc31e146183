"""Billing work that leaves the request: webhook processing, dunning, usage, time."""

from celery import shared_task
from django.utils import timezone
from django_tenants.utils import schema_context

from core.tenancy import current_organisation, for_each_ready_organisation
from tenants.models import Organisation

from . import services


@shared_task(autoretry_for=(Exception,), retry_backoff=True, retry_backoff_max=600,
             max_retries=8)
def process_stripe_event(event_id: str) -> str:
    """Runs in the public schema (billing is shared): reads the organisation's state from
    Stripe, whatever order events came in; retried with backoff when Stripe fails."""
    with schema_context("public"):
        return services.event_process(event_id=event_id)


@shared_task
def suspend_overdue_organisations() -> int:
    with schema_context("public"):
        return len(services.suspend_overdue())


@shared_task
def report_usage_for_all_organisations() -> int:
    """Daily: count each organisation's active participants in its schema, report them."""
    from .entitlements import entitlements_for

    return for_each_ready_organisation(
        report_usage,
        where=lambda organisation: "extra_participants" in entitlements_for(organisation).options)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def report_usage() -> None:
    from engagement.models import Participant

    today = timezone.localdate()
    organisation = current_organisation()
    active = Participant.objects.filter(pledges__created_at__date__gte=today.replace(day=1)
                                        ).distinct().count()
    with schema_context("public"):
        services.usage_report(organisation=organisation, active_participants=active, day=today)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def bill_consultant_time() -> int:
    """Month end: unbilled accompaniment time becomes invoice items, once."""
    from .models import ConsultantTime

    with schema_context("public"):
        organisations = Organisation.objects.filter(
            pk__in=ConsultantTime.objects.filter(billed_at__isnull=True)
            .values("organisation"))
        return sum(len(services.consultant_time_bill(organisation=o)) for o in organisations)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def notify_staff_of_offer_request(offer_request_id: int) -> bool:
    """Requests live in the public schema, wherever they were made from."""
    from .offers import offer_request_notify_staff

    with schema_context("public"):
        return offer_request_notify_staff(offer_request_id=offer_request_id)
