"""Entitlements and their gates, with no payment service involved."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from billing.entitlements import entitlements_for
from billing.models import StripeEvent, Subscription
from core.errors import DomainError
from engagement.models import Campaign, Programme
from tenants.models import Organisation

from ..conftest import public_client, tenant_client
from ..factories import make_campaign


def downgrade(organisation, *, plan="essential", options=()):
    Subscription.objects.filter(organisation=organisation).update(plan=plan,
                                                                  options=list(options))
    organisation.refresh_from_db()


@pytest.mark.django_db
def test_trial_gets_the_programme_plan_for_30_days(org_a):
    trial = Organisation(status=Organisation.Status.TRIAL,
                         trial_ends_at=timezone.now() + timedelta(days=30))
    rights = entitlements_for(trial)
    assert (rights.plan, rights.limit("programmes"), rights.limit("participants")) == (
        "professional", 5, 5000)
    assert not rights.read_only and not rights.allows("lever_analytics")
    over = entitlements_for(Organisation(status=Organisation.Status.TRIAL,
                                         trial_ends_at=timezone.now() - timedelta(days=1)))
    assert over.plan is None and over.read_only
    assert entitlements_for(org_a).limit("programmes") is None  # territory: unlimited


@pytest.mark.django_db
def test_programme_limit_is_enforced_with_a_clear_message(org_a, manager_a):
    downgrade(org_a, plan="essential")
    today = timezone.localdate()
    with tenant_context(org_a):
        Programme.objects.create(name="Running", starts_on=today,
                                 ends_on=today + timedelta(days=30))
    response = tenant_client(org_a, manager_a).post("/programmes/", {
        "name": "Second", "starts_on": today, "ends_on": today + timedelta(days=10),
        "participant_target": 10})
    assert response.status_code == 400
    assert "Your plan allows 1 running programme(s)" in response.content.decode()
    api = tenant_client(org_a, manager_a).post("/api/v1/programmes/", {
        "name": "Second", "starts_on": str(today), "ends_on": str(today + timedelta(days=9))},
        content_type="application/json")
    assert api.status_code == 400 and "programme" in api.json()["errors"]
    # An ended programme does not count, and a past one can still be recorded.
    with tenant_context(org_a):
        from engagement.services import programme_create

        programme_create(name="Last year", starts_on=date(2025, 1, 1), ends_on=date(2025, 2, 1))
        with pytest.raises(DomainError):
            programme_create(name="Another", starts_on=today, ends_on=today)


@pytest.mark.django_db
def test_lever_analytics_is_gated_in_pages_and_api_with_what_it_unlocks(
        org_a, owner_a, manager_a):
    with tenant_context(org_a):
        campaign = make_campaign()
    client = tenant_client(org_a, owner_a)
    assert "No invitation yet." in client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert client.get("/api/v1/campaign-invitations/").status_code == 200
    downgrade(org_a, options=[])
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Lever analytics" in page and "Add it to your subscription" in page
    assert "No invitation yet." not in page
    api = client.get("/api/v1/campaign-invitations/")
    assert api.status_code == 403 and "Lever analytics" in api.json()["message"]
    # Recording an invitation stays available.
    created = tenant_client(org_a, manager_a).post("/api/v1/campaign-invitations/", {
        "campaign": campaign.pk, "channel": "intranet", "lever_code": "social_proof"},
        content_type="application/json")
    assert created.status_code == 201


@pytest.mark.django_db
def test_branding_needs_the_branded_space_option(org_a, owner_a):
    client = tenant_client(org_a, owner_a)
    assert 'name="brand_colour"' in client.get("/settings/").content.decode()
    downgrade(org_a, options=[])
    page = client.get("/settings/").content.decode()
    assert 'name="brand_colour"' not in page and "Branded space" in page
    client.post("/settings/", {"name": "Test Company", "locale": "en",
                               "time_zone": "Europe/Paris", "brand_colour": "#000000"})
    org_a.refresh_from_db()
    assert org_a.brand_colour != "#000000"
    assert "--brand:" not in client.get("/").content.decode()


@pytest.mark.django_db
def test_suspended_space_is_read_only_and_its_campaigns_paused(org_a, owner_a, manager_a):
    with tenant_context(org_a):
        campaign = make_campaign(visibility=Campaign.Visibility.PUBLIC)
    Organisation.objects.filter(pk=org_a.pk).update(status=Organisation.Status.SUSPENDED)
    client = tenant_client(org_a, manager_a)
    assert client.get("/programmes/").status_code == 200  # data kept, readable
    refused = client.post("/programmes/", {"name": "X", "starts_on": "2027-01-01",
                                           "ends_on": "2027-01-02"})
    assert refused.status_code == 403 and "read-only" in refused.content.decode()
    api = client.post("/api/v1/programmes/", {"name": "X", "starts_on": "2027-01-01",
                                              "ends_on": "2027-01-02"},
                      content_type="application/json")
    assert api.status_code == 403 and "read-only" in api.json()["message"]
    assert "read-only until the subscription is paid" in tenant_client(
        org_a, owner_a).get("/").content.decode()
    # The owner can still reach billing; visitors cannot join.
    assert tenant_client(org_a, owner_a).get("/billing/").status_code == 200
    visitor = tenant_client(org_a)
    with tenant_context(org_a):
        slot_id = campaign.slots.get().pk
    page = visitor.get(f"/c/{campaign.code}/").content.decode()
    assert "This campaign is paused for the moment." in page and "Give my time" not in page
    joined = visitor.post(f"/c/{campaign.code}/join/", {
        "email": "v@example.org", "first_name": "V", "slots": [slot_id], "companions": 0})
    assert joined.status_code == 400
    assert "This campaign is paused for the moment." in joined.content.decode()


@pytest.mark.django_db
def test_billing_page_without_stripe_shows_plans_and_says_not_configured(org_a, owner_a,
                                                                          viewer_a, settings):
    settings.STRIPE_SECRET_KEY = ""
    page = tenant_client(org_a, owner_a).get("/billing/").content.decode()
    assert "Paying online is not available yet" in page and "installation" not in page
    assert "Essential" in page and "Territory / Enterprise" in page and "Lever analytics" in page
    assert "Continue to payment" not in page
    assert tenant_client(org_a, viewer_a).get("/billing/").status_code == 404


@pytest.mark.django_db
def test_webhook_without_a_valid_signature_stores_nothing(settings):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test"
    client = public_client()
    body = b'{"id": "evt_1", "type": "invoice.paid", "data": {"object": {}}}'
    assert client.post("/billing/stripe/webhook/", body, content_type="application/json"
                       ).status_code == 400
    assert client.post("/billing/stripe/webhook/", body, content_type="application/json",
                       HTTP_STRIPE_SIGNATURE="t=1,v1=deadbeef").status_code == 400
    assert not StripeEvent.objects.exists()


@pytest.mark.django_db
def test_billing_page_in_french(org_a, owner_a, settings):
    settings.STRIPE_SECRET_KEY = ""
    client = tenant_client(org_a, owner_a)
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    page = client.get("/billing/").content.decode()
    assert "Offre et options" in page and "Le paiement en ligne n’est pas encore disponible" in page


@pytest.mark.django_db
def test_lever_analytics_page_is_the_paid_option(org_a, owner_a, manager_a):
    with tenant_context(org_a):
        campaign = make_campaign()
    tenant_client(org_a, manager_a).post(f"/campaigns/{campaign.pk}/invitations/", {
        "channel": "intranet", "lever_code": "social_proof", "audience_label": "All staff"})
    page = tenant_client(org_a, owner_a).get("/levers/")
    assert page.status_code == 200 and "Social proof" in page.content.decode()
    downgrade(org_a, options=[])
    locked = tenant_client(org_a, owner_a).get("/levers/")
    assert locked.status_code == 403
    assert "Lever analytics" in locked.content.decode()
    assert "Add it to your subscription" in locked.content.decode()
