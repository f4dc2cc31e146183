"""The plan's participants quota: enforced where people join, told to organisers."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from billing.catalogue import plans
from billing.models import QuotaNoticeEmail, QuotaReachedNotice, Subscription
from billing.services import quota_notice_email_send, quota_reached_tell_owners
from core.errors import DomainError
from engagement.models import Campaign, Participant, Pledge
from engagement.services import campaign_join
from engagement.services.quota import participant_quota
from tenants.models import Organisation

from ..conftest import tenant_client
from ..factories import PledgeFactory, SlotFactory, make_campaign

REFUSED = "cannot take new participants for now"


@pytest.fixture
def essential_of_two(org_a, monkeypatch):
    """testco on the Essential plan with a quota of 2 people a month, no extra option."""
    monkeypatch.setitem(plans()["essential"].limits, "participants", 2)
    Subscription.objects.filter(organisation=org_a).update(plan="essential", options=[])
    org_a.refresh_from_db()
    return org_a


def _join(campaign, email):
    return campaign_join(campaign=campaign, email=email,
                         slot_ids=list(campaign.slots.values_list("pk", flat=True)))


@pytest.mark.django_db
def test_a_new_person_past_the_quota_cannot_join_and_nothing_is_written(essential_of_two):
    with tenant_context(essential_of_two):
        campaign, other = make_campaign(capacity=20), make_campaign(capacity=20)
        _join(campaign, "one@example.org")
        _join(campaign, "two@example.org")
        with pytest.raises(DomainError) as refused:
            _join(campaign, "three@example.org")
        assert REFUSED in refused.value.errors["campaign"][0]
        assert not Participant.objects.filter(email="three@example.org").exists()
        # Someone who already counts this month may still give time elsewhere.
        assert len(_join(other, "one@example.org")) == 1
        quota = participant_quota()
        assert (quota.used, quota.limit, quota.reached) == (2, 2, True)


@pytest.mark.django_db
def test_last_month_s_people_do_not_count_and_the_extra_option_lets_everyone_in(
        essential_of_two):
    with tenant_context(essential_of_two):
        campaign = make_campaign(capacity=20)
        old = PledgeFactory(slot=SlotFactory())
        last_month = timezone.localdate().replace(day=1) - timedelta(days=3)
        Pledge.objects.filter(pk=old.pk).update(
            created_at=timezone.now().replace(year=last_month.year, month=last_month.month,
                                              day=last_month.day))
        _join(campaign, "one@example.org")
        _join(campaign, "two@example.org")  # the old pledge is last month's: 2 this month
    Subscription.objects.filter(organisation=essential_of_two).update(
        options=["extra_participants"])
    essential_of_two.refresh_from_db()
    with tenant_context(essential_of_two):
        assert len(_join(campaign, "three@example.org")) == 1  # metered, not refused
        assert not participant_quota().enforced


@pytest.mark.django_db
def test_the_visitor_reads_a_kind_message_and_the_organisers_see_the_way_through(
        essential_of_two, owner_a, manager_a):
    with tenant_context(essential_of_two):
        campaign = make_campaign(capacity=20)
        campaign.visibility = Campaign.Visibility.PUBLIC
        campaign.save(update_fields=["visibility"])
        _join(campaign, "one@example.org")
    with tenant_context(essential_of_two):
        near = tenant_client(essential_of_two, owner_a).get("/campaigns/").content.decode()
    assert "1 people have joined" not in near  # 1 of 2 is 50 %: no notice yet
    with tenant_context(essential_of_two):
        _join(campaign, "two@example.org")
    visitor = tenant_client(essential_of_two)
    page = visitor.get(f"/c/{campaign.code}/").content.decode()
    assert REFUSED in page and "Give my time" not in page
    with tenant_context(essential_of_two):
        slot_ids = [str(pk) for pk in campaign.slots.values_list("pk", flat=True)]
    posted = visitor.post(f"/c/{campaign.code}/join/", {
        "email": "three@example.org", "first_name": "Three", "slots": slot_ids,
        "companions": 0})
    assert posted.status_code == 400 and REFUSED in posted.content.decode()
    owner_page = tenant_client(essential_of_two, owner_a).get("/campaigns/").content.decode()
    assert "2 people have joined your campaigns this month" in owner_page
    assert "/billing/?option=extra_participants" in owner_page
    manager_page = tenant_client(essential_of_two, manager_a).get("/campaigns/").content.decode()
    assert "An owner of the organisation can add" in manager_page
    assert "/billing/?option=extra_participants" not in manager_page


@pytest.fixture
def crowd_at_the_boundary(committed):
    """testco (committed, for other connections to see) on a quota that leaves 5 places
    this month; 30 new people about to join at once."""
    organisation = Organisation.objects.get(slug="testco")
    saved = Subscription.objects.get(organisation=organisation)
    with tenant_context(organisation):
        campaign = make_campaign(capacity=100)
        already = participant_quota(organisation).used
    plans()["territory"].limits["participants"] = already + 5
    Subscription.objects.filter(pk=saved.pk).update(options=[])
    try:
        yield Organisation.objects.get(pk=organisation.pk), campaign
    finally:
        plans()["territory"].limits["participants"] = None
        Subscription.objects.filter(pk=saved.pk).update(options=saved.options)
        with tenant_context(organisation):
            programme = campaign.programme
            Pledge.objects.filter(slot__campaign=campaign).delete()
            Campaign.objects.filter(pk=campaign.pk).delete()
            programme.delete()
            Participant.objects.filter(email__startswith="boundary").delete()
        QuotaReachedNotice.objects.filter(organisation=organisation).delete()


def test_thirty_simultaneous_joins_for_five_places_let_exactly_five_in(crowd_at_the_boundary):
    organisation, campaign = crowd_at_the_boundary

    def join(n):
        try:
            with tenant_context(organisation):
                _join(campaign, f"boundary{n}@example.org")
                return "joined"
        except DomainError:
            return "refused"
        finally:
            connection.close()  # each thread has its own connection

    with ThreadPoolExecutor(max_workers=15) as pool:
        outcomes = list(pool.map(join, range(30)))
    assert outcomes.count("joined") == 5 and outcomes.count("refused") == 25
    with tenant_context(organisation):
        assert Participant.objects.filter(email__startswith="boundary").count() == 5


@pytest.mark.django_db
def test_the_api_s_pledges_keep_to_the_quota_too(essential_of_two, manager_a):
    with tenant_context(essential_of_two):
        campaign = make_campaign(capacity=20)
        slot = campaign.slots.get()
        _join(campaign, "one@example.org")
        _join(campaign, "two@example.org")
        newcomer = Participant.objects.create(email="three@example.org")
    api = tenant_client(essential_of_two, manager_a)
    refused = api.post("/api/v1/pledges/", {"slot": slot.pk, "participant": newcomer.pk},
                       content_type="application/json")
    assert refused.status_code == 400 and REFUSED in refused.json()["errors"]["campaign"][0]
    with tenant_context(essential_of_two):
        assert not Pledge.objects.filter(participant=newcomer).exists()


@pytest.mark.django_db
def test_a_space_without_a_plan_shows_no_quota_notice(org_a, owner_a):
    Subscription.objects.filter(organisation=org_a).update(plan="", stripe_status="canceled")
    Organisation.objects.filter(pk=org_a.pk).update(status=Organisation.Status.SUSPENDED)
    org_a.refresh_from_db()
    with tenant_context(org_a):
        assert not participant_quota().enforced
    page = tenant_client(org_a, owner_a).get("/campaigns/").content.decode()
    assert "quota-notice" not in page


@pytest.mark.django_db
def test_the_owners_are_told_once_when_the_last_place_is_taken(
        essential_of_two, owner_a, eager, django_capture_on_commit_callbacks):
    from django.core import mail

    def told():
        return [m for m in mail.outbox if "can no longer join" in m.subject]

    with tenant_context(essential_of_two):
        campaign = make_campaign(capacity=20)
        with django_capture_on_commit_callbacks(execute=True):
            _join(campaign, "one@example.org")
        assert told() == []
        with django_capture_on_commit_callbacks(execute=True):
            _join(campaign, "two@example.org")  # the last place
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError):
            _join(campaign, "three@example.org")
    [message] = told()
    assert message.to == [owner_a.email]
    assert "2 people have joined your campaigns this month" in message.body
    assert "/billing/?option=extra_participants" in message.body
    # In Fullmobs' account frame, with its HTML part.
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html" and "/billing/?option=extra_participants" in html
    notice = QuotaReachedNotice.objects.get(organisation=essential_of_two)
    assert notice.sent_at is not None
    [queued] = QuotaNoticeEmail.objects.filter(notice=notice)
    assert queued.dedupe_key == f"quota:{notice.pk}:{owner_a.pk}" and queued.sent_at
    # A retried task (or a second worker) neither queues nor sends it again.
    QuotaReachedNotice.objects.filter(pk=notice.pk).update(sent_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        assert quota_reached_tell_owners(notice_id=notice.pk) == 0
    assert quota_notice_email_send(email_id=queued.pk) is False
    assert len(told()) == 1


@pytest.mark.django_db
def test_a_walk_in_past_the_quota_is_refused_on_the_walk_in_form(essential_of_two, manager_a):
    with tenant_context(essential_of_two):
        campaign = make_campaign(capacity=20, starts_in=timedelta(minutes=20),
                                 deadline_in=timedelta(minutes=20))
        slot = campaign.slots.get()
        _join(campaign, "one@example.org")
        _join(campaign, "two@example.org")
    client = tenant_client(essential_of_two, manager_a)
    refused = client.post(f"/campaigns/{campaign.pk}/walk-ins/", {
        "slot": slot.pk, "first_name": "Léa", "consent_to_contact": "no"})
    assert refused.status_code == 400
    assert "reached the number of participants its plan includes" in refused.content.decode()
    with tenant_context(essential_of_two):
        assert not Pledge.objects.filter(walk_in=True).exists()
        assert not Participant.objects.filter(first_name="Léa").exists()
        slot.refresh_from_db()
        assert slot.confirmed_seats == 2


@pytest.mark.django_db
def test_the_month_starts_at_midnight_in_the_organisation_s_zone_and_the_index_serves(
        essential_of_two):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.test.utils import CaptureQueriesContext

    from engagement.usage import active_participants_count, month_start

    Organisation.objects.filter(pk=essential_of_two.pk).update(time_zone="Pacific/Auckland")
    essential_of_two.refresh_from_db()
    with tenant_context(essential_of_two):
        start = month_start()
        zone = ZoneInfo("Pacific/Auckland")
        assert start.tzinfo == zone and (start.day, start.hour) == (1, 0)
        assert start.date() == timezone.localdate(timezone=zone).replace(day=1)
        before, after = PledgeFactory(slot=SlotFactory()), PledgeFactory(slot=SlotFactory())
        Pledge.objects.filter(pk=before.pk).update(created_at=start - timedelta(minutes=1))
        Pledge.objects.filter(pk=after.pk).update(created_at=start + timedelta(minutes=1))
        with CaptureQueriesContext(connection) as queries:
            assert active_participants_count(day=start.date()) == 1
        sql = queries.captured_queries[-1]["sql"]
        # created_at compared as stored: no conversion of each row to a date.
        assert "AT TIME ZONE" not in sql and "::date" not in sql
        assert isinstance(start, datetime)


@pytest.mark.django_db
def test_the_banner_reads_the_count_once_a_minute_and_a_new_person_refreshes_it(
        essential_of_two):
    from django.test.utils import CaptureQueriesContext

    from engagement.services.quota import participant_quota_for_banner

    def count_queries(queries):
        return sum("COUNT(" in q["sql"] and "engagement_pledge" in q["sql"]
                   for q in queries.captured_queries)

    with tenant_context(essential_of_two):
        campaign = make_campaign(capacity=20)
        assert participant_quota_for_banner(essential_of_two).used == 0
        with CaptureQueriesContext(connection) as queries:
            assert participant_quota_for_banner(essential_of_two).used == 0
        assert count_queries(queries) == 0  # from the cache
        _join(campaign, "one@example.org")
        assert participant_quota_for_banner(essential_of_two).used == 1
