"""The directory's index: what an organisation's services write to the public schema, and
when. Nothing but the published fields of a listed public campaign ever leaves a schema;
unlisting (the organisation's choice, a campaign's opt-out, internal visibility, closure)
removes rows in the same transaction."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from directory.models import DirectoryChoice, ListedCampaign
from directory.services import PUBLISHED_FIELDS
from engagement.models import Campaign
from engagement.services import campaign_close, campaign_open, campaign_update, pledge_cancel
from engagement.services.directory import (
    campaign_directory_count_update,
    campaigns_directory_resync,
    organisation_directory_choose,
)
from engagement.services.pledges import pledge_create
from tenants.services.closure import organisation_closure_request
from tests.factories import ParticipantFactory, make_campaign

DIRECTORY_TABLES = {ListedCampaign._meta.db_table, DirectoryChoice._meta.db_table}


def public_tables() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {row[0] for row in cursor.fetchall()}


def _without_parentheses(sql: str) -> str:
    """The statement with every parenthesised part (subqueries, calls) emptied."""
    while True:
        emptied = re.sub(r"\([^()]*\)", "", sql)
        if emptied == sql:
            return sql
        sql = emptied


def written_columns(queries: list[dict]) -> dict[str, set[str]]:
    """{public table: columns} that INSERT, UPDATE or DELETE statements wrote."""
    public = public_tables()
    written: dict[str, set[str]] = {}
    for query in queries:
        sql = query["sql"]
        insert = re.match(r'\s*INSERT INTO "?(\w+)"?\s*\(([^)]*)\)', sql)
        update = re.match(r'\s*UPDATE "?(\w+)"?\s+SET (.*?)(?: WHERE|$)',
                          _without_parentheses(sql), re.S)
        delete = re.match(r'\s*DELETE FROM "?(\w+)"?', sql)
        if insert and insert.group(1) in public:
            written.setdefault(insert.group(1), set()).update(
                c.strip().strip('"') for c in insert.group(2).split(","))
        elif update and update.group(1) in public:
            written.setdefault(update.group(1), set()).update(
                re.findall(r'"?(\w+)"?\s*=', update.group(2)))
        elif delete and delete.group(1) in public:
            written.setdefault(delete.group(1), set())
    return written


@pytest.fixture
def listed_org(org_a, owner_a):
    with tenant_context(org_a):
        organisation_directory_choose(listed=True, user=owner_a)
    return org_a


def open_public_campaign(callbacks, **fields) -> Campaign:
    campaign = make_campaign(status=Campaign.Status.DRAFT, target=4, capacity=10, **fields)
    campaign.latitude, campaign.longitude = Decimal("43.261000"), Decimal("5.373000")
    campaign.translations = {"en": {"title": "Beach clean-up EN"}}
    campaign.title = "Nettoyage de plage"
    campaign.content_language = "fr"
    campaign.save()
    with callbacks(execute=True):
        return campaign_open(campaign=campaign)


def test_nothing_is_listed_until_the_organisation_chooses_it(
        org_a, owner_a, django_capture_on_commit_callbacks):
    with tenant_context(org_a):
        campaign = open_public_campaign(django_capture_on_commit_callbacks)
        assert not ListedCampaign.objects.filter(organisation=org_a).exists()
        assert not DirectoryChoice.objects.filter(organisation=org_a).exists()

        with django_capture_on_commit_callbacks(execute=True):
            organisation_directory_choose(listed=True, user=owner_a)
        row = ListedCampaign.objects.get(organisation=org_a, campaign_id=campaign.pk)
    assert (row.title_fr, row.title_en) == ("Nettoyage de plage", "Beach clean-up EN")
    assert row.organiser == org_a.name and row.place == "Plage du Prado"
    assert (row.latitude, row.longitude) == (Decimal("43.261000"), Decimal("5.373000"))
    assert row.participant_target == 4 and row.mobilised == 0
    assert row.status == "open" and row.time_zone == org_a.time_zone
    assert row.public_url.endswith(f"/c/{campaign.code}/")
    assert row.public_url.startswith(f"http://{org_a.slug}.localhost")


def test_only_published_fields_leave_the_schema(listed_org, django_capture_on_commit_callbacks):
    """Every column written in the public schema by the campaign's life (opened, joined,
    edited, closed) is one of the published fields of the index; no other public table is
    written by the directory's callbacks, and no participant's data is in the row."""
    with tenant_context(listed_org):
        with django_capture_on_commit_callbacks(execute=False) as opened:
            campaign = campaign_open(campaign=make_campaign(
                status=Campaign.Status.DRAFT, target=2, capacity=10))
        person = ParticipantFactory(email="secret.person@example.test", first_name="Zéphyrine")
        with django_capture_on_commit_callbacks(execute=False) as joined:
            pledge_create(slot=campaign.slots.get(), participant=person, companions=1)
        with django_capture_on_commit_callbacks(execute=False) as edited:
            campaign_update(campaign=campaign, place="Quai Rambaud, Lyon")
        Campaign.objects.filter(pk=campaign.pk).update(
            mobilisation_deadline=timezone.now() - timedelta(minutes=1))
        campaign.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=False) as closed:
            campaign_close(campaign=campaign)
        callbacks = [*opened, *joined, *edited, *closed]
        with CaptureQueriesContext(connection) as queries:
            for callback in callbacks:
                callback()
        written = written_columns(queries.captured_queries)
        row = ListedCampaign.objects.get(organisation=listed_org, campaign_id=campaign.pk)

    directory_writes = {table: cols for table, cols in written.items()
                        if table in DIRECTORY_TABLES}
    assert set(directory_writes) == {ListedCampaign._meta.db_table}
    allowed = {*PUBLISHED_FIELDS, "organisation_id", "campaign_id", "updated_at"}
    assert directory_writes[ListedCampaign._meta.db_table] <= allowed
    assert row.mobilised == 2 and row.status == "succeeded"
    assert row.place == "Quai Rambaud, Lyon"
    values = " ".join(str(getattr(row, f.attname)) for f in ListedCampaign._meta.fields)
    assert "secret.person" not in values and "Zéphyrine" not in values
    # The model itself holds nothing but those columns.
    assert {f.attname for f in ListedCampaign._meta.fields} == allowed | {"id"}


def test_unlisting_removes_at_once(listed_org, owner_a, django_capture_on_commit_callbacks):
    with tenant_context(listed_org):
        first = open_public_campaign(django_capture_on_commit_callbacks)
        second = open_public_campaign(django_capture_on_commit_callbacks)
        assert ListedCampaign.objects.filter(organisation=listed_org).count() == 2

        # A campaign's own opt-out, then its visibility: gone after the commit.
        with django_capture_on_commit_callbacks(execute=True):
            campaign_update(campaign=first, listed_in_directory=False)
        assert not ListedCampaign.objects.filter(campaign_id=first.pk).exists()
        with django_capture_on_commit_callbacks(execute=True):
            campaign_update(campaign=second, visibility=Campaign.Visibility.INTERNAL)
        assert not ListedCampaign.objects.filter(organisation=listed_org).exists()

        with django_capture_on_commit_callbacks(execute=True):
            campaign_update(campaign=second, visibility=Campaign.Visibility.PUBLIC)
        assert ListedCampaign.objects.filter(campaign_id=second.pk).exists()
        # The organisation's choice: no row left once the unlisting is written, before any
        # callback runs.
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            organisation_directory_choose(listed=False, user=owner_a)
            assert not ListedCampaign.objects.filter(organisation=listed_org).exists()
        assert callbacks == []
        # A publication that comes after (a late callback) finds the choice off.
        with django_capture_on_commit_callbacks(execute=True):
            campaign_update(campaign=second, place="Ailleurs")
        assert not ListedCampaign.objects.filter(organisation=listed_org).exists()


def test_internal_and_draft_campaigns_are_never_listed(listed_org,
                                                        django_capture_on_commit_callbacks):
    with tenant_context(listed_org):
        internal = open_public_campaign(django_capture_on_commit_callbacks,
                                        visibility=Campaign.Visibility.INTERNAL)
        draft = make_campaign(status=Campaign.Status.DRAFT)
        with django_capture_on_commit_callbacks(execute=True):
            campaign_update(campaign=draft, place="Lyon")
        assert campaigns_directory_resync() == 0
    assert not ListedCampaign.objects.filter(
        campaign_id__in=[internal.pk, draft.pk], organisation=listed_org).exists()


def test_a_pledge_moves_the_count_in_one_update(listed_org, django_capture_on_commit_callbacks):
    with tenant_context(listed_org):
        campaign = open_public_campaign(django_capture_on_commit_callbacks)
        slot = campaign.slots.get()
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            pledge = pledge_create(slot=slot, participant=ParticipantFactory(), companions=2)
        with CaptureQueriesContext(connection) as queries:
            for callback in callbacks:
                callback()
        index_queries = [q["sql"] for q in queries.captured_queries
                         if ListedCampaign._meta.db_table in q["sql"]]
        assert len(index_queries) == 1 and index_queries[0].lstrip().startswith("UPDATE")
        assert ListedCampaign.objects.get(campaign_id=campaign.pk).mobilised == 3
        with django_capture_on_commit_callbacks(execute=True):
            pledge_cancel(pledge=pledge)
        assert ListedCampaign.objects.get(campaign_id=campaign.pk).mobilised == 0


def test_an_unlisted_campaign_costs_the_pledge_nothing(org_a,
                                                       django_capture_on_commit_callbacks):
    with tenant_context(org_a):
        internal = make_campaign(visibility=Campaign.Visibility.INTERNAL)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            pledge_create(slot=internal.slots.get(), participant=ParticipantFactory())
        with CaptureQueriesContext(connection) as queries:
            for callback in callbacks:
                callback()
        assert not [q for q in queries.captured_queries
                    if ListedCampaign._meta.db_table in q["sql"]]
        # A public campaign of an organisation that does not list: one probe, no row.
        public = make_campaign()
        assert campaign_directory_count_update(campaign_id=public.pk) == 0


def test_closing_the_organisation_removes_its_rows(listed_org, owner_a,
                                                   django_capture_on_commit_callbacks):
    with tenant_context(listed_org):
        open_public_campaign(django_capture_on_commit_callbacks)
    assert ListedCampaign.objects.filter(organisation=listed_org).exists()
    organisation_closure_request(organisation=listed_org, user=owner_a,
                                 confirmation=listed_org.slug)
    assert not ListedCampaign.objects.filter(organisation=listed_org).exists()
    listed_org.refresh_from_db()
    with tenant_context(listed_org):
        assert campaigns_directory_resync() == 0
    assert not ListedCampaign.objects.filter(organisation=listed_org).exists()


def test_a_directory_write_lost_after_the_commit_leaves_the_sign_up_confirmed(
        committed, monkeypatch, caplog):
    """The database lost between the join's commit and the index's UPDATE (a restart): the
    visitor is told their pledge is recorded, as it is, and the failure is logged for the
    hourly resync; never a "try again" page for a sign-up already made. Real commits: the
    callback runs inside the request, as in production."""
    from django.db import OperationalError
    from django.test import Client

    from engagement.models import Participant, Pledge, Programme
    from engagement.services import directory
    from tenants.models import Organisation
    from tests.conftest import host_of

    organisation = Organisation.objects.get(slug="testco")
    with tenant_context(organisation):
        campaign = make_campaign(capacity=10, target=4)
        assert campaign.visibility == Campaign.Visibility.PUBLIC and campaign.listed_in_directory
        slot = campaign.slots.get()
    calls = []

    def lost(*args, **kwargs):
        calls.append(args)
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(directory, "_count_update", lost)
    client = Client(HTTP_HOST=host_of(organisation), raise_request_exception=False)
    email = f"lost-update-{campaign.pk}@example.test"
    try:
        response = client.post(f"/c/{campaign.code}/join/", {
            "email": email, "first_name": "Ana", "slots": [slot.pk], "companions": 0})
        assert calls, "the index's update was not attempted: nothing tested"
        assert response.status_code == 302, response.content[:500]
        assert "/me/" in response["Location"]
        with tenant_context(organisation):
            assert Pledge.objects.filter(participant__email=email).exists()
        assert "hourly resync" in caplog.text
    finally:
        with tenant_context(organisation):
            programme = campaign.programme
            Campaign.objects.filter(pk=campaign.pk).delete()
            Programme.objects.filter(pk=programme.pk).delete()
            Participant.objects.filter(email=email).delete()
