"""The one place that makes a Stripe client (tests point it at a local fake server)."""

from __future__ import annotations

from typing import Any

import stripe
from django.conf import settings


class BillingNotConfigured(Exception):
    pass


def configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def client() -> stripe.StripeClient:
    if not configured():
        raise BillingNotConfigured("STRIPE_SECRET_KEY is not set.")
    options: dict[str, Any] = {"max_network_retries": 2,
               "http_client": stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS)}
    if settings.STRIPE_API_BASE:
        options["base_addresses"] = {"api": settings.STRIPE_API_BASE}
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, **options)
