"""Anonymous writes are throttled per client address (read behind NUM_PROXIES proxies
only) and per campaign, in the shared cache; a refusal is a 429 in the page's language."""

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from django_tenants.utils import tenant_context

from engagement.models import Campaign, Participant
from tenants import throttle

from ..conftest import tenant_client
from ..factories import make_campaign
from .test_participant_pages import text_of

JSON = "application/json"


def join(client, campaign, email, *, lang="en", **meta):
    """The join form posted from a client address (``REMOTE_ADDR``, headers in ``meta``)."""
    with tenant_context(campaign_org(client)):
        slot_ids = list(campaign.slots.values_list("pk", flat=True))
    return client.post(f"/c/{campaign.code}/join/", {
        "email": email, "first_name": "Sam", "slots": slot_ids, "companions": 0},
        HTTP_ACCEPT_LANGUAGE=lang, **meta)


def campaign_org(client):
    from tenants.models import Organisation

    return Organisation.objects.get(slug=client.defaults["HTTP_HOST"].split(".")[0])


def _rates(settings, scope, *, address=None, subject=None):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES,
                               scope: {"address": address, "subject": subject}}


@pytest.fixture(autouse=True)
def _empty_cache(db):
    cache.clear()
    yield
    cache.clear()


def _request(remote="198.51.100.9", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/", **extra)


# ---- the client's address -----------------------------------------------------------------

def test_without_proxies_a_client_set_forwarded_for_is_ignored(settings):
    settings.NUM_PROXIES = 0
    assert throttle.client_address(_request(forwarded="1.2.3.4")) == "198.51.100.9"
    assert throttle.client_address(_request(forwarded="5.6.7.8, 1.2.3.4")) == "198.51.100.9"


def test_behind_proxies_the_nth_address_from_the_right_is_the_clients(settings):
    settings.NUM_PROXIES = 1
    # The client wrote "6.6.6.6"; our proxy appended the address it saw.
    assert throttle.client_address(_request("10.0.0.2", "6.6.6.6, 203.0.113.5")) \
        == "203.0.113.5"
    settings.NUM_PROXIES = 2
    assert throttle.client_address(_request("10.0.0.3", "6.6.6.6, 203.0.113.5, 10.0.0.2")) \
        == "203.0.113.5"
    # No header (a request that bypassed the proxies): the connection's address.
    assert throttle.client_address(_request("192.0.2.1")) == "192.0.2.1"


def test_ipv6_clients_count_per_64_network(settings):
    settings.NUM_PROXIES = 0
    one = throttle.client_address(_request("2001:db8:1:2::1"))
    other = throttle.client_address(_request("2001:db8:1:2:ffff::9"))
    assert one == other == "2001:db8:1:2::/64"
    assert throttle.client_address(_request("::ffff:192.0.2.7")) == "192.0.2.7"


# ---- the HTML join form -------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("lang, words", [
    ("en", "Too many requests from your connection"),
    ("fr", "Trop de demandes depuis votre connexion")])
def test_the_join_form_is_throttled_per_client_address(org_a, settings, lang, words):
    _rates(settings, "join", address="3/hour")
    with tenant_context(org_a):
        campaign = make_campaign(capacity=50)
    for n in range(3):  # each from a new browser (session), the same address
        assert join(tenant_client(org_a), campaign, f"p{n}@example.net",
                    lang=lang).status_code == 302
    client = tenant_client(org_a)
    refused = join(client, campaign, "p9@example.net", lang=lang)
    assert refused.status_code == 429
    assert words in text_of(refused)
    with tenant_context(org_a):
        assert not Participant.objects.filter(email="p9@example.net").exists()
    # A new X-Forwarded-For does not make a new client.
    forged = join(client, campaign, "p10@example.net", HTTP_X_FORWARDED_FOR="9.9.9.9")
    assert forged.status_code == 429
    # Another address is another client.
    other = tenant_client(org_a)
    assert join(other, campaign, "q@example.net", REMOTE_ADDR="203.0.113.7").status_code \
        == 302


@pytest.mark.django_db
def test_the_join_form_is_throttled_per_campaign_whatever_the_address(org_a, settings):
    _rates(settings, "join", address="100/hour", subject="2/hour")
    with tenant_context(org_a):
        campaign = make_campaign(capacity=50)
        other_campaign = make_campaign(capacity=50)
    for n in range(2):
        assert join(tenant_client(org_a), campaign, f"p{n}@example.net",
                    REMOTE_ADDR=f"203.0.113.{n + 1}").status_code == 302
    refused = join(tenant_client(org_a), campaign, "p9@example.net",
                   REMOTE_ADDR="203.0.113.99", lang="fr")
    assert refused.status_code == 429
    assert "Trop de demandes pour cette campagne" in text_of(refused)
    assert join(tenant_client(org_a), other_campaign, "p9@example.net",
                REMOTE_ADDR="203.0.113.99").status_code == 302


# ---- the API join -------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_api_join_is_throttled_per_address_not_per_forwarded_header(org_a, settings):
    _rates(settings, "join", address="3/hour")
    with tenant_context(org_a):
        campaign = make_campaign(capacity=50)
        slot = campaign.slots.get()
    client = tenant_client(org_a)
    url = f"/api/v1/public/campaigns/{campaign.code}/join/"
    for n in range(3):
        assert client.post(url, {"email": f"p{n}@example.net", "slots": [slot.pk]},
                           content_type=JSON, HTTP_X_FORWARDED_FOR=f"10.1.1.{n}",
                           ).status_code == 201
    refused = client.post(url, {"email": "p9@example.net", "slots": [slot.pk]},
                          content_type=JSON, HTTP_X_FORWARDED_FOR="10.9.9.9",
                          HTTP_ACCEPT_LANGUAGE="fr")
    assert refused.status_code == 429
    assert refused.json()["message"].startswith("Trop de demandes")
    assert int(refused["Retry-After"]) > 0
    with tenant_context(org_a):
        assert not Participant.objects.filter(email="p9@example.net").exists()


# ---- the internal campaign's address check ------------------------------------------------

@pytest.mark.django_db
def test_the_address_check_is_throttled(org_a, settings):
    _rates(settings, "address_check", address="2/hour")
    org_a.allowed_email_domains = ["example.org"]
    org_a.save(update_fields=["allowed_email_domains"])
    with tenant_context(org_a):
        campaign = make_campaign(visibility=Campaign.Visibility.INTERNAL)
    client = tenant_client(org_a)
    url = f"/c/{campaign.code}/verify/"
    for n in range(2):
        assert client.post(url, {"email": f"p{n}@example.org"}).status_code == 302
    refused = client.post(url, {"email": "p9@example.org"}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429
    assert "Too many requests from your connection" in text_of(refused)
    with tenant_context(org_a):
        assert not Participant.objects.filter(email="p9@example.org").exists()


@pytest.mark.django_db
def test_counts_live_in_the_shared_cache_under_the_organisation(org_a, org_b, settings):
    """Another organisation's crowd does not use up this one's allowance, and the counts
    are in the shared cache (not one process's memory)."""
    assert "LocMemCache" not in settings.CACHES["default"]["BACKEND"]
    _rates(settings, "join", address="1/hour")
    with tenant_context(org_a):
        campaign_a = make_campaign()
    with tenant_context(org_b):
        campaign_b = make_campaign()
    assert join(tenant_client(org_a), campaign_a, "a@example.net").status_code == 302
    assert join(tenant_client(org_b), campaign_b, "b@example.net").status_code == 302
    assert join(tenant_client(org_a), campaign_a, "c@example.net").status_code == 429


@pytest.mark.django_db
def test_other_forms_count_per_any_subject_with_a_neutral_message(settings):
    """Sign-up and password reset count per address asked for: the message names no
    campaign, and the cache holds no readable address."""
    _rates(settings, "password_reset", address=None, subject="1/hour")
    throttle.check(_request(), "password_reset", subject="ana@example.org")
    with pytest.raises(throttle.RateLimited) as refused:
        throttle.check(_request("203.0.113.50"), "password_reset", subject="ana@example.org")
    assert refused.value.message == ("Too many requests at the moment: please try again in "
                                     "a few minutes.")
    assert refused.value.wait > 0
    throttle.check(_request(), "password_reset", subject="ben@example.org")
    # A scope without rates is not throttled.
    for _n in range(5):
        throttle.check(_request(), "no_such_scope", subject="x")
