"""Billing end to end against the local Stripe-compatible server (no test reaches Stripe)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from billing import services
from billing.models import BillingAccount, ConsultantTime, StripeEvent, Subscription
from tenants.models import ConsultantAssignment, Organisation, User

from ..conftest import PASSWORD, public_client, tenant_client
from .fake_stripe import FakeStripe

SECRET = "whsec_test_fullmobs"


@pytest.fixture
def fake(settings):
    with FakeStripe() as server:
        settings.STRIPE_SECRET_KEY = server.api_key
        settings.STRIPE_API_BASE = server.url
        settings.STRIPE_WEBHOOK_SECRET = SECRET
        settings.STRIPE_TIMEOUT_SECONDS = 2
        yield server


@pytest.fixture
def trial_org(org_a):
    """testco as a fresh trial organisation (rolled back after the test)."""
    Subscription.objects.filter(organisation=org_a).delete()
    Organisation.objects.filter(pk=org_a.pk).update(
        status=Organisation.Status.TRIAL, trial_ends_at=timezone.now() + timedelta(days=20))
    org_a.refresh_from_db()
    return org_a


def deliver(client, fake, event):
    body, signature = fake.webhook(event, SECRET)
    return client.post("/billing/stripe/webhook/", body, content_type="application/json",
                       HTTP_STRIPE_SIGNATURE=signature)


@pytest.mark.django_db
def test_catalogue_sync_is_idempotent(fake):
    first = services.catalogue_sync()
    assert first.created and not first.updated
    prices = fake.objects("price")
    assert {p["lookup_key"] for p in prices} >= {"fullmobs_plan_essential_month",
                                                 "fullmobs_plan_territory_year",
                                                 "fullmobs_extra_participants_metered"}
    second = services.catalogue_sync()
    assert not second.created and not second.updated
    assert len(fake.objects("price")) == len(prices)


@pytest.mark.django_db
def test_full_lifecycle_trial_paid_failed_suspended_paid(
        fake, trial_org, owner_a, eager, django_capture_on_commit_callbacks, settings):
    services.catalogue_sync()
    owner = tenant_client(trial_org, owner_a)
    response = owner.post("/billing/checkout/", {"plan": "professional", "interval": "year",
                                                 "options": ["lever_analytics"]})
    assert response.status_code == 302 and response["Location"].startswith(fake.url)
    session_id = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    assert len(fake.objects("customer")) == 1
    # Paying on Checkout; Stripe then calls the webhook.
    event = fake.complete_checkout(session_id)
    webhook = public_client()
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(webhook, fake, event).content == b"received"
    trial_org.refresh_from_db()
    subscription = Subscription.objects.get(organisation=trial_org)
    assert (trial_org.status, subscription.plan, subscription.options, subscription.interval) \
        == ("active", "professional", ["lever_analytics"], "year")
    # A replay is acknowledged and not processed again.
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(webhook, fake, event).content == b"already received"
    assert StripeEvent.objects.get(event_id=event["id"]).attempts == 1

    # The renewal fails: past due, owners told, banner shown.
    failed = fake.fail_invoice_payment(subscription.stripe_subscription_id)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(webhook, fake, failed)
    trial_org.refresh_from_db()
    assert trial_org.status == "past_due"
    assert any("payment" in m.subject.lower() and owner_a.email in m.to for m in mail.outbox)
    assert "The last payment failed" in owner.get("/").content.decode()

    # After the grace period: suspended, read-only.
    assert services.overdue_organisations_suspend(
        now=timezone.now() + timedelta(days=settings.BILLING_GRACE_DAYS + 1))
    trial_org.refresh_from_db()
    assert trial_org.status == "suspended"
    assert owner.post("/programmes/", {"name": "X", "starts_on": "2027-01-01",
                                       "ends_on": "2027-01-02"}).status_code == 403

    # Paying restores everything.
    paid = fake.pay_invoice(subscription.stripe_subscription_id)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(webhook, fake, paid)
    trial_org.refresh_from_db()
    assert trial_org.status == "active"
    assert Subscription.objects.get(organisation=trial_org).past_due_since is None


@pytest.mark.django_db
def test_out_of_order_events_end_in_stripes_current_state(
        fake, trial_org, owner_a, eager, django_capture_on_commit_callbacks):
    services.catalogue_sync()
    owner = tenant_client(trial_org, owner_a)
    location = owner.post("/billing/checkout/", {"plan": "essential", "interval": "month"}
                          )["Location"]
    completed = fake.complete_checkout(location.rstrip("/").rsplit("/", 1)[-1])
    sub_id = completed["data"]["object"]["subscription"]
    failed = fake.fail_invoice_payment(sub_id)
    paid = fake.pay_invoice(sub_id)
    webhook = public_client()
    # Delivered newest first: the state still ends as Stripe has it now (active).
    for event in (paid, failed, completed):
        with django_capture_on_commit_callbacks(execute=True):
            deliver(webhook, fake, event)
    trial_org.refresh_from_db()
    assert trial_org.status == "active"
    assert Subscription.objects.get(organisation=trial_org).plan == "essential"


@pytest.mark.django_db
def test_stripe_errors_are_clear_and_retried_without_duplicates(fake, trial_org, owner_a):
    services.catalogue_sync()
    owner = tenant_client(trial_org, owner_a)
    # A transient 500 on customer creation is retried with the same idempotency key.
    fake.fail_next("POST", "/v1/customers", status=500)
    response = owner.post("/billing/checkout/", {"plan": "essential", "interval": "month"})
    assert response.status_code == 302 and response["Location"].startswith(fake.url)
    assert len(fake.objects("customer")) == 1
    # A refusal is shown to the owner, in words.
    fake.fail_next("POST", "/v1/checkout/sessions", status=400, times=3)
    refused = owner.post("/billing/checkout/", {"plan": "essential", "interval": "month"},
                         follow=True)
    page = refused.content.decode()
    assert "Plan and options" in page
    assert 'class="error"' in page
    assert len(fake.objects("customer")) == 1
    assert BillingAccount.objects.get(organisation=trial_org).stripe_customer_id


@pytest.mark.django_db
def test_consultant_time_is_billed_exactly_once(fake, org_a):
    # Without the accompaniment pack, all of it is invoiced (test_accompaniment: with it).
    Subscription.objects.filter(organisation=org_a).update(options=["lever_analytics"])
    org_a.refresh_from_db()
    consultant = User.objects.create_user(email="c@fullmobs.test", password=PASSWORD,
                                          is_consultant=True)
    ConsultantAssignment.objects.create(consultant=consultant, organisation=org_a)
    client = public_client(consultant)
    today = timezone.localdate()
    for minutes in (90, 45):
        assert client.post("/console/time/", {"organisation": org_a.slug,
                                               "worked_on": today, "minutes": minutes,
                                               "description": "Workshop"}).status_code == 302
    refused = client.post("/console/time/", {"organisation": org_a.slug, "worked_on": today,
                                             "minutes": 0, "description": "x"})
    assert refused.status_code == 400
    # The first invoice item request fails once; the retry carries the same key.
    fake.fail_next("POST", "/v1/invoiceitems", status=500)
    billed = services.consultant_time_bill(organisation=org_a)
    assert len(billed) == 2
    assert services.consultant_time_bill(organisation=org_a) == []
    items = fake.objects("invoiceitem")
    assert sorted(i["amount"] for i in items) == [9000, 18000]  # 120 €/h
    assert ConsultantTime.objects.filter(billed_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_usage_is_reported_once_a_day(fake, org_a):
    services.catalogue_sync()
    Subscription.objects.filter(organisation=org_a).update(plan="essential",
                                                           options=["extra_participants"])
    org_a.refresh_from_db()
    day = timezone.localdate()
    report = services.usage_report(organisation=org_a, active_participants=620, day=day)
    assert report.billable == 120  # beyond the plan's 500
    again = services.usage_report(organisation=org_a, active_participants=650, day=day)
    assert again.pk == report.pk
    assert len(fake.meter_events) == 1
    tomorrow = services.usage_report(organisation=org_a, active_participants=650,
                                     day=day + timedelta(days=1))
    if tomorrow.day.month == day.month:
        assert tomorrow.billable == 30  # only the people added since


@pytest.mark.django_db
def test_invoices_page_lists_stripe_invoices(fake, trial_org, owner_a):
    services.catalogue_sync()
    owner = tenant_client(trial_org, owner_a)
    location = owner.post("/billing/checkout/", {"plan": "essential", "interval": "month"}
                          )["Location"]
    fake.complete_checkout(location.rstrip("/").rsplit("/", 1)[-1])
    page = owner.get("/billing/invoices/").content.decode()
    # Amounts in the reader's language, through the one money helper (not "290.00 EUR").
    assert "PDF" in page and "€290.00" in page and "EUR" not in page


@pytest.mark.django_db
def test_billing_details_reach_the_stripe_customer(fake, trial_org, owner_a):
    services.catalogue_sync()
    owner = tenant_client(trial_org, owner_a)
    owner.post("/billing/checkout/", {"plan": "essential", "interval": "month"})
    details = {"customer_kind": "company", "legal_name": "Testco SAS",
               "address_line1": "1 rue de la Paix", "postal_code": "75002", "city": "Paris",
               "country": "FR", "billing_email": "Compta@testco.example"}
    bad = owner.post("/billing/details/", {**details, "vat_number": "12"})
    assert bad.status_code == 400
    assert 'id="id_vat_number_errors"' in bad.content.decode()
    assert "This is not an EU VAT number" in bad.content.decode()
    owner.post("/billing/details/", {**details, "vat_number": "FR 40 303 265 045"})
    account = BillingAccount.objects.get(organisation=trial_org)
    assert (account.billing_email, account.vat_number) == ("compta@testco.example",
                                                           "FR40303265045")
    customer = fake.get(account.stripe_customer_id)
    assert customer["email"] == "compta@testco.example"
    assert customer["name"] == "Testco SAS"
    assert customer["address"]["city"] == "Paris"
    assert [t["value"] for t in fake.objects("tax_id")] == ["FR40303265045"]


@pytest.mark.django_db
def test_engagement_counts_the_month_s_active_participants_for_the_usage_report(fake, org_a):
    from django_tenants.utils import tenant_context

    from billing.models import UsageReport
    from engagement.usage import report_usage

    from ..factories import PledgeFactory, SlotFactory

    services.catalogue_sync()
    Subscription.objects.filter(organisation=org_a).update(plan="essential",
                                                           options=["extra_participants"])
    org_a.refresh_from_db()
    with tenant_context(org_a):
        slot = SlotFactory()
        first = PledgeFactory(slot=slot).participant
        PledgeFactory(slot=SlotFactory(), participant=first)  # one person, counted once
        PledgeFactory(slot=slot)
        report_usage()
    report = UsageReport.objects.get(organisation=org_a, day=timezone.localdate())
    assert (report.active_participants, report.billable) == (2, 0)
