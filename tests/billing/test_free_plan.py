"""The free plan of associations and citizens' collectives: no trial to run out, limits from
the catalogue enforced where campaigns open, options bought alone, the public site and the
billing page saying so."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django.utils.translation import override
from django_tenants.utils import tenant_context

from billing import services
from billing.catalogue import every_plan, free_plan, plans
from billing.entitlements import entitlements_for
from billing.models import Subscription
from core.errors import DomainError
from engagement.models import Campaign, Programme
from engagement.services import campaign_open
from engagement.services.campaign_recovery import campaign_postpone
from tenants.models import Organisation
from tenants.services import organisation_provision

from ..conftest import drop_organisation, public_client, tenant_client
from ..factories import make_campaign
from .test_billing import deliver, fake  # noqa: F401 - the fake Stripe server fixture

REFUSED = "Your plan allows 2 open campaigns at a time, and 2 are open"


@pytest.fixture
def association(org_a):
    """testco as an association with no subscription (rolled back after the test)."""
    Subscription.objects.filter(organisation=org_a).delete()
    Organisation.objects.filter(pk=org_a.pk).update(
        kind=Organisation.Kind.ASSOCIATION, status=Organisation.Status.ACTIVE,
        trial_ends_at=None, created_at=timezone.now() - timedelta(days=400))
    org_a.refresh_from_db()
    return org_a


def test_the_catalogue_has_one_free_plan_never_sold():
    item = free_plan()
    assert item.code == "community" and item.free and not item.prices
    assert item.code in every_plan() and item.code not in plans()
    assert item.limits["open_campaigns"] == 2 and item.limits["participants"] == 150
    with override("fr"):
        assert item.limit_texts == ["1\u00a0programme en cours",
                                    "150\u00a0participants actifs par mois",
                                    "2\u00a0campagnes ouvertes en même temps"]


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["association", "collective"])
def test_associations_and_collectives_never_turn_read_only(kind):
    made = Organisation(kind=kind, status=Organisation.Status.ACTIVE, trial_ends_at=None)
    for days in (0, 31, 400):
        rights = entitlements_for(made, now=timezone.now() + timedelta(days=days))
        assert (rights.plan, rights.read_only, rights.in_trial) == ("community", False, False)
        assert rights.limit("open_campaigns") == 2 and rights.options == frozenset()
    # A company past its trial does turn read-only.
    company = Organisation(kind="company", status=Organisation.Status.TRIAL,
                           trial_ends_at=timezone.now() - timedelta(days=1))
    assert entitlements_for(company).read_only
    # Closing stays the one thing that stops writes.
    made.closure_requested_at = timezone.now()
    assert entitlements_for(made).read_only


def test_sign_up_as_a_collective_starts_on_the_free_plan_and_a_company_on_a_trial(committed):
    made = []
    try:
        for slug, kind in (("free-collectif", "collective"), ("paying-co", "company")):
            made.append(organisation_provision(
                name=slug, slug=slug, kind=kind, owner_email=f"owner@{slug}.example",
                owner_password="correct horse battery staple", verify_owner_email=True))
        collective, company = made
        assert (collective.status, collective.trial_ends_at) == ("active", None)
        assert entitlements_for(collective).plan == "community"
        assert company.status == "trial" and company.trial_ends_at is not None
        assert entitlements_for(company).plan == "professional"
    finally:
        for organisation in made:
            drop_organisation(organisation)


@pytest.mark.django_db
def test_the_sign_up_form_names_the_collective_and_the_free_plan():
    with override("fr"):
        page = public_client().get("/signup/?kind=association", HTTP_ACCEPT_LANGUAGE="fr")
    body = page.content.decode()
    assert '<option value="collective">Collectif citoyen</option>' in body
    assert '<option value="association" selected>Association</option>' in body
    assert "offre gratuite, sans date de fin" in body


@pytest.mark.django_db
def test_a_third_open_campaign_is_refused_naming_the_limit_and_nothing_changes(
        association, manager_a):
    with tenant_context(association):
        make_campaign(), make_campaign()
        draft = make_campaign(status=Campaign.Status.DRAFT)
    response = tenant_client(association, manager_a).post(f"/campaigns/{draft.pk}/open/",
                                                          follow=True)
    assert REFUSED in response.content.decode()
    assert "choose a paid plan on the billing page" in response.content.decode()
    api = tenant_client(association, manager_a).post(f"/api/v1/campaigns/{draft.pk}/open/")
    assert api.status_code == 400 and REFUSED in api.json()["errors"]["status"][0]
    with tenant_context(association):
        draft.refresh_from_db()
        assert draft.status == "draft" and draft.opened_at is None
        # A campaign decided at its deadline frees its place.
        Campaign.objects.filter(status="open").exclude(pk=draft.pk).first().__class__.objects \
            .filter(pk=Campaign.objects.filter(status="open").first().pk).update(status="failed")
        campaign_open(campaign=draft)
        draft.refresh_from_db()
        assert draft.status == "open"
        # Postponing the failed one would reopen it: a third open campaign, refused.
        failed = Campaign.objects.get(status="failed")
        with pytest.raises(DomainError) as refused:
            campaign_postpone(campaign=failed, starts_at=failed.starts_at + timedelta(days=20),
                              mobilisation_deadline=timezone.now() + timedelta(days=15),
                              by_user=manager_a)
        assert REFUSED in refused.value.text
        failed.refresh_from_db()
        assert failed.status == "failed"


@pytest.mark.django_db
def test_the_refusal_reads_in_french(association):
    with tenant_context(association):
        make_campaign(), make_campaign()
        draft = make_campaign(status=Campaign.Status.DRAFT)
        with override("fr"), pytest.raises(DomainError) as refused:
            campaign_open(campaign=draft)
    assert "Votre offre permet 2\u00a0campagnes ouvertes en même temps" in refused.value.text


@pytest.mark.django_db
def test_a_paid_plan_has_no_open_campaign_limit(org_a):
    with tenant_context(org_a):
        for _ in range(3):
            make_campaign()
        campaign_open(campaign=make_campaign(status=Campaign.Status.DRAFT))
        assert Campaign.objects.filter(status="open").count() >= 4


@pytest.fixture
def drafts_at_the_boundary(committed):
    """testco (committed, for other connections to see) as an association with one open
    campaign and six drafts about to be opened at once: one place left."""
    organisation = Organisation.objects.get(slug="testco")
    saved_subscription = Subscription.objects.get(organisation=organisation)
    saved = Organisation.objects.filter(pk=organisation.pk).values(
        "kind", "status", "trial_ends_at").get()
    Subscription.objects.filter(pk=saved_subscription.pk).update(plan="", stripe_status="")
    Organisation.objects.filter(pk=organisation.pk).update(kind="association",
                                                           status="active")
    with tenant_context(organisation):
        before = set(Campaign.objects.filter(status="open").values_list("pk", flat=True))
        Campaign.objects.filter(pk__in=before).update(status="succeeded")
        first = make_campaign()
        drafts = [make_campaign(status=Campaign.Status.DRAFT) for _ in range(6)]
    try:
        yield Organisation.objects.get(pk=organisation.pk), drafts
    finally:
        Subscription.objects.filter(pk=saved_subscription.pk).update(
            plan=saved_subscription.plan, stripe_status=saved_subscription.stripe_status)
        Organisation.objects.filter(pk=organisation.pk).update(**saved)
        with tenant_context(organisation):
            Campaign.objects.filter(pk__in=before).update(status="open")
            for campaign in [first, *drafts]:
                programme = campaign.programme
                campaign.slots.all().delete()
                campaign.delete()
                Programme.objects.filter(pk=programme.pk).delete()


def test_six_managers_opening_at_once_for_one_place_open_exactly_one(drafts_at_the_boundary):
    organisation, drafts = drafts_at_the_boundary

    def open_one(draft):
        try:
            with tenant_context(organisation):
                campaign_open(campaign=draft)
                return "opened"
        except DomainError:
            return "refused"
        finally:
            connection.close()  # each thread has its own connection

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(open_one, drafts))
    assert outcomes.count("opened") == 1 and outcomes.count("refused") == 5
    with tenant_context(organisation):
        assert Campaign.objects.filter(status="open").count() == 2


@pytest.mark.django_db
def test_the_billing_page_shows_the_free_plan_its_limits_and_what_is_used(association,
                                                                           owner_a):
    with tenant_context(association):
        make_campaign()
    page = tenant_client(association, owner_a).get("/billing/").content.decode()
    assert "free plan, with no end date" in page
    assert "What you use of the Community plan" in page
    assert '<tr id="usage-open_campaigns">' in page or 'id="usage-open_campaigns"' in page
    row = page.split('id="usage-open_campaigns"', 1)[1].split("</tr>", 1)[0]
    assert "Campaigns open at once" in row and "<td>1" in row and "<td>2</td>" in row
    assert "Community (free), options only" in page
    with override("fr"):
        french = tenant_client(association, owner_a).get(
            "/billing/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "offre gratuite, sans date de fin" in french


@pytest.mark.django_db
def test_the_public_site_shows_the_free_plan_from_the_catalogue():
    client = public_client()
    english = client.get("/pricing/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="plan-community"' in english and "<strong>Free</strong>" in english
    assert "2 campaigns open at once" in english and "€290" in english
    french = public_client().get("/pricing/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "<strong>Gratuit</strong>" in french and "Associatif" in french
    assert "290\u00a0€" in french or "290\u202f€" in french
    landing = public_client().get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'href="/signup/?kind=association"' in landing and "<strong>Free</strong>" in landing


@pytest.mark.django_db
def test_an_association_buys_an_option_alone_and_keeps_the_free_plan_when_it_stops(
        fake, association, owner_a, eager, django_capture_on_commit_callbacks):  # noqa: F811
    services.catalogue_sync()
    owner = tenant_client(association, owner_a)
    # No plan chosen: the free plan stays, the option is bought alone.
    response = owner.post("/billing/checkout/", {"plan": "", "interval": "month",
                                                 "options": ["branded_space"]})
    assert response.status_code == 302 and response["Location"].startswith(fake.url)
    session_id = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    event = fake.complete_checkout(session_id)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(public_client(), fake, event).content == b"received"
    association.refresh_from_db()
    record = Subscription.objects.get(organisation=association)
    assert (record.plan, record.options, association.status) == ("", ["branded_space"],
                                                                 "active")
    rights = entitlements_for(association)
    assert rights.plan == "community" and rights.allows("branded_space")
    # Nothing to buy: refused, naming the field.
    empty = owner.post("/billing/checkout/", {"plan": "", "interval": "month"}, follow=True)
    assert "Choose at least one option." in empty.content.decode()
    # Cancelled: the option goes, the space stays writable on the free plan.
    cancelled = fake.set_subscription_status(record.stripe_subscription_id, "canceled")
    with django_capture_on_commit_callbacks(execute=True):
        deliver(public_client(), fake, cancelled)
    association.refresh_from_db()
    rights = entitlements_for(association)
    assert association.status == "active"
    assert (rights.plan, rights.read_only, rights.allows("branded_space")) == (
        "community", False, False)


@pytest.mark.django_db
def test_a_company_cannot_buy_options_without_a_plan(fake, org_a, owner_a):  # noqa: F811
    services.catalogue_sync()
    response = tenant_client(org_a, owner_a).post(
        "/billing/checkout/", {"plan": "", "interval": "month", "options": ["branded_space"]},
        follow=True)
    assert response.status_code == 200
    assert not fake.objects("checkout.session")
