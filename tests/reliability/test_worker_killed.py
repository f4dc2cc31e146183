"""A worker SIGKILLed in the middle of each kind of task: the broker hands the message to
the next worker (acks_late + reject_on_worker_lost, settings: CELERY_TASK_ACKS_LATE), and
the task finishes exactly once.

Each task is stopped in a slow real step, never by a hook in the code: the e-mail while the
mail server takes its time to answer RCPT TO (the message's content not sent yet), the
figures while the computation waits for a table lock the test holds, the report in its
PDF rendering, the Stripe event while Stripe takes its time to answer. The pool is "solo":
the worker is one process, so SIGKILL to it leaves nothing running. PGMQ would make the
unacknowledged message visible again after 30 minutes; the test does that at once."""

from __future__ import annotations

import re
import time
import uuid

import psycopg
import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from billing.models import BillingAccount, StripeEvent, Subscription
from billing.services import event_process
from billing.tasks import process_stripe_event
from core.tenancy import enqueue_on_commit
from engagement.models import OutboundEmail, Programme
from engagement.services import outbox
from reports.figures import data_version
from reports.models import FiguresSnapshot, Report
from reports.services import report_request
from tenants.libpq import libpq_dsn
from tenants.models import Organisation

from ..billing.fake_stripe import FakeStripe
from ..conftest import child_env, free_port
from .conftest import (
    Faults,
    SMTPSink,
    expire_invisible_messages,
    figures,
    kill,
    mail_env,
    smtp_server,
    wait_until,
    worker,
)

pytestmark = pytest.mark.worker


@pytest.fixture
def organisation(committed) -> Organisation:
    return Organisation.objects.get(slug="testco")


def test_a_worker_killed_while_sending_an_email_sends_it_once(organisation, tmp_path):
    port, tag = free_port(), f"killed-{uuid.uuid4().hex[:8]}"
    sink = SMTPSink(port, Faults(hang_rcpt=30))
    env = mail_env(port, EMAIL_TIMEOUT="60")

    def row() -> OutboundEmail:
        with tenant_context(organisation):
            return OutboundEmail.objects.get(dedupe_key=tag)

    try:
        with smtp_server(port, sink):
            with worker(env, tmp_path / "first.log") as first:
                with tenant_context(organisation):
                    outbox.email_queue(kind="test", dedupe_key=tag, subject=tag, body="Hi",
                                       to_email="killed@example.test")
                assert sink.rcpt_waiting.wait(30), (tmp_path / "first.log").read_text()
                kill(first)
            # The send's transaction died with the worker: nothing counted, nothing sent.
            assert (row().status, row().attempts) == ("queued", 0)
            assert not sink.received(tag)

            sink.faults = Faults()
            assert expire_invisible_messages() >= 1
            with worker(env, tmp_path / "second.log"):
                wait_until(lambda: row().status == "sent", 30, "sent",
                           tmp_path / "second.log")
                time.sleep(1)  # a second copy, if any, would arrive now
        sent = row()
        assert sent.attempts == 1 and sink.received(tag)[tag] == 1
        figures("killed-email", queued=1, sent=1, received=sink.received(tag)[tag],
                duplicates=sink.received(tag)[tag] - 1, lost=0)
    finally:
        with tenant_context(organisation):
            OutboundEmail.objects.filter(dedupe_key=tag).delete()


def _blocked_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                       "current_database() AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0] > 0


def test_a_worker_killed_while_refreshing_figures_stores_them_once(organisation, tmp_path):
    with tenant_context(organisation):
        programme = Programme.objects.create(name="Killed figures", starts_on="2026-01-01",
                                             ends_on="2026-12-31")
    key = f"metrics:programme:{programme.pk}"
    env = child_env()
    # The test's own connection holds the programmes table: the worker's computation waits.
    blocker = psycopg.connect(libpq_dsn(connection.settings_dict))
    try:
        blocker.execute(f'LOCK TABLE "{organisation.schema_name}".engagement_programme '
                        "IN ACCESS EXCLUSIVE MODE")
        with worker(env, tmp_path / "first.log") as first:
            with tenant_context(organisation):
                enqueue_on_commit("reports.tasks.refresh_figures", key)
            wait_until(_blocked_on_a_lock, 30, "the computation waiting",
                       tmp_path / "first.log")
            kill(first)
        blocker.rollback()  # the killed worker's query, if it still runs, answers nobody
        with tenant_context(organisation):
            assert not FiguresSnapshot.objects.filter(key=key).exists()

        assert expire_invisible_messages() >= 1
        with worker(env, tmp_path / "second.log"):
            log = tmp_path / "second.log"
            wait_until(lambda: re.search(r"refresh_figures\[.*\] succeeded", log.read_text()),
                       30, "refreshed", log)
        with tenant_context(organisation):
            stored = list(FiguresSnapshot.objects.filter(key=key))
            assert len(stored) == 1 and stored[0].version == data_version()
        figures("killed-figures", refreshes=1, stored=len(stored), lost=0)
    finally:
        blocker.close()
        with tenant_context(organisation):
            FiguresSnapshot.objects.filter(key=key).delete()
            Programme.objects.filter(pk=programme.pk).delete()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"  # django-tenants' storage cache reset
    return tmp_path / "media"


def test_a_worker_killed_while_rendering_a_report_leaves_one_file(
        organisation, tmp_path, media):
    from ..reports.test_pdf import build_programme

    with tenant_context(organisation):
        programme = build_programme(title="Killed render")
    env = child_env(MEDIA_ROOT=str(media))

    def status() -> str:
        with tenant_context(organisation):
            return Report.objects.get(pk=report.pk).status

    try:
        with worker(env, tmp_path / "first.log") as first:
            with tenant_context(organisation):
                report = report_request(scope="programme", programme=programme,
                                        language="en", user=None)
            wait_until(lambda: status() == "rendering", 30, "rendering",
                       tmp_path / "first.log")
            kill(first)  # WeasyPrint is laying the PDF out
        assert status() == "rendering", "rendered before the kill: the test saw nothing"

        assert expire_invisible_messages() >= 1
        with worker(env, tmp_path / "second.log"):
            wait_until(lambda: status() == "ready", 60, "ready", tmp_path / "second.log")
        files = list((media / organisation.schema_name).rglob("*.pdf"))
        with tenant_context(organisation):
            report.refresh_from_db()
            assert report.file.path == str(files[0]) and report.pages >= 6
        assert [f.name for f in files] == [f"report-{report.pk}.pdf"]
        figures("killed-report", requested=1, rendered=1, files=len(files), lost=0)
    finally:
        with tenant_context(organisation):
            Report.objects.filter(programme=programme).delete()
            programme.campaigns.all().delete()
            programme.delete()


def test_a_worker_killed_while_processing_a_stripe_event_applies_it_once(
        organisation, tmp_path):
    event_id = f"evt_killed_{uuid.uuid4().hex[:10]}"
    with FakeStripe() as fake:
        customer = fake.client().v1.customers.create(params={"email": "killed@testco.test"})
        account = BillingAccount.objects.create(organisation=organisation,
                                                stripe_customer_id=customer.id)
        before = Subscription.objects.filter(organisation=organisation).count()
        env = child_env(STRIPE_SECRET_KEY=fake.api_key, STRIPE_API_BASE=fake.url,
                        STRIPE_TIMEOUT_SECONDS="60")
        # Stripe answers the subscriptions' read after 30 s: the worker waits for it.
        fake.fail_next("GET", "/v1/subscriptions", timeout=True, hang=30)
        try:
            StripeEvent.objects.create(event_id=event_id, type="customer.updated", payload={
                "id": event_id, "type": "customer.updated",
                "data": {"object": {"object": "customer", "id": customer.id}}})
            with worker(env, tmp_path / "first.log") as first:
                process_stripe_event.delay(event_id)
                wait_until(lambda: fake.requests_to("GET", "/v1/subscriptions"), 30,
                           "Stripe read", tmp_path / "first.log")
                kill(first)
            record = StripeEvent.objects.get(event_id=event_id)
            assert record.processed_at is None and record.attempts == 1

            assert expire_invisible_messages() >= 1
            with worker(env, tmp_path / "second.log"):
                wait_until(lambda: StripeEvent.objects.get(event_id=event_id).processed_at,
                           30, "processed", tmp_path / "second.log")
            record.refresh_from_db()
            assert record.attempts == 2  # the killed attempt, then the one that finished
            assert event_process(event_id=event_id) == "already processed"
            assert Subscription.objects.filter(organisation=organisation).count() == before
            reads = len(fake.requests_to("GET", "/v1/subscriptions"))
            figures("killed-stripe", events=1, processed=1, attempts=record.attempts,
                    stripe_reads=reads, lost=0)
        finally:
            StripeEvent.objects.filter(event_id=event_id).delete()
            account.delete()


@pytest.mark.django_db
def test_a_file_left_by_a_killed_rendering_is_replaced_not_doubled(org_a, media):
    """The one window the test above cannot hit on purpose: the PDF written, the worker
    killed before the row says so. The next rendering writes the same name again."""
    from reports.services import report_render

    from ..reports.test_pdf import build_programme

    with tenant_context(org_a):
        report = report_request(scope="programme", programme=build_programme(),
                                language="en", user=None)
        left = media / org_a.schema_name / "reports" / f"report-{report.pk}.pdf"
        left.parent.mkdir(parents=True)
        left.write_bytes(b"%PDF- half of a killed worker's file")
        report = report_render(report_id=report.pk)
        assert report.status == "ready"
        assert [p.name for p in left.parent.iterdir()] == [left.name]
        assert report.file.path == str(left) and report.pages >= 6
        assert b"killed" not in left.read_bytes()


def test_every_project_task_is_acknowledged_late_and_given_back_when_its_worker_dies():
    """What the tests above rely on, for every task (a task of tomorrow included): the
    message is acknowledged once the task is over, and a worker lost mid-task gives it back
    to the broker instead of dropping it."""
    from config.celery import app

    app.loader.import_default_modules()
    ours = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert len(ours) >= 15
    assert [n for n, t in ours.items() if not (t.acks_late and t.reject_on_worker_lost)] == []
