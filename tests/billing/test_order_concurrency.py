"""Two orders by invoice at the same moment make one Stripe subscription: the
organisation, billing account and subscription rows are locked around the "already
subscribed" check (billing.services.ordering)."""

from concurrent.futures import ThreadPoolExecutor

from django.db import connection

from billing import services
from billing.models import BillingAccount, Subscription
from core.errors import DomainError
from tenants.models import Organisation

from .fake_stripe import FakeStripe
from .test_companies import DETAILS


def test_two_orders_at_once_make_one_subscription(committed, settings):
    """Committed, so that two connections order at the same time."""
    organisation = Organisation.objects.get(slug="testco")
    saved = Subscription.objects.get(organisation=organisation)
    status, trial = organisation.status, organisation.trial_ends_at
    with FakeStripe() as server:
        settings.STRIPE_SECRET_KEY = server.api_key
        settings.STRIPE_API_BASE = server.url
        settings.STRIPE_TIMEOUT_SECONDS = 5
        try:
            Subscription.objects.filter(pk=saved.pk).delete()
            services.catalogue_sync()
            services.billing_details_update(organisation=organisation, **DETAILS)

            def order(purchase_order):
                try:
                    services.subscription_order_by_invoice(
                        organisation=Organisation.objects.get(pk=organisation.pk),
                        plan="essential", interval="year", option_codes=[],
                        purchase_order=purchase_order, days_until_due=30)
                    return "subscribed"
                except DomainError as exc:
                    return exc.text
                finally:
                    connection.close()

            with ThreadPoolExecutor(max_workers=2) as pool:
                outcomes = list(pool.map(order, ["BC-A", "BC-B"]))
            assert outcomes.count("subscribed") == 1, outcomes
            assert any("You already have a subscription" in o for o in outcomes)
            assert len(server.objects("subscription")) == 1
        finally:
            Subscription.objects.filter(organisation=organisation).delete()
            saved.save(force_insert=True)
            BillingAccount.objects.filter(organisation=organisation).delete()
            Organisation.objects.filter(pk=organisation.pk).update(status=status,
                                                                   trial_ends_at=trial)
