"""Closing an organisation: the owner's request (password again, address typed), the
read-only space and its banner, cancelling; the full export made by a real worker; the
drop after the grace period on real schemas, and a run that fails half-way."""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from core.errors import DomainError
from core.roles import Role
from engagement.models import Participant, Programme
from methodology.models import ReferenceTrajectory
from methodology.reference_keys import reference_organisation_key
from reports.models import Report
from tenants import auth
from tenants.models import ConsultantAssignment, Domain, Membership, Organisation, User
from tenants.models import Invitation as MemberInvitation
from tenants.services import closure as closure_module
from tenants.services import (
    closure_archive_path,
    closure_archives_requeue,
    organisation_closure_cancel,
    organisation_closure_request,
    organisation_provision,
    organisations_close_due,
    schema_tables,
)

from ..conftest import (
    PASSWORD,
    PYTHON,
    child_env,
    drop_organisation,
    make_member,
    running,
    tenant_client,
    wait_for,
)


def _recent_password(client) -> None:
    session = client.session
    session[auth.AUTHENTICATED_AT] = time.time()
    session.save()


# ---- request, read-only, cancel (the session organisation, rolled back) ---------------------

def test_closure_asks_the_password_again(org_a, owner_a):
    client = tenant_client(org_a, owner_a)
    response = client.get("/settings/closure/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/confirm-password/")


@pytest.mark.parametrize("role", [Role.MANAGER, Role.VIEWER])
def test_closure_pages_are_404_to_other_members(org_a, role):
    client = tenant_client(org_a, make_member(org_a, role))
    _recent_password(client)
    assert client.get("/settings/closure/").status_code == 404
    assert client.post("/settings/closure/", {"confirmation": "testco"}).status_code == 404
    assert client.post("/settings/closure/cancel/").status_code == 404
    assert client.get("/settings/closure/export/").status_code == 404
    org_a.refresh_from_db()
    assert org_a.closure_requested_at is None


def test_closure_is_404_to_an_outsider_and_to_consultants(org_a, owner_b, consultant):
    ConsultantAssignment.objects.create(consultant=consultant, organisation=org_a)
    for user in (owner_b, consultant):
        client = tenant_client(org_a, user)
        _recent_password(client)
        assert client.get("/settings/closure/").status_code == 404
        assert client.get("/settings/closure/export/").status_code == 404


def test_request_read_only_banner_and_cancel(org_a, owner_a, settings):
    settings.LANGUAGE_CODE = "en"
    client = tenant_client(org_a, owner_a)
    _recent_password(client)
    page = client.get("/settings/closure/")
    assert page.status_code == 200
    assert b"Close the organisation" in page.content

    wrong = client.post("/settings/closure/", {"confirmation": "otherco"})
    assert wrong.status_code == 400
    assert b"Type the address of the space exactly" in wrong.content
    org_a.refresh_from_db()
    assert org_a.closure_requested_at is None

    before = timezone.now()
    done = client.post("/settings/closure/", {"confirmation": f" {org_a.primary_host} "})
    assert done.status_code == 302
    org_a.refresh_from_db()
    assert org_a.closure_requested_by == owner_a
    due = org_a.closure_due_at - org_a.closure_requested_at
    assert due == timedelta(days=settings.ORGANISATION_CLOSURE_GRACE_DAYS)
    assert org_a.closure_requested_at >= before

    # Read-only at once: a write is refused, the banner names the date and offers to cancel.
    refused = client.post("/members/invite/", {"email": "x@example.test", "role": "viewer"})
    assert refused.status_code == 403
    assert b"its closure is requested" in refused.content
    api = client.post("/api/v1/programmes/", {"name": "X"}, content_type="application/json")
    assert api.status_code == 403
    home = client.get("/")
    assert b"This organisation closes on" in home.content
    assert b"/settings/closure/cancel/" in home.content
    # A second request is refused.
    with pytest.raises(DomainError):
        organisation_closure_request(organisation=org_a, user=owner_a, confirmation="testco")

    cancelled = client.post("/settings/closure/cancel/")
    assert cancelled.status_code == 302
    org_a.refresh_from_db()
    assert (org_a.closure_requested_at, org_a.closure_requested_by, org_a.closure_due_at) == (
        None, None, None)
    assert b"This organisation closes on" not in client.get("/").content
    created = client.post("/api/v1/programmes/", {
        "name": "After", "starts_on": "2027-01-01", "ends_on": "2027-01-02"},
        content_type="application/json")
    assert created.status_code == 201, created.content


def test_the_banner_in_french(org_a, owner_a):
    organisation_closure_request(organisation=org_a, user=owner_a, confirmation="testco")
    client = tenant_client(org_a, owner_a)
    client.cookies["django_language"] = "fr"
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="fr")
    assert b"Cette organisation ferme le" in page.content
    assert b"Annuler la fermeture" in page.content


def test_cancel_is_refused_once_due(org_a, owner_a):
    organisation_closure_request(organisation=org_a, user=owner_a, confirmation="testco")
    later = timezone.now() + timedelta(days=settings.ORGANISATION_CLOSURE_GRACE_DAYS + 1)
    with pytest.raises(DomainError):
        organisation_closure_cancel(organisation=org_a, user=owner_a, now=later)


def test_only_an_owner_may_request(org_a, manager_a):
    with pytest.raises(DomainError):
        organisation_closure_request(organisation=org_a, user=manager_a,
                                     confirmation="testco")


# ---- a throwaway organisation, with real commits ---------------------------------------------

SLUG = "closing-co"


@pytest.fixture
def media(tmp_path_factory, settings):
    root = tmp_path_factory.mktemp("media")
    settings.MEDIA_ROOT = root
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
    return root


@pytest.fixture
def throwaway(committed, media):
    stale = Organisation.objects.filter(slug=SLUG).first()
    if stale is not None:
        drop_organisation(stale)
    organisation = organisation_provision(
        name="Closing Co", slug=SLUG, owner_email="owner@closing.test",
        owner_password=PASSWORD, owner_name="Camille Closing", locale="fr",
        status=Organisation.Status.ACTIVE)
    owner = User.objects.get(email="owner@closing.test")
    manager = make_member(organisation, Role.MANAGER, "manager@closing.test")
    with tenant_context(organisation):
        programme = Programme.objects.create(name="Été", starts_on="2027-01-01",
                                             ends_on="2027-01-02")
        for n in range(3):
            Participant.objects.create(email=f"p{n}@people.test", first_name=f"Prénom{n}",
                                       last_name="Nom, « guillemets »", postcode="69001")
        report = Report(scope="programme", programme=programme, title="Bilan")
        report.file.save("bilan.pdf", ContentFile(b"%PDF-1.7 report bytes \x00\xff"), save=True)
    yield organisation, owner, manager
    organisation = Organisation.objects.filter(pk=organisation.pk).first()
    if organisation is not None:
        drop_organisation(organisation)
    User.objects.filter(email__endswith="@closing.test").delete()


@pytest.fixture
def archive_worker(django_db_setup, django_db_blocker, tmp_path_factory, media):
    from config.broker import ensure_configured_broker

    with django_db_blocker.unblock():
        ensure_configured_broker()
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    cmd = [PYTHON, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
           "--loglevel", "INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"]
    with running(cmd, child_env(MEDIA_ROOT=str(media)), log) as process:
        ready = wait_for(lambda: "ready" in log.read_text() or process.poll() is not None, 90)
        assert ready and process.poll() is None, log.read_text()
        yield log


def _rows(schema: str, table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{schema}"."{table}"')  # noqa: S608
        return cursor.fetchone()[0]


@pytest.mark.worker
def test_the_worker_exports_every_table_and_file(throwaway, archive_worker, media):
    organisation, owner, manager = throwaway
    with tenant_context(organisation):
        organisation_closure_request(organisation=organisation, user=owner,
                                     confirmation=SLUG)
    organisation.refresh_from_db()
    path = closure_archive_path(organisation)
    assert wait_for(lambda: path.is_file(), 90), archive_worker.read_text()

    schema = organisation.schema_name
    tables = schema_tables(schema)
    assert "engagement_participant" in tables and "reports_report" in tables
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        for table in tables:
            rows = json.loads(archive.read(f"tables/{table}.json"))
            lines = list(csv.reader(io.StringIO(archive.read(f"tables/{table}.csv").decode())))
            assert len(rows) == len(lines) - 1 == _rows(schema, table), table
        people = json.loads(archive.read("tables/engagement_participant.json"))
        assert sorted(p["first_name"] for p in people) == ["Prénom0", "Prénom1", "Prénom2"]
        report_file = next(n for n in names if n.startswith("files/reports/"))
        stored = Path(media) / schema / report_file.removeprefix("files/")
        assert archive.read(report_file) == stored.read_bytes()
        readme = archive.read("README.txt").decode()
        assert "Export de Closing Co" in readme  # the organisation's language
        assert not any(n.startswith("files/closure/") for n in names)

    owner_client = tenant_client(organisation, owner)
    download = owner_client.get("/settings/closure/export/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == path.read_bytes()
    assert tenant_client(organisation, manager).get(
        "/settings/closure/export/").status_code == 404
    # Not through the files' address either.
    assert owner_client.get(f"/media/{schema}/closure/{path.name}").status_code == 404
    _recent_password(owner_client)
    assert b"/settings/closure/export/" in owner_client.get("/settings/closure/").content


def _schema_exists(schema: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = %s",
                       [schema])
        return cursor.fetchone() is not None


def test_the_drop_after_the_grace_period(throwaway, media, eager):
    organisation, owner, manager = throwaway
    consultant = User.objects.create_user(email="consultant@closing.test", is_consultant=True)
    ConsultantAssignment.objects.create(consultant=consultant, organisation=organisation)
    MemberInvitation.objects.create(organisation=organisation, email="later@closing.test",
                                    role=Role.VIEWER, token_hash="x" * 64,
                                    expires_at=timezone.now() + timedelta(days=3))
    with tenant_context(organisation):
        organisation_closure_request(organisation=organisation, user=owner,
                                     confirmation=SLUG)
    schema = organisation.schema_name
    folder = Path(media) / schema
    assert folder.is_dir() and _schema_exists(schema)
    # Its finished campaigns' anonymous trajectories (the forecasts' references) go with
    # it; another organisation's stay.
    common = {"organisation_kind": "company", "size_band": "small", "curve": [1.0] * 21,
              "final": 1, "target": 1, "finished_month": "2026-01-01"}
    ReferenceTrajectory.objects.create(campaign_key="closing", organisation_key=(
        reference_organisation_key(schema)), **common)
    ReferenceTrajectory.objects.create(campaign_key="staying", organisation_key=(
        reference_organisation_key("someone_else")), **common)

    # Its participants' Fullmobs profile links go with it (its row stays, CLOSED, so no
    # CASCADE removes them); another organisation's stay, and so do they while the
    # closure can still be cancelled.
    from profiles.models import ProfileLink
    from profiles.services import profile_link_set

    other = Organisation.objects.exclude(pk=organisation.pk).exclude(
        schema_name=settings.PUBLIC_SCHEMA_NAME).first()
    profile_link_set(organisation_id=organisation.pk, participant_id=1, email="p0@people.test")
    if other is not None:
        profile_link_set(organisation_id=other.pk, participant_id=99_999,
                         email="p0@people.test")
    assert ProfileLink.objects.filter(organisation_id=organisation.pk).exists()

    # Not yet due: nothing happens.
    assert organisations_close_due(now=timezone.now() + timedelta(days=1)) == []
    assert _schema_exists(schema)

    mail.outbox.clear()
    later = timezone.now() + timedelta(days=settings.ORGANISATION_CLOSURE_GRACE_DAYS + 1)
    with schema_context(settings.PUBLIC_SCHEMA_NAME):
        assert organisations_close_due(now=later) == [SLUG]
    assert not _schema_exists(schema)
    assert not folder.exists()
    organisation.refresh_from_db()
    assert organisation.status == Organisation.Status.CLOSED
    assert organisation.closed_at == later
    assert organisation.name == "Closing Co"
    assert not Domain.objects.filter(tenant=organisation).exists()
    assert not Membership.objects.filter(organisation=organisation).exists()
    assert not MemberInvitation.objects.filter(organisation=organisation).exists()
    assert not ConsultantAssignment.objects.filter(organisation=organisation).exists()
    assert list(ReferenceTrajectory.objects.filter(campaign_key__in=["closing", "staying"])
                .values_list("campaign_key", flat=True)) == ["staying"]
    assert not ProfileLink.objects.filter(organisation_id=organisation.pk).exists()
    if other is not None:
        assert ProfileLink.objects.filter(organisation_id=other.pk).exists()
        ProfileLink.objects.filter(organisation_id=other.pk).delete()
    assert [m.to for m in mail.outbox] == [["owner@closing.test"]]
    assert "Closing Co" in mail.outbox[0].subject
    # Its address answers 404, and a second run has nothing to do.
    assert tenant_client(organisation, owner).get("/").status_code == 404
    assert organisations_close_due(now=later) == []


def test_a_run_failing_half_way_is_finished_by_the_next(throwaway, media, eager,
                                                        monkeypatch):
    organisation, owner, _manager = throwaway
    with tenant_context(organisation):
        organisation_closure_request(organisation=organisation, user=owner,
                                     confirmation=SLUG)
    schema = organisation.schema_name
    real_drop = closure_module.schema_drop

    def drop_then_fail(name):
        real_drop(name)
        raise RuntimeError("connection lost")

    monkeypatch.setattr(closure_module, "schema_drop", drop_then_fail)
    later = timezone.now() + timedelta(days=settings.ORGANISATION_CLOSURE_GRACE_DAYS + 1)
    with pytest.raises(RuntimeError):
        organisations_close_due(now=later)
    # The files went first; the schema's drop was rolled back with the rest.
    assert not (Path(media) / schema).exists()
    assert _schema_exists(schema)
    organisation.refresh_from_db()
    assert organisation.closed_at is None
    assert Membership.objects.filter(organisation=organisation).exists()

    monkeypatch.setattr(closure_module, "schema_drop", real_drop)
    assert organisations_close_due(now=later) == [SLUG]
    assert not _schema_exists(schema)
    organisation.refresh_from_db()
    assert organisation.status == Organisation.Status.CLOSED


def test_an_export_the_worker_gave_up_on_is_queued_again(throwaway, media, eager):
    organisation, owner, _manager = throwaway
    with tenant_context(organisation):
        organisation_closure_request(organisation=organisation, user=owner,
                                     confirmation=SLUG)
    organisation.refresh_from_db()
    path = closure_archive_path(organisation)
    assert path.is_file()  # built at once (eager)
    path.unlink()  # as if every attempt had failed
    assert closure_archives_requeue() == []  # too soon: its worker may still be at it
    later = timezone.now() + timedelta(hours=2)
    with schema_context(settings.PUBLIC_SCHEMA_NAME):
        assert closure_archives_requeue(now=later) == [SLUG]
    assert path.is_file()
    assert closure_archives_requeue(now=later) == []  # there now
