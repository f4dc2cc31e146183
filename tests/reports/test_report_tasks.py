"""Reports are rendered by workers: queued on commit in their organisation's schema, and
never lost — a worker killed mid-rendering leaves the message to another one, and the
periodic safety net re-queues what no worker finished, up to three attempts."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from config.broker import ensure_configured_broker
from core.errors import DomainError
from engagement.models import Participant, Programme, Team
from reports import pdf, services
from reports.models import Commentary, Report
from reports.services import report_request, reports_requeue_stuck
from reports.tasks import requeue_stuck_reports_for_all_organisations
from tenants.models import ConsultantAssignment, Organisation

from ..conftest import PYTHON, TEST_QUEUE, child_env, running, tenant_client, wait_for
from .test_pdf import build_programme, pdf_text


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    # django-tenants' storage caches its root until this setting changes.
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
    return tmp_path


@pytest.mark.django_db
def test_a_request_is_validated(org_a, owner_a):
    with tenant_context(org_a):
        with pytest.raises(DomainError) as error:
            report_request(scope="programme", language="en", user=owner_a)
        assert "programme" in error.value.errors
        with pytest.raises(DomainError) as error:
            report_request(scope="period", period_start=date(2026, 5, 1),
                           period_end=date(2026, 4, 1), language="de", user=owner_a)
        assert set(error.value.errors) == {"period_end", "language"}
        assert not Report.objects.exists()


@pytest.mark.django_db
def test_the_task_leaves_on_commit_and_renders_the_report(
        org_a, owner_a, eager, django_capture_on_commit_callbacks):
    with tenant_context(org_a):
        programme = build_programme()
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            report = report_request(scope="programme", programme=programme, language="en",
                                    user=owner_a)
        assert report.status == "queued" and report.attempts == 1
        assert len(callbacks) == 1
        callbacks[0]()  # the commit: the (eager) task renders it
        report.refresh_from_db()
        assert report.status == "ready" and report.pages >= 6
        assert report.started_at <= report.finished_at
        # A re-delivered message finds it ready and does nothing.
        assert services.report_render(report_id=report.pk).finished_at == report.finished_at


@pytest.mark.django_db
def test_a_rendering_error_fails_the_report_with_a_reason(org_a, owner_a, monkeypatch):
    def broken(report):
        raise RuntimeError("template exploded")

    monkeypatch.setattr(pdf, "render_pdf", broken)
    with tenant_context(org_a):
        report = report_request(scope="programme", programme=build_programme(),
                                language="en", user=owner_a)
        report = services.report_render(report_id=report.pk)
    assert report.status == "failed" and "RuntimeError" in report.error
    assert "exploded" not in report.error and not report.file


@pytest.mark.django_db
def test_stuck_reports_are_queued_again_then_given_up(
        org_a, owner_a, django_capture_on_commit_callbacks):
    now = timezone.now()
    with tenant_context(org_a):
        programme = build_programme()

        def report(status: str, *, minutes: int, attempts: int, started: bool) -> Report:
            at = now - timedelta(minutes=minutes)
            return Report.objects.create(
                scope="programme", programme=programme, language="fr", title=status,
                status=status, attempts=attempts, requested_at=at,
                started_at=at if started else None)

        rendering_long = report("rendering", minutes=11, attempts=1, started=True)
        queued_long = report("queued", minutes=30, attempts=2, started=False)
        rendering_now = report("rendering", minutes=2, attempts=1, started=True)
        queued_now = report("queued", minutes=9, attempts=1, started=False)
        exhausted = report("rendering", minutes=15, attempts=3, started=True)
        ready = report("ready", minutes=60, attempts=1, started=True)

        with django_capture_on_commit_callbacks() as callbacks:
            assert reports_requeue_stuck(now=now) == {"requeued": 2, "failed": 1}
        assert len(callbacks) == 2
        for row, status, attempts in [(rendering_long, "queued", 2), (queued_long, "queued", 3),
                                      (rendering_now, "rendering", 1),
                                      (queued_now, "queued", 1), (exhausted, "failed", 3),
                                      (ready, "ready", 1)]:
            row.refresh_from_db()
            assert (row.title, row.status, row.attempts) == (row.title, status, attempts)
        assert "3" in exhausted.error and exhausted.finished_at == now
        assert rendering_long.started_at == now

        # Ten minutes later, still not taken: the last attempt is used, then given up.
        later = now + timedelta(minutes=11)
        with django_capture_on_commit_callbacks():
            assert reports_requeue_stuck(now=later) == {"requeued": 3, "failed": 1}
        queued_long.refresh_from_db()
        assert queued_long.status == "failed"
        rendering_long.refresh_from_db()
        assert (rendering_long.status, rendering_long.attempts) == ("queued", 3)


@pytest.mark.django_db
def test_beat_runs_the_safety_net_in_every_organisation(org_a, org_b, owner_a, eager):
    old = timezone.now() - timedelta(hours=1)
    with tenant_context(org_b):
        programme = Programme.objects.create(name="B", starts_on=date(2026, 1, 1),
                                             ends_on=date(2026, 12, 31))
        stuck = Report.objects.create(scope="programme", programme=programme, title="B",
                                      language="en", status="failed", attempts=1,
                                      requested_at=old)
        Report.objects.filter(pk=stuck.pk).update(status="rendering", attempts=3)
    assert requeue_stuck_reports_for_all_organisations() == Organisation.objects.ready(
        ).count()
    with tenant_context(org_b):
        stuck.refresh_from_db()
        assert stuck.status == "failed"


# --- A real worker, killed while rendering --------------------------------------------------

def _expire_invisible_messages() -> int:
    """What PGMQ does after its visibility timeout (30 minutes): a message read by a worker
    that never acknowledged it becomes visible again. Done now, to keep the test short."""
    queue = re.sub(r"[^a-z0-9_]", "_", TEST_QUEUE.lower())
    with connection.cursor() as cursor:
        cursor.execute("SELECT queue_name FROM pgmq.meta WHERE queue_name LIKE %s",
                       [f"%{queue}%"])
        names = [name for (name,) in cursor.fetchall()]
        expired = 0
        for name in names:
            assert re.fullmatch(r"[a-z0-9_]+", name)
            cursor.execute(f"UPDATE pgmq.q_{name} SET vt = clock_timestamp() "
                           "WHERE vt > clock_timestamp()")
            expired += cursor.rowcount
    return expired


@pytest.fixture
def committed_programme(committed):
    organisation = Organisation.objects.get(slug="testco")
    with tenant_context(organisation):
        programme = build_programme(title="Worker crash")
    yield organisation, programme
    with tenant_context(organisation):
        Report.objects.filter(programme=programme).delete()
        programme.campaigns.all().delete()  # slots, pledges, invitations, impact, answers
        Participant.objects.filter(email__endswith=f".{programme.pk}@example.test").delete()
        Team.objects.filter(name="Logistics Worker crash").delete()
        programme.delete()


@pytest.mark.worker
def test_a_report_survives_its_worker_being_killed(committed_programme, tmp_path, media):
    organisation, programme = committed_programme
    ensure_configured_broker()
    cmd = [PYTHON, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
           "--loglevel", "INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"]

    def status() -> str:
        with tenant_context(organisation):
            return Report.objects.get(pk=report.pk).status

    slow = child_env(FULLMOBS_TEST_REPORT_DELAY="60", MEDIA_ROOT=str(media))
    with running(cmd, slow, tmp_path / "first.log") as first:
        with tenant_context(organisation):
            report = report_request(scope="programme", programme=programme, language="fr",
                                    user=None)
        assert wait_for(lambda: status() == "rendering", 30), (tmp_path / "first.log"
                                                                ).read_text()
        first.kill()  # SIGKILL: no clean-up, no acknowledgement
        first.wait()
    assert status() == "rendering"

    # At least the report's message (earlier tests may have left delayed retries there).
    assert _expire_invisible_messages() >= 1
    with running(cmd, child_env(MEDIA_ROOT=str(media)), tmp_path / "second.log"):
        assert wait_for(lambda: status() == "ready", 30), (tmp_path / "second.log"
                                                            ).read_text()
    with tenant_context(organisation):
        report.refresh_from_db()
        assert report.pages >= 6
        assert report.file.path.startswith(str(media / organisation.schema_name))
        with report.file.open("rb") as file:
            assert "Worker crash" in pdf_text(file.read())


# --- The pages that request and serve them ----------------------------------------------------

@pytest.mark.django_db
def test_managers_request_reports_and_members_follow_them(
        org_a, manager_a, viewer_a, django_capture_on_commit_callbacks):
    with tenant_context(org_a):
        programme = build_programme()
    manager = tenant_client(org_a, manager_a)
    with django_capture_on_commit_callbacks() as callbacks:
        response = manager.post("/reports/", {"scope": "programme", "programme": programme.pk,
                                              "language": "fr"})
    assert response.status_code == 302 and len(callbacks) == 1
    with tenant_context(org_a):
        report = Report.objects.get()
    assert (report.scope, report.programme_id, report.language) == (
        "programme", programme.pk, "fr")

    viewer = tenant_client(org_a, viewer_a)
    page = viewer.get("/reports/")
    assert page.status_code == 200 and "Request a report" not in page.content.decode()
    assert 'hx-trigger="every 3s"' in page.content.decode()  # not finished: polling
    assert viewer.post("/reports/", {"scope": "programme", "programme": programme.pk,
                                     "language": "en"}).status_code == 404
    refused = manager.post("/reports/", {"scope": "period", "language": "en"})
    assert refused.status_code == 400
    assert "Give the first and the last day of the period." in refused.content.decode()

    with tenant_context(org_a):
        services.report_render(report_id=report.pk)
    rows = viewer.get("/reports/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in rows and f"/reports/{report.pk}/download/" in rows
    download = viewer.get(f"/reports/{report.pk}/download/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF-")


@pytest.mark.django_db
def test_another_organisations_people_never_reach_a_report(org_a, org_b, owner_a, owner_b):
    with tenant_context(org_a):
        programme = build_programme()
        report = report_request(scope="programme", programme=programme, language="en",
                                user=owner_a)
        services.report_render(report_id=report.pk)
    assert tenant_client(org_b, owner_b).get(
        f"/reports/{report.pk}/download/").status_code == 404  # another schema
    outsider = tenant_client(org_a, owner_b)
    for url in ("/reports/", f"/reports/{report.pk}/download/",
                f"/reports/commentary/programme/programme:{programme.pk}/"):
        assert outsider.get(url).status_code == 404


@pytest.mark.django_db
def test_the_consultant_writes_the_commentary_managers_cannot(
        org_a, owner_a, manager_a, consultant):
    with tenant_context(org_a):
        programme = build_programme()
    url = f"/reports/commentary/programme/programme:{programme.pk}/"
    assert tenant_client(org_a, manager_a).get(url).status_code == 404
    assert tenant_client(org_a, consultant).get(url).status_code == 404  # not assigned
    ConsultantAssignment.objects.create(consultant=consultant, organisation=org_a)
    client = tenant_client(org_a, consultant)
    assert client.get(url).status_code == 200
    response = client.post(url, {"summary": "A **strong** start.", "levers": "",
                                 "recommendations": "More Saturdays."})
    assert response.status_code == 302
    with tenant_context(org_a):
        assert dict(Commentary.objects.values_list("section", "text")) == {
            "summary": "A **strong** start.", "recommendations": "More Saturdays."}
        html = pdf.report_html(report_request(scope="programme", programme=programme,
                                              language="en", user=owner_a))
    assert "A <strong>strong</strong> start." in html
    assert tenant_client(org_a, owner_a).get(url).status_code == 200
    assert tenant_client(org_a, owner_a).get(
        "/reports/commentary/programme/programme:999999/").status_code == 404
