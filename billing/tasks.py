"""Billing work that leaves the request: webhook processing, dunning, consultant time and
offer requests. (Usage is counted by engagement, which calls billing's usage report:
engagement.usage.)"""

from celery import shared_task
from django_tenants.utils import schema_context

from tenants.models import Organisation

from . import services
from .models import ConsultantTime
from .offers import offer_request_notify_staff


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
        return len(services.overdue_organisations_suspend())


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def bill_consultant_time() -> int:
    """Month end: unbilled accompaniment time becomes invoice items, once."""
    with schema_context("public"):
        organisations = Organisation.objects.filter(
            pk__in=ConsultantTime.objects.filter(billed_at__isnull=True)
            .values("organisation"))
        return sum(len(services.consultant_time_bill(organisation=o)) for o in organisations)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def notify_staff_of_offer_request(offer_request_id: int) -> bool:
    """Requests live in the public schema, wherever they were made from."""
    with schema_context("public"):
        return offer_request_notify_staff(offer_request_id=offer_request_id)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def tell_owners_quota_reached(notice_id: int) -> int:
    """Queued from a tenant's join; notices live in the public schema."""
    with schema_context("public"):
        return services.quota_reached_tell_owners(notice_id=notice_id)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def send_quota_notice_email(email_id: int) -> bool:
    """One owner's e-mail about a full participants quota (public schema)."""
    with schema_context("public"):
        return services.quota_notice_email_send(email_id=email_id)
