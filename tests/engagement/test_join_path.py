"""The join request's cost and traces: the exact queries of a join (a guard: whatever is
added to the path shows up here), the pledge's statement last before the commit (every
sign-up to a slot waits for its row until then), and no session row for a visitor who
has not joined."""

import re

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from engagement.models import Invitation, Participant, Pledge
from engagement.services import campaign_join, pledge_create

from ..conftest import tenant_client
from ..factories import make_campaign

# The throttles count in the cache: Redis in production, so not in these counts.
MEMORY_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                            "KEY_FUNCTION": "django_tenants.cache.make_key"}}


@pytest.fixture
def memory_cache(settings):
    settings.CACHES = MEMORY_CACHE


def form(campaign, email, **extra):
    return {"email": email, "first_name": "Ana", "companions": 0,
            "slots": [campaign.slots.get().pk], **extra}


def post_join(client, campaign, data, org):
    """The join request, its queries captured (the test's transaction stands for the
    request's: its BEGIN and COMMIT are a SAVEPOINT and its RELEASE here)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.post(f"/c/{campaign.code}/join/", data)
    return response, [q["sql"] for q in queries.captured_queries]


def kinds(statements):
    """Each statement by its first words, to say in a failure what changed."""
    return [" ".join(sql.split()[:3])[:60] for sql in statements]


def pledge_statement_last(statements) -> bool:
    """The pledge's statement (which takes the slot's seats) is the last of the
    transaction: only RELEASEs (a savepoint's, and the COMMIT in production) follow it."""
    last = max(i for i, sql in enumerate(statements) if sql.startswith("WITH seat AS"))
    return all(sql.startswith("RELEASE SAVEPOINT") for sql in statements[last + 1:])


# The queries of a first join (a new person, a new visitor), in order:
#   tenant routing (3: search path to public, the domain and its organisation, search path
#   to the organisation), the campaign, its slots for the form, the organisation's
#   subscription (a paused space takes no sign-up), the slots chosen, then the transaction:
#   SAVEPOINT, the participant (INSERT … ON CONFLICT), the session that remembers them,
#   the seats and the pledge in one statement, RELEASE.
FIRST_JOIN = 12
# A known address typed by a visitor who has not proved it: the participant is found
# instead of created (the INSERT that did nothing, then SELECT … FOR UPDATE), their live
# pledges on these slots looked up, and the pledge made in a savepoint of its own
# ("already pledged" is possible) with their last action recorded; no session.
KNOWN_PERSON_JOIN = 16
# Through a participant's shared link, with a companion: the invitation and its inviter
# looked up (the new person's referrer); the pledge carries it in the same statement.
REFERRAL_JOIN = 13


@pytest.mark.django_db
def test_a_first_join_costs_its_queries_and_takes_the_slot_last(org_a, memory_cache):
    with tenant_context(org_a):
        campaign = make_campaign(capacity=50)
    client = tenant_client(org_a)
    client.get(f"/c/{campaign.code}/")
    with tenant_context(org_a):
        data = form(campaign, "ana@example.org")
    response, statements = post_join(client, campaign, data, org_a)
    assert response.status_code == 302 and response["Location"].startswith("/me/")
    assert len(statements) == FIRST_JOIN, kinds(statements)
    assert pledge_statement_last(statements), kinds(statements)
    with tenant_context(org_a):
        pledge = Pledge.objects.get(participant__email="ana@example.org")
        assert pledge.status == Pledge.Status.CONFIRMED and pledge.confirmed_at is not None
        assert pledge.slot.confirmed_seats == 1
    assert Session.objects.count() == 1


@pytest.mark.django_db
def test_a_known_persons_join_costs_its_queries(org_a, memory_cache):
    with tenant_context(org_a):
        campaign = make_campaign(capacity=50)
        other = make_campaign(capacity=50, programme=campaign.programme)
        campaign_join(campaign=other, email="ana@example.org", first_name="Ana",
                      slot_ids=[other.slots.get().pk])
        data = form(campaign, "ANA@example.org", first_name="Someone else")
    client = tenant_client(org_a)
    response, statements = post_join(client, campaign, data, org_a)
    assert response.status_code == 302 and response["Location"] == f"/c/{campaign.code}/"
    assert len(statements) == KNOWN_PERSON_JOIN, kinds(statements)
    assert pledge_statement_last(statements), kinds(statements)
    with tenant_context(org_a):
        ana = Participant.objects.get(email="ana@example.org")
        assert ana.first_name == "Ana"  # typing an address changes nobody
        assert ana.pledges.count() == 2
    assert Session.objects.count() == 0  # not proven: nobody is remembered


@pytest.mark.django_db
def test_a_join_through_a_shared_link_with_a_companion_costs_its_queries(org_a,
                                                                        memory_cache):
    with tenant_context(org_a):
        campaign = make_campaign(capacity=50)
    first = tenant_client(org_a)
    with tenant_context(org_a):
        data = form(campaign, "gen1@example.org")
    home = first.get(first.post(f"/c/{campaign.code}/join/", data)["Location"])
    code = re.search(r"\?i=([\w-]+)", home.content.decode()).group(1)
    friend = tenant_client(org_a)
    friend.get(f"/c/{campaign.code}/?i={code}")
    with tenant_context(org_a):
        data = form(campaign, "gen2@example.org", companions=1, companion_names="Léo")
    response, statements = post_join(friend, campaign, data, org_a)
    assert response.status_code == 302 and response["Location"].startswith("/me/")
    assert len(statements) == REFERRAL_JOIN, kinds(statements)
    assert pledge_statement_last(statements), kinds(statements)
    with tenant_context(org_a):
        pledge = Pledge.objects.get(participant__email="gen2@example.org")
        invitation = Invitation.objects.get(code=code)
        assert pledge.invitation == invitation and pledge.companions == 1
        assert pledge.participant.referred_by.email == "gen1@example.org"
        assert pledge.slot.confirmed_seats == 3  # gen1, gen2 and Léo
        assert invitation.open_count == 1


@pytest.mark.django_db
def test_no_session_row_for_a_visitor_who_has_not_joined(org_a):
    with tenant_context(org_a):
        campaign = make_campaign(capacity=1)
        invitation_code = Invitation.objects.create(
            campaign=campaign, channel="link_share", lever_code="personal_invitation",
            inviter=Participant.objects.create(email="gen1@example.org")).code
    visitor = tenant_client(org_a)
    assert visitor.get(f"/c/{campaign.code}/").status_code == 200
    # Opening a shared link: the invitation is remembered, in a signed cookie.
    assert visitor.get(f"/c/{campaign.code}/?i={invitation_code}").status_code == 200
    assert Session.objects.count() == 0
    # A form with an error (no slot, a bad address), then a join the database refuses
    # (this address already holds the slot's only place): no session either.
    assert visitor.post(f"/c/{campaign.code}/join/", {"email": "nope"}).status_code == 400
    with tenant_context(org_a):
        slot = campaign.slots.get()
        pledge_create(slot=slot, participant=Participant.objects.create(
            email="taken@example.org"))
    refused = visitor.post(f"/c/{campaign.code}/join/", {
        "email": "new@example.org", "first_name": "New", "slots": [slot.pk + 1000],
        "companions": 0})
    assert refused.status_code == 400
    assert Session.objects.count() == 0
    # The join that succeeds makes the session, and it is the referral's.
    joined = visitor.post(f"/c/{campaign.code}/join/", {
        "email": "new@example.org", "first_name": "New", "slots": [slot.pk],
        "companions": 0})
    assert joined.status_code == 302
    assert Session.objects.count() == 1
    with tenant_context(org_a):
        new = Participant.objects.get(email="new@example.org")
        assert new.referred_by.email == "gen1@example.org"
        assert new.pledges.get().status == Pledge.Status.WAITLISTED  # the place was taken


@pytest.mark.django_db
def test_a_join_refused_after_the_session_is_written_leaves_none(org_a, monkeypatch):
    """The session is written in the join's transaction, before the seats are taken: a
    refusal after it (here the plan's participants quota, as the pledge checks it again)
    rolls it back with everything else, and no cookie names a session that does not
    exist."""
    from core.errors import DomainError
    from engagement.services import pledges

    def quota_full(*, participant_id):
        raise DomainError({"campaign": ["Sorry, this campaign cannot take new participants "
                                        "for now."]})

    monkeypatch.setattr(pledges, "participant_quota_claim", quota_full)
    with tenant_context(org_a):
        campaign = make_campaign(capacity=5)
        data = form(campaign, "late@example.org")
    client = tenant_client(org_a)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(f"/c/{campaign.code}/join/", data)
    assert any(q["sql"].startswith('INSERT INTO "django_session"')
               for q in queries.captured_queries)  # written, then rolled back
    assert response.status_code == 400
    assert "cannot take new participants" in response.content.decode()
    assert Session.objects.count() == 0
    assert "sessionid" not in response.cookies
    with tenant_context(org_a):
        assert not Participant.objects.filter(email="late@example.org").exists()


def test_the_join_throttle_counts_in_redis_in_one_round_trip(settings):
    """Each throttle count is one MULTI/EXEC on Redis (the production cache), not
    Django's add then incr (SET NX, EXISTS, INCR: three round trips), and still refuses
    past the limit and reads back through the cache."""
    import redis
    from django.core.cache import cache
    from django.test import RequestFactory

    from tenants import throttle

    from ..reliability.servers import PrivateRedis

    server = PrivateRedis()
    server.start()
    try:
        settings.CACHES = {"default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url, "KEY_FUNCTION": "django_tenants.cache.make_key"}}
        settings.THROTTLE_RATES = {**settings.THROTTLE_RATES,
                                   "join": {"address": "2/hour", "subject": None}}
        request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.7")
        throttle.check(request, "join")
        throttle.check(request, "join")
        with pytest.raises(throttle.RateLimited):
            throttle.check(request, "join")
        stats = redis.Redis.from_url(server.url).info("commandstats")
        calls = {name.removeprefix("cmdstat_"): value["calls"]
                 for name, value in stats.items()}
        assert calls.get("multi") == calls.get("exec") == calls.get("incrby") == 3
        assert "exists" not in calls
        [key] = [k for k in redis.Redis.from_url(server.url).scan_iter() if b"throttle:join" in k]
        name = key.decode()
        assert cache.get(name[name.index("throttle:"):]) == 3  # as the cache reads it
    finally:
        server.stop()
