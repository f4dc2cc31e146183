"""Participant imports as jobs: the bulk writing gives the same rows as ``participant_upsert``
row by row; the job is checked, confirmed, then written (all or nothing), with its progress;
the API answers 202 with the job's address; the page shows the progress bar and the
report; managers only. A real worker runs a job end to end at the bottom."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django_tenants.utils import tenant_context

from core.errors import DomainError
from engagement.models import BulkJob, ConsentRecord, Participant, Team
from engagement.services.bulk_jobs import (
    import_job_check,
    import_job_confirm,
    import_job_create,
    import_job_run,
)
from engagement.services.consent import consent_record
from engagement.services.joining import participant_upsert
from engagement.services.participant_bulk import BulkRow, participants_bulk_upsert
from tenants.models import Organisation, User

from ..conftest import tenant_client, wait_for
from ..factories import ParticipantFactory

JSON = "application/json"
Source = ConsentRecord.Source

ROWS = [
    # New people: every cell, or none but the address.
    BulkRow("new.full@example.test", {"first_name": "Nour", "last_name": "Benali",
                                      "team": "Ventes", "site": "Lyon", "postcode": "69001",
                                      "age_band": "25-34", "language": "en"}, consent=True),
    BulkRow("new.bare@example.test", {"first_name": "", "language": ""}),
    # Known people: completed (empty cells keep), team renamed by case only, consent
    # given, consent over their own withdrawal refused, consent already given.
    BulkRow("kim@example.test", {"first_name": "", "last_name": "Martin", "team": "ventes",
                                 "site": "", "language": "en"}, consent=True),
    BulkRow("lea@example.test", {"first_name": "Léa", "team": "Support", "language": ""},
            consent=True),
    BulkRow("max@example.test", {"last_name": "Roux", "language": "fr"}, consent=True),
    BulkRow("zoe@example.test", {"postcode": "75011", "language": ""}, consent=True),
]


def _known_people() -> None:
    sales = Team.objects.create(name="Ventes")
    ParticipantFactory(email="Kim@Example.test", first_name="Kim", site="Paris",
                       team=sales, language="fr")
    lea = ParticipantFactory(email="lea@example.test", first_name="Lea", language="fr")
    # Léa withdrew herself (her unsubscribe link): an import's "yes" must not undo it.
    consent_record(participant=lea, given=True, source=Source.JOIN_FORM)
    consent_record(participant=lea, given=False, source=Source.OWN_PAGE)
    ParticipantFactory(email="max@example.test", language="en", unsubscribed_at=timezone.now())
    zoe = ParticipantFactory(email="zoe@example.test", language="en")
    consent_record(participant=zoe, given=True, source=Source.JOIN_FORM)


def _state() -> list[tuple]:
    people = [(p.email, p.first_name, p.last_name, p.team.name.lower() if p.team else None,
               p.site, p.postcode, p.age_band, p.language, p.consent_to_contact, p.source,
               p.unsubscribed_at is not None, bool(p.referral_code))
              for p in Participant.objects.select_related("team").order_by("email")]
    consents = sorted((r.participant.email, r.given, r.source, r.wording_version, r.wording,
                       r.language) for r in ConsentRecord.objects.select_related("participant"))
    teams = sorted(Team.objects.values_list("name", flat=True))
    return [people, consents, teams]


class _Rollback(Exception):
    pass


@pytest.mark.django_db
def test_bulk_writing_gives_the_rows_of_participant_upsert(org_a):
    with tenant_context(org_a):
        _known_people()
        before = _state()
        # The reference: the single path, row by row, then rolled back.
        try:
            with transaction.atomic():
                for row in ROWS:
                    participant_upsert(email=row.email, source=Participant.Source.IMPORT,
                                       consent_to_contact=True if row.consent else None,
                                       **{k: v for k, v in row.values.items()})
                expected = _state()
                raise _Rollback
        except _Rollback:
            pass
        assert _state() == before
        with transaction.atomic():
            created = participants_bulk_upsert(rows=ROWS)
        assert created == 2
        assert _state() == expected
        # And what that is, in words: the known team reused, the organisation's language
        # for a new person without one, Léa's and Max's withdrawals standing.
        people = {p.email.lower(): p for p in Participant.objects.select_related("team")}
        assert people["kim@example.test"].team.name == "Ventes"
        assert (people["kim@example.test"].first_name, people["kim@example.test"].site) == (
            "Kim", "Paris")
        assert people["new.bare@example.test"].language == org_a.locale
        assert not people["lea@example.test"].consent_to_contact
        assert not people["max@example.test"].consent_to_contact
        assert people["new.full@example.test"].consent_to_contact


@pytest.mark.django_db
def test_bulk_writing_reports_progress_per_batch(org_a, monkeypatch):
    from engagement.services import participant_bulk

    monkeypatch.setattr(participant_bulk, "BATCH", 2)
    seen: list[int] = []
    with tenant_context(org_a), transaction.atomic():
        rows = [BulkRow(f"p{n}@example.test", {"language": ""}) for n in range(5)]
        assert participants_bulk_upsert(rows=rows, progress=seen.append) == 5
        assert Participant.objects.count() == 5
    assert seen == [2, 4, 5]


GOOD = "email;first_name;consent\nana@example.test;Ana;oui\nbob@example.test;Bob;\n"
BAD = "email;language\nana@example.test;fr\nbob@example.test;klingon\n"


def _run_queued(callbacks) -> None:
    """The tasks the request queued, run here (the worker's test is at the bottom)."""
    for callback in callbacks:
        callback()


@pytest.mark.django_db
def test_a_job_is_checked_then_written_once_confirmed(org_a, eager,
                                                      django_capture_on_commit_callbacks):
    with tenant_context(org_a):
        with django_capture_on_commit_callbacks(execute=True):
            job = import_job_create(text=GOOD, consent_collected=True)
        job.refresh_from_db()
        assert job.status == BulkJob.Status.CHECKED and job.source_text == GOOD
        assert (job.report["rows"], job.report["created"], job.report["dry_run"]) == (
            2, 2, True)
        assert not Participant.objects.exists()  # a check writes nothing
        with django_capture_on_commit_callbacks(execute=True):
            import_job_confirm(job=job)
        job.refresh_from_db()
        assert job.status == BulkJob.Status.DONE
        assert (job.processed, job.total, job.report["created"]) == (2, 2, 2)
        assert job.source_text == ""  # the list is not kept once imported
        assert Participant.objects.get(email="ana@example.test").consent_to_contact
        # A second delivery of either task finds the job taken: nothing happens twice.
        assert import_job_check(job_id=job.pk) is None
        assert import_job_run(job_id=job.pk) is None
        with pytest.raises(DomainError):
            import_job_confirm(job=job)


@pytest.mark.django_db
def test_refused_rows_need_the_choice_of_only_the_valid_ones(
        org_a, eager, django_capture_on_commit_callbacks):
    with tenant_context(org_a):
        with django_capture_on_commit_callbacks(execute=True):
            job = import_job_create(text=BAD, consent_collected=False)
        job.refresh_from_db()
        assert job.report["errors"] == [{"line": 3, "column": "language", "message": (
            "“klingon” is not a language we write in: use “fr” or “en”.")}]
        with pytest.raises(DomainError) as refused:
            import_job_confirm(job=job)
        assert "only the valid rows" in refused.value.text
        with django_capture_on_commit_callbacks(execute=True):
            import_job_confirm(job=job, only_valid=True)
        job.refresh_from_db()
        assert job.status == BulkJob.Status.DONE
        assert list(Participant.objects.values_list("email", flat=True)) == [
            "ana@example.test"]


@pytest.mark.django_db
def test_the_report_is_in_the_language_of_the_organiser_who_sent_the_file(
        org_a):
    with tenant_context(org_a):
        with translation.override("fr"):
            job = import_job_create(text=BAD, consent_collected=False)
        # Checked by a worker whose own language is English.
        with translation.override("en"):
            import_job_check(job_id=job.pk)
        job.refresh_from_db()
    message = job.report["errors"][0]["message"]
    assert "klingon" in message and "n’est pas une langue" in message


@pytest.mark.django_db
def test_an_unreadable_file_fails_its_job_with_the_reason(
        org_a, eager, django_capture_on_commit_callbacks):
    with tenant_context(org_a):
        with django_capture_on_commit_callbacks(execute=True):
            job = import_job_create(text="name\nAna\n", consent_collected=False)
        job.refresh_from_db()
        assert job.status == BulkJob.Status.FAILED and job.source_text == ""
        assert "no “email” column" in job.report["message"]


# ---- API ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_answers_202_with_the_job_then_its_progress_and_report(
        org_a, manager_a, eager, django_capture_on_commit_callbacks):
    client = tenant_client(org_a, manager_a)
    upload = SimpleUploadedFile("people.csv", GOOD.encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post("/api/v1/participant-imports/",
                              {"file": upload, "consent_collected": True})
    assert created.status_code == 202, created.content
    location = created["Location"]
    assert location.endswith(f"/api/v1/participant-imports/{created.json()['id']}/")
    job = client.get(location).json()
    assert (job["status"], job["processed"], job["total"], job["percent"]) == (
        "checked", 2, 2, 100)
    assert job["report"]["created"] == 2 and not job["confirmed"]
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(f"{location}confirm/", {}, content_type=JSON)
    assert confirmed.status_code == 202 and confirmed["Location"] == location
    done = client.get(location).json()
    assert (done["status"], done["report"]["imported"], done["confirmed"]) == (
        "done", True, True)
    again = client.post(f"{location}confirm/", {}, content_type=JSON)
    assert again.status_code == 400
    listed = client.get("/api/v1/participant-imports/").json()
    assert [j["id"] for j in listed["results"]] == [job["id"]]


@pytest.mark.django_db
def test_api_refuses_bad_requests_viewers_and_other_organisations(
        org_a, org_b, manager_a, viewer_a, owner_b):
    client = tenant_client(org_a, manager_a)
    assert client.post("/api/v1/participant-imports/", {}, content_type=JSON
                       ).status_code == 400
    latin = SimpleUploadedFile("people.csv", "email\né@example.test".encode("latin-1"))
    refused = client.post("/api/v1/participant-imports/", {"file": latin})
    assert refused.status_code == 400 and "UTF-8" in str(refused.json())
    with tenant_context(org_a):
        job = import_job_create(text=GOOD, consent_collected=False)
    url = f"/api/v1/participant-imports/{job.pk}/"
    assert client.get(url).status_code == 200
    viewer = tenant_client(org_a, viewer_a)
    assert viewer.get(url).status_code == 404
    assert viewer.get("/api/v1/participant-imports/").status_code == 404
    assert viewer.post("/api/v1/participant-imports/", {"text": GOOD}).status_code == 404
    assert tenant_client(org_a, owner_b).get(url).status_code == 404
    # Another organisation's manager, on their own host, does not find it.
    assert tenant_client(org_b, owner_b).get(url).status_code == 404


# ---- pages --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_page_shows_the_progress_then_the_check_then_the_result(
        org_a, manager_a, eager, django_capture_on_commit_callbacks):
    client = tenant_client(org_a, manager_a)
    assert client.get("/participants/import/").status_code == 200
    upload = SimpleUploadedFile("people.csv", GOOD.encode(), content_type="text/csv")
    started = client.post("/participants/import/", {"file": upload,
                                                    "consent_collected": "on"})
    assert started.status_code == 302
    page_url = started["Location"]
    with tenant_context(org_a):
        job = BulkJob.objects.get()
    assert page_url == f"/participants/import/{job.pk}/"
    waiting = client.get(page_url).content.decode()
    # Not yet checked (its task waits for the commit): the bar, refreshed with or
    # without JavaScript.
    assert '<progress id="job-progress" value="0" max="1">' in waiting
    assert f'data-job-url="/api/v1/participant-imports/{job.pk}/"' in waiting
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in waiting
    assert "bulk_progress.js" in waiting
    with tenant_context(org_a):
        import_job_check(job_id=job.pk)
    checked = client.get(page_url).content.decode()
    assert "Check of the file" in checked and "Every row is valid." in checked
    assert "<progress" not in checked
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(page_url, {})
    assert confirmed.status_code == 302 and confirmed["Location"] == page_url
    done = client.get(page_url).content.decode()
    assert "Import done" in done
    with tenant_context(org_a):
        assert Participant.objects.count() == 2
    assert client.post(page_url, {}).status_code == 400  # confirmed once only
    assert "Latest imports" in client.get("/participants/import/").content.decode()


@pytest.mark.django_db
def test_import_page_lists_errors_and_can_take_only_the_valid_rows(
        org_a, manager_a, eager, django_capture_on_commit_callbacks):
    client = tenant_client(org_a, manager_a)
    with django_capture_on_commit_callbacks(execute=True):
        page_url = client.post("/participants/import/", {"text": BAD})["Location"]
    checked = client.get(page_url).content.decode()
    assert "<td>3</td><td><code>language</code></td>" in checked and "klingon" in checked
    refused = client.post(page_url, {})
    assert refused.status_code == 400
    assert "Nothing was imported" in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(page_url, {"only_valid": "on"}).status_code == 302
    with tenant_context(org_a):
        assert list(Participant.objects.values_list("email", flat=True)) == [
            "ana@example.test"]


@pytest.mark.django_db
def test_import_pages_refuse_bad_input_viewers_and_outsiders(org_a, manager_a, viewer_a,
                                                             owner_b):
    client = tenant_client(org_a, manager_a)
    neither = client.post("/participants/import/", {})
    assert neither.status_code == 400 and "one of the two" in neither.content.decode()
    latin = SimpleUploadedFile("people.csv", "email\né@example.test".encode("latin-1"))
    response = client.post("/participants/import/", {"file": latin})
    assert response.status_code == 400 and "UTF-8" in response.content.decode()
    with tenant_context(org_a):
        job = import_job_create(text=GOOD, consent_collected=False)
    url = f"/participants/import/{job.pk}/"
    assert tenant_client(org_a, viewer_a).get(url).status_code == 404
    assert tenant_client(org_a, viewer_a).post(url, {}).status_code == 404
    assert tenant_client(org_a, owner_b).get(url).status_code == 404
    assert client.get("/participants/import/999999/").status_code == 404


# ---- a real worker ------------------------------------------------------------------------

from .test_tasks import smtp_port, worker  # noqa: E402, F401 (fixtures: a worker)


@pytest.fixture
def import_job_org(committed):
    organisation = Organisation.objects.get(slug="testco")
    yield organisation
    with tenant_context(organisation):
        BulkJob.objects.all().delete()
        Participant.objects.filter(email__endswith="@bulkjob.example").delete()
        Team.objects.filter(name="Bulk job team").delete()


@pytest.mark.worker
def test_a_worker_checks_and_imports_a_list_with_its_progress(import_job_org,
                                                              worker):  # noqa: F811
    organisation = import_job_org
    text = "email;team;language\n" + "".join(
        f"person{n}@bulkjob.example;Bulk job team;en\n" for n in range(4500))
    with tenant_context(organisation):
        job = import_job_create(text=text, consent_collected=False,
                                created_by=User.objects.get(email="owner@testco.test"))

    def status() -> str:
        with tenant_context(organisation):
            return BulkJob.objects.get(pk=job.pk).status

    assert wait_for(lambda: status() == "checked", 60), worker.read_text()
    with tenant_context(organisation):
        job.refresh_from_db()
        assert (job.processed, job.total, job.report["created"]) == (4500, 4500, 4500)
        assert not Participant.objects.filter(email__endswith="@bulkjob.example").exists()
        import_job_confirm(job=job)
    assert wait_for(lambda: status() == "done", 60), worker.read_text()
    with tenant_context(organisation):
        job.refresh_from_db()
        assert (job.processed, job.total, job.report["created"]) == (4500, 4500, 4500)
        assert Participant.objects.filter(email__endswith="@bulkjob.example",
                                          team__name="Bulk job team").count() == 4500


@pytest.mark.django_db
def test_the_schedule_queues_lost_steps_again_and_forgets_unconfirmed_lists(
        org_a, eager, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from engagement.services.bulk_jobs import import_jobs_expire, import_jobs_requeue_stalled

    with tenant_context(org_a):
        # The broker was down at the commit: the check's message never left.
        lost = import_job_create(text=GOOD, consent_collected=False)
        later = timezone.now() + timedelta(minutes=6)
        with django_capture_on_commit_callbacks(execute=True):
            assert import_jobs_requeue_stalled(now=later) == 1
        lost.refresh_from_db()
        assert lost.status == BulkJob.Status.CHECKED
        # Checked, never confirmed: a week later the list is gone, the report stays.
        assert import_jobs_expire(now=timezone.now() + timedelta(days=6)) == 0
        assert import_jobs_expire(now=timezone.now() + timedelta(days=8)) == 1
        lost.refresh_from_db()
        assert (lost.status, lost.source_text, lost.report["rows"]) == ("failed", "", 2)


def test_progress_is_seen_while_the_import_transaction_is_open(import_job_org):
    """The bar moves during the writing: progress is written on a connection of its own,
    not inside the import's transaction (which a rollback would take back with it)."""
    from engagement.services.bulk_jobs import _progress_writer

    with tenant_context(import_job_org):
        job = BulkJob.objects.create(kind=BulkJob.Kind.IMPORT, status="running", total=10)
        write, close = _progress_writer(job.pk)
        try:
            with transaction.atomic():
                write(4, 10)
                transaction.set_rollback(True)  # the import fails after that batch
        finally:
            close()
        job.refresh_from_db()
        assert (job.processed, job.total) == (4, 10)
