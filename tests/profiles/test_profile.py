"""A person's actions across organisations, by their choice: the tick writes a keyed hash
to the public table (no address, no name), unticking and erasure remove it; the profile
on the public site opens only through the e-mailed link and shows only the organisations
that link this very address; download and erase the links."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.core.cache import cache
from django.db import connection
from django_tenants.utils import tenant_context

from engagement import links
from engagement.models import Participant, PrivacyLog
from engagement.services.privacy import participant_erase
from profiles.models import ProfileLink
from profiles.services import address_key, profile_token
from tests.factories import make_campaign, make_pledge

from ..conftest import public_client, tenant_client
from ..engagement.test_participant_pages import text_of

ADDRESS = "Camille.Martin@Example.test"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def person_in(org, *, email=ADDRESS, title="Beach clean-up", first_name="Camille",
              hours=3):
    """A participant of ``org`` who came to an action that is over, and their token."""
    with tenant_context(org):
        campaign = make_campaign(starts_in=timedelta(days=-3), deadline_in=timedelta(days=-4))
        campaign.title = title
        campaign.status = campaign.Status.COMPLETED
        campaign.save()
        person = Participant.objects.create(email=email, first_name=first_name,
                                            last_name="Martin")
        make_pledge(campaign.slots.get(), person, hours=hours, attendance="attended")
        return person, links.participant_token(person)


def tick(org, token, keep=True):
    """The person's tick on their own page, opened from an e-mail to their address."""
    client = tenant_client(org)
    with tenant_context(org):
        emailed = links.manage_url(links.participant_from_token(token))
    assert client.get(emailed.split("localhost", 1)[1].lstrip(":0123456789")).status_code == 200
    answer = client.post(f"/me/{token}/profile/", {"keep": "1"} if keep else {})
    assert answer.status_code == 302
    return answer


@pytest.mark.django_db
def test_the_page_tick_without_a_proven_address_waits(org_a):
    person, token = person_in(org_a)
    # Whoever holds the signed link (a join hands it to whoever typed the address) has
    # proven nothing: the tick waits on the person's row.
    client = tenant_client(org_a)
    assert client.post(f"/me/{token}/profile/", {"keep": "1"}).status_code == 302
    assert not ProfileLink.objects.exists()
    with tenant_context(org_a):
        assert Participant.objects.get(pk=person.pk).profile_keep_pending
        emailed = links.manage_url(person).split("localhost", 1)[1].lstrip(":0123456789")
    assert tenant_client(org_a).get(emailed).status_code == 200
    assert ProfileLink.objects.get().participant_id == person.pk


def open_profile(client, email=ADDRESS, *, callbacks):
    """Ask for the link as a person does, and open the one e-mailed."""
    mail.outbox.clear()
    with callbacks(execute=True):
        answer = client.post("/my-actions/", {"email": email})
    assert answer.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [email.strip().lower()]
    link = re.search(r"https?://\S+/my-actions/link/\S+/", mail.outbox[0].body).group(0)
    path = link.split("localhost", 1)[1].lstrip(":0123456789")
    opened = client.get(path)
    assert opened.status_code == 302 and opened["Location"] == "/my-actions/profile/"
    return client.get("/my-actions/profile/", HTTP_ACCEPT_LANGUAGE="en")


@pytest.mark.django_db
def test_the_tick_writes_a_keyed_hash_only_and_unticking_removes_it(org_a):
    person, token = person_in(org_a)
    assert not ProfileLink.objects.exists()
    tick(org_a, token)
    row = ProfileLink.objects.get()
    assert (row.organisation_id, row.participant_id) == (org_a.pk, person.pk)
    assert row.address_key == address_key(" camille.martin@example.TEST ")
    # The table holds no address, no name: its columns, and every value in them.
    with connection.cursor() as cursor:
        cursor.execute("SELECT column_name FROM information_schema.columns WHERE "
                       "table_schema = 'public' AND table_name = %s ORDER BY column_name",
                       [ProfileLink._meta.db_table])
        assert [c for (c,) in cursor.fetchall()] == [
            "address_key", "id", "linked_at", "organisation_id", "participant_id"]
        cursor.execute(f"SELECT * FROM public.{ProfileLink._meta.db_table}")  # noqa: S608
        values = " ".join(str(v) for row_ in cursor.fetchall() for v in row_).lower()
    assert "camille" not in values and "martin" not in values and "@" not in values
    answer = tenant_client(org_a).get(f"/me/{token}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Your actions here show in your Fullmobs profile" in text_of(answer)
    assert 'href="http://localhost:8000/my-actions/"' in answer.content.decode()
    tick(org_a, token, keep=False)
    assert not ProfileLink.objects.exists()


@pytest.mark.django_db
def test_erasure_and_anonymisation_remove_the_link(org_a):
    person, token = person_in(org_a)
    tick(org_a, token)
    with tenant_context(org_a):
        participant_erase(participant=person, actor=PrivacyLog.Actor.SCHEDULE)
    assert not ProfileLink.objects.exists()


@pytest.mark.django_db
def test_the_profile_shows_only_the_linked_organisations_of_the_proven_address(
        org_a, org_b, eager, django_capture_on_commit_callbacks):
    _person_a, token_a = person_in(org_a, title="Beach clean-up", hours=3)
    # The same person in another organisation, who did not tick there.
    person_in(org_b, title="Tree planting", hours=5)
    # Someone else, ticked, in the first organisation.
    _other, other_token = person_in(org_a, email="someone.else@example.test",
                                    title="Food collection", first_name="Dominique")
    tick(org_a, other_token)
    tick(org_a, token_a)
    page = text_of(open_profile(public_client(), " camille.martin@example.test",
                                callbacks=django_capture_on_commit_callbacks))
    assert "Test Company" in page and "Beach clean-up" in page
    assert "Hours given: 3" in page and "1 action" in page
    # Not the organisation without the tick, nor the other address's actions.
    assert "Other Company" not in page and "Tree planting" not in page
    assert "Food collection" not in page and "Dominique" not in page


@pytest.mark.django_db
def test_a_changed_address_links_nothing(org_a, eager, django_capture_on_commit_callbacks):
    person, token = person_in(org_a)
    tick(org_a, token)
    with tenant_context(org_a):
        Participant.objects.filter(pk=person.pk).update(email="new.address@example.test")
    client = public_client()
    client.get(f"/my-actions/link/{profile_token(address_key(ADDRESS))}/")
    page = text_of(client.get("/my-actions/profile/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Beach clean-up" not in page
    assert "No organisation shows actions of yours" in page


@pytest.mark.django_db
def test_nothing_shows_without_the_proven_address(org_a):
    _person, token = person_in(org_a)
    tick(org_a, token)
    client = public_client()
    # No link: the form; the data and the erasure are not there.
    assert client.get("/my-actions/profile/")["Location"] == "/my-actions/"
    assert client.get("/my-actions/profile/data.json").status_code == 404
    assert client.post("/my-actions/profile/erase/").status_code == 404
    # A forged, altered or expired link: one page, the same, with no hint.
    forged = client.get("/my-actions/link/abc:def/", HTTP_ACCEPT_LANGUAGE="en")
    good = profile_token(address_key(ADDRESS))
    altered = client.get(f"/my-actions/link/{good[:-2]}xx/", HTTP_ACCEPT_LANGUAGE="en")
    assert forged.status_code == altered.status_code == 404
    assert text_of(forged) == text_of(altered)
    assert "This link does not work" in text_of(forged)
    assert "Beach clean-up" not in text_of(forged)
    # The typed address proves nothing: the same answer, linked or not, no e-mail sent
    # for an address no organisation links.
    mail.outbox.clear()
    linked = client.post("/my-actions/", {"email": ADDRESS}, follow=True,
                         HTTP_ACCEPT_LANGUAGE="en")
    unknown = client.post("/my-actions/", {"email": "nobody@example.test"}, follow=True,
                          HTTP_ACCEPT_LANGUAGE="en")
    assert text_of(linked) == text_of(unknown)
    assert client.post("/my-actions/", {"email": "not an address"}).status_code == 400
    assert client.post("/my-actions/", {}).status_code == 400


@pytest.mark.django_db
def test_an_expired_link_opens_nothing(org_a, settings):
    from profiles import services

    token = profile_token(address_key(ADDRESS))
    saved = services.LINK_MAX_AGE
    services.LINK_MAX_AGE = timedelta(seconds=-1)
    try:
        answer = public_client().get(f"/my-actions/link/{token}/")
    finally:
        services.LINK_MAX_AGE = saved
    assert answer.status_code == 404


@pytest.mark.django_db
def test_the_link_request_is_rate_limited_per_address(org_a):
    client = public_client()
    statuses = [client.post("/my-actions/", {"email": ADDRESS}).status_code
                for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    # Refused before the form is read, whatever was sent (the per-client count too).
    assert [client.post("/my-actions/", {}).status_code for _ in range(7)][-1] == 429


@pytest.mark.django_db
def test_download_in_the_readers_language_and_erase_every_link(
        org_a, org_b, eager, django_capture_on_commit_callbacks):
    _person_a, token_a = person_in(org_a, title="Beach clean-up", hours=3)
    _person_b, token_b = person_in(org_b, title="Tree planting", hours=5)
    tick(org_a, token_a)
    tick(org_b, token_b)
    client = public_client()
    page = text_of(open_profile(client, callbacks=django_capture_on_commit_callbacks))
    assert "Beach clean-up" in page and "Tree planting" in page
    assert "Hours given: 8" in page and "2 actions" in page
    data = client.get("/my-actions/profile/data.json", HTTP_ACCEPT_LANGUAGE="fr").json()
    assert data["totals"]["Heures données"] == "8"
    assert {o["Structure"] for o in data["organisations"]} == {"Test Company",
                                                                 "Other Company"}
    csv_text = client.get("/my-actions/profile/data.csv",
                          HTTP_ACCEPT_LANGUAGE="en").content.decode("utf-8-sig")
    header, *rows = csv_text.strip().splitlines()
    assert header.startswith("Organisation,Campaign,Starts")
    assert len(rows) == 2 and "Tree planting" in csv_text
    # Each organisation's consent page is one signed link away.
    body = client.get("/my-actions/profile/").content.decode()
    consent_links = re.findall(r'href="(http://[a-z]+\.localhost[^"]*/me/([^/"]+)/#consent)"',
                               body)
    assert {link.split("//")[1].split(".")[0] for link, _t in consent_links} == {
        "testco", "otherco"}
    with tenant_context(org_a):
        assert {links.participant_from_token(t) for _l, t in consent_links} & {_person_a}
    answer = client.post("/my-actions/profile/erase/")
    assert answer.status_code == 302
    assert not ProfileLink.objects.exists()
    assert client.get("/my-actions/profile/")["Location"] == "/my-actions/"
    # Each organisation's page says the choice is off.
    own = text_of(tenant_client(org_b).get(f"/me/{token_b}/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Your actions here stay with this organisation only" in own


@pytest.mark.django_db
def test_the_join_form_tick_waits_for_the_address_to_be_proven(org_a):
    with tenant_context(org_a):
        campaign = make_campaign()
        slot = campaign.slots.get()
    form = {"slots": [slot.pk], "first_name": "Lou", "companions": 0,
            "keep_in_profile": "on"}
    client = tenant_client(org_a)
    answer = client.post(f"/c/{campaign.code}/join/", {**form, "email": "lou@example.test"})
    assert answer.status_code == 302 and "a=" not in answer["Location"]
    with tenant_context(org_a):
        lou = Participant.objects.get(email="lou@example.test")
        assert lou.profile_keep_pending
    # Whoever typed the address proved nothing: no link, not even from the page the join
    # sends them to, nor with a proof of another address.
    assert not ProfileLink.objects.exists()
    own_page = client.get(answer["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert own_page.status_code == 200
    assert not ProfileLink.objects.exists()
    # The page says the wish is noted and waits, its switch on (not off, as if ignored).
    switch = re.search(r'<input type="checkbox" role="switch" name="keep"[^>]*>',
                       own_page.content.decode()).group(0)
    assert "checked" in switch
    assert "Noted: your actions here will show in your Fullmobs profile once you open" in \
        own_page.content.decode()
    with tenant_context(org_a):
        someone = Participant.objects.create(email="someone@example.test")
        forged = links.address_proof(someone)
    assert client.get(answer["Location"], {"a": forged}).status_code == 200
    assert not ProfileLink.objects.exists()
    # The link e-mailed to the address proves it: the wish becomes the link, once.
    with tenant_context(org_a):
        emailed = links.manage_url(lou).split("localhost", 1)[1].lstrip(":0123456789")
    assert tenant_client(org_a).get(emailed).status_code == 200
    link = ProfileLink.objects.get()
    assert (link.participant_id, link.address_key) == (lou.pk, address_key("lou@example.test"))
    with tenant_context(org_a):
        assert not Participant.objects.get(pk=lou.pk).profile_keep_pending
    ProfileLink.objects.all().delete()
    assert tenant_client(org_a).get(emailed).status_code == 200
    assert not ProfileLink.objects.exists()  # consumed: unticking later is not undone
    # Someone typing a known person's address proves nothing: no link is made for it.
    known, _token = person_in(org_a)
    with tenant_context(org_a):
        other = make_campaign()
    answer = tenant_client(org_a).post(f"/c/{other.code}/join/", {
        **form, "slots": [other.slots.get().pk], "email": ADDRESS})
    assert answer.status_code == 302
    assert not ProfileLink.objects.filter(participant_id=known.pk).exists()
    # Without the tick, a new person is not linked.
    with tenant_context(org_a):
        third = make_campaign()
    assert tenant_client(org_a).post(f"/c/{third.code}/join/", {
        "slots": [third.slots.get().pk], "first_name": "Noa", "companions": 0,
        "email": "noa@example.test"}).status_code == 302
    assert not ProfileLink.objects.exists()
    with tenant_context(org_a):
        assert not Participant.objects.get(email="noa@example.test").profile_keep_pending


@pytest.mark.django_db
def test_every_address_is_queued_alike_and_the_worker_drops_unlinked_ones(
        org_a, org_b, eager, django_capture_on_commit_callbacks):
    """The form's work (a broker publish) does not depend on the address being linked:
    its time tells nothing; the worker sends only to an address an open organisation
    links."""
    _person, token = person_in(org_a)
    tick(org_a, token)
    client = public_client()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as linked:
        client.post("/my-actions/", {"email": ADDRESS})
    with django_capture_on_commit_callbacks(execute=True) as unknown:
        client.post("/my-actions/", {"email": "nobody@example.test"})
    assert len(linked) == len(unknown) == 1
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_closed_organisations_links_send_and_show_nothing(
        org_a, org_b, eager, django_capture_on_commit_callbacks):
    from tenants.models import Organisation

    _person, token = person_in(org_b)
    tick(org_b, token)
    Organisation.objects.filter(pk=org_b.pk).update(status=Organisation.Status.CLOSED)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert public_client().post("/my-actions/", {"email": ADDRESS}).status_code == 302
    assert mail.outbox == []


@pytest.mark.django_db
def test_an_organisation_that_cannot_be_read_costs_only_its_own_actions(
        org_a, org_b, eager, django_capture_on_commit_callbacks, caplog):
    _person_a, token_a = person_in(org_a, title="Beach clean-up")
    _person_b, token_b = person_in(org_b, title="Tree planting")
    tick(org_a, token_a)
    tick(org_b, token_b)
    # Other Company's schema cannot be read (a table missing, as during a broken
    # migration); rolled back with the test's transaction.
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{org_b.schema_name}".engagement_participant '
                       'RENAME TO engagement_participant_away')
    client = public_client()
    logger = logging.getLogger("engagement.profile")
    logger.addHandler(caplog.handler)  # the project's logging does not propagate
    try:
        page = text_of(open_profile(client, callbacks=django_capture_on_commit_callbacks))
    finally:
        logger.removeHandler(caplog.handler)
    assert "Beach clean-up" in page and "Tree planting" not in page
    assert ("The actions kept by Other Company could not be read just now; try again in "
            "a few minutes.") in page
    french = text_of(client.get("/my-actions/profile/", HTTP_ACCEPT_LANGUAGE="fr"))
    assert "Les actions conservées par Other Company n’ont pas pu être lues" in french
    data = client.get("/my-actions/profile/data.json", HTTP_ACCEPT_LANGUAGE="en").json()
    assert data["Organisations whose actions could not be read just now"] == ["Other Company"]
    assert [o["Organisation"] for o in data["organisations"]] == ["Test Company"]
    assert client.get("/my-actions/profile/data.csv").status_code == 200
    logged = [r for r in caplog.records if r.name == "engagement.profile"]
    assert logged and org_b.schema_name in logged[0].getMessage()
    assert all(ADDRESS.lower() not in r.getMessage().lower()
               and address_key(ADDRESS) not in r.getMessage() for r in logged)


@pytest.mark.django_db
def test_the_emailed_link_carries_no_address_hash_and_opens_once(org_a):
    _person, token = person_in(org_a)
    tick(org_a, token)
    link = profile_token(address_key(ADDRESS))
    assert address_key(ADDRESS) not in link
    assert address_key(ADDRESS) not in signing.loads(link, salt="profiles.address-link",
                                                     max_age=1800).values()
    first = public_client()
    assert first.get(f"/my-actions/link/{link}/")["Location"] == "/my-actions/profile/"
    assert "Beach clean-up" in text_of(first.get("/my-actions/profile/",
                                                 HTTP_ACCEPT_LANGUAGE="en"))
    # Replayed, from another browser or the same: the page for a link that does not work.
    assert public_client().get(f"/my-actions/link/{link}/").status_code == 404
    assert first.get(f"/my-actions/link/{link}/").status_code == 404
    # The session opened by the first use stays open for its hour.
    assert first.get("/my-actions/profile/").status_code == 200
