"""Billing writes, one module per concern; import them from here."""

from .checkout import checkout_start, invoices, portal_url, price_ids
from .consultant_time import (
    HOURLY_RATE_CENTS,
    consultant_time_bill,
    consultant_time_delete,
    consultant_time_log,
    consultant_time_update,
)
from .customers import VAT_PATTERN, billing_details_update, customer_ensure
from .ordering import PAYMENT_TERMS, quote_create, subscription_order_by_invoice
from .quota_notices import (
    quota_notice_email_send,
    quota_reached_record,
    quota_reached_tell_owners,
)
from .stripe_catalogue import SyncReport, catalogue_sync
from .subscriptions import (
    LIVE_STATUSES,
    overdue_organisations_suspend,
    payment_failure_tell_owners,
    subscription_sync,
)
from .usage import usage_report
from .webhooks import WEBHOOK_TOLERANCE_SECONDS, event_process, event_record

__all__ = [
    "HOURLY_RATE_CENTS", "LIVE_STATUSES", "PAYMENT_TERMS", "VAT_PATTERN",
    "WEBHOOK_TOLERANCE_SECONDS",
    "SyncReport", "billing_details_update", "catalogue_sync", "checkout_start",
    "consultant_time_bill", "consultant_time_delete", "consultant_time_log",
    "consultant_time_update", "customer_ensure", "event_process", "event_record", "invoices",
    "overdue_organisations_suspend", "payment_failure_tell_owners", "portal_url", "price_ids",
    "quota_notice_email_send", "quota_reached_record", "quota_reached_tell_owners",
    "quote_create",
    "subscription_order_by_invoice", "subscription_sync", "usage_report",
]
