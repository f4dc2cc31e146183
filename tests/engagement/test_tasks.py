"""The engagement schedule (deadlines, results) and the outbox on a real worker: a failing
mail server loses nothing, and each e-mail is sent in the schema it was queued from."""

import threading
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import tenant_context

from config.broker import ensure_configured_broker
from engagement.models import Campaign, OutboundEmail, Participant, Programme
from engagement.services import (
    campaign_close,
    campaign_create,
    campaign_open,
    outbox,
    pledge_create,
)
from engagement.tasks import run_engagement_schedule, run_engagement_schedule_for_all_organisations
from tenants.models import Organisation

from ..conftest import PYTHON, child_env, free_port, running, wait_for
from ..reliability.servers import SMTPServer
from .test_messaging import person


def open_campaign(*, target: int, capacity: int, title: str) -> Campaign:
    """An open campaign taking pledges; the test then moves its deadline into the past."""
    programme = Programme.objects.create(name="Deadlines", starts_on="2026-01-01",
                                         ends_on="2030-12-31")
    start = timezone.now() + timedelta(days=10)
    campaign = campaign_create(
        programme=programme, title=title, starts_at=start, ends_at=start + timedelta(hours=3),
        participant_target=target, mobilisation_deadline=start - timedelta(days=2),
        slots=[(start, start + timedelta(hours=3), capacity)])
    return campaign_open(campaign=campaign)


def pass_deadline(campaign: Campaign) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(
        mobilisation_deadline=timezone.now() - timedelta(minutes=1))


@pytest.mark.django_db
@pytest.mark.usefixtures("eager")
def test_schedule_decides_campaigns_at_their_deadline_and_tells_participants(
        org_a, django_capture_on_commit_callbacks):
    with tenant_context(org_a):
        reached = open_campaign(target=2, capacity=10, title="Reached")
        pledge_create(slot=reached.slots.get(), participant=person("Ana"), companions=1)
        missed = open_campaign(target=5, capacity=1, title="Missed")
        pledge_create(slot=missed.slots.get(), participant=person("Ben", "en"))
        pledge_create(slot=missed.slots.get(), participant=person("Cleo"))  # waiting list
        for campaign in (reached, missed):
            pass_deadline(campaign)

        with django_capture_on_commit_callbacks(execute=True):
            result = run_engagement_schedule()
        assert result["closed"] == 2
        reached.refresh_from_db()
        missed.refresh_from_db()
        assert (reached.status, missed.status) == ("succeeded", "failed")
        told = {(e.participant.first_name, e.kind, e.status) for e in
                OutboundEmail.objects.select_related("participant")}
        assert told == {("Ana", "campaign_succeeded", "sent"),
                        ("Ben", "campaign_failed", "sent"),
                        ("Cleo", "campaign_failed", "sent")}
        subjects = {m.to[0]: m.subject for m in mail.outbox}
        assert subjects == {
            "ana@example.test": "Objectif atteint : « Reached » aura bien lieu !",
            "ben@example.test": "Missed will not take place",
            "cleo@example.test": "« Missed » n’aura pas lieu",
        }
        assert "1 of us signed up, for a target of 5" in next(
            m.body for m in mail.outbox if m.to == ["ben@example.test"])

        with django_capture_on_commit_callbacks(execute=True):
            assert run_engagement_schedule()["closed"] == 0
        assert OutboundEmail.objects.count() == 3 and len(mail.outbox) == 3


@pytest.mark.django_db
def test_result_emails_lost_after_the_decision_are_caught_up(org_a):
    with tenant_context(org_a):
        campaign = open_campaign(target=1, capacity=5, title="Decided")
        pledge_create(slot=campaign.slots.get(), participant=person("Fay"))
        pass_deadline(campaign)
        # The decision commits; its result e-mails are lost (here: the on-commit callback
        # of a test transaction never runs).
        campaign_close(campaign=campaign)
        assert not OutboundEmail.objects.exists()

        assert run_engagement_schedule()["results"] == 1
        assert OutboundEmail.objects.get().kind == "campaign_succeeded"
        assert run_engagement_schedule()["results"] == 0


@pytest.mark.django_db
@pytest.mark.usefixtures("eager")
def test_beat_entry_runs_the_schedule_in_every_organisations_schema(org_a, org_b):
    campaigns = {}
    for organisation in (org_a, org_b):
        with tenant_context(organisation):
            campaigns[organisation.slug] = campaign = open_campaign(
                target=1, capacity=5, title=f"Due in {organisation.slug}")
            pledge_create(slot=campaign.slots.get(), participant=person("Eve"))
            pass_deadline(campaign)

    # Queued from the public schema, as beat does; each run happens in its organisation.
    assert run_engagement_schedule_for_all_organisations() == Organisation.objects.ready(
        ).count()
    for organisation in (org_a, org_b):
        with tenant_context(organisation):
            campaign = Campaign.objects.get(pk=campaigns[organisation.slug].pk)
            assert (campaign.title, campaign.status) == (
                f"Due in {organisation.slug}", "succeeded")


@pytest.fixture(scope="module")
def smtp_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, tmp_path_factory, smtp_port):
    """A real worker whose mail server (127.0.0.1:smtp_port) is down until a test starts
    one there."""
    with django_db_blocker.unblock():
        ensure_configured_broker()
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    cmd = [PYTHON, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
           "--loglevel", "INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"]
    env = child_env(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                    EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp_port), EMAIL_USE_TLS="")
    with running(cmd, env, log) as process:
        ready = wait_for(lambda: "ready" in log.read_text() or process.poll() is not None, 90)
        assert ready and process.poll() is None, log.read_text()
        yield log


@pytest.fixture
def recipients(committed):
    a = Organisation.objects.get(slug="testco")
    b = Organisation.objects.get(slug="otherco")
    people = {}
    for organisation in (a, b):
        with tenant_context(organisation):
            people[organisation.slug] = person(f"Worker{organisation.slug}", "en")
    yield a, b, people
    for organisation in (a, b):
        with tenant_context(organisation):
            Participant.objects.filter(pk=people[organisation.slug].pk).delete()


@pytest.mark.worker
def test_mail_server_down_keeps_the_email_queued_until_it_is_sent(
        recipients, worker, smtp_port):
    a, b, people = recipients
    key = f"test:worker:{uuid.uuid4()}"  # the same logical key in two organisations

    def queue(organisation: Organisation, subject: str) -> OutboundEmail:
        with tenant_context(organisation):
            participant = people[organisation.slug]
            return outbox.email_queue(kind="test", dedupe_key=key, subject=subject,
                                         body="Hello", to_email=participant.email,
                                         participant=participant)

    def row(organisation: Organisation, pk: int) -> OutboundEmail:
        with tenant_context(organisation):
            return OutboundEmail.objects.get(pk=pk)

    queued = queue(a, "For A")
    failed = wait_for(lambda: (r := row(a, queued.pk)).attempts >= 1 and r, 30)
    assert failed, worker.read_text()
    assert failed.status == "queued" and failed.sent_at is None
    assert "refused" in failed.last_error.lower(), failed.last_error

    server = SMTPServer(smtp_port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        # As the schedule does once the retry is overdue (no need to wait for it here).
        with tenant_context(a):
            assert outbox.stalled_emails_requeue(now=timezone.now() + timedelta(hours=1))
        sent = wait_for(lambda: (r := row(a, queued.pk)).status == "sent" and r, 30)
        assert sent, worker.read_text()
        assert sent.attempts == 2 and sent.sent_at is not None

        in_b = queue(b, "For B")
        assert wait_for(lambda: row(b, in_b.pk).status == "sent", 30), worker.read_text()
        delivered = {m["To"]: m for m in server.messages}
        assert len(server.messages) == 2
        assert delivered[people["testco"].email]["Subject"] == "For A"
        assert delivered[people["otherco"].email]["Subject"] == "For B"
        assert "/unsubscribe/" in delivered[people["otherco"].email]["List-Unsubscribe"]
        assert "otherco.localhost" in delivered[people["otherco"].email]["List-Unsubscribe"]
        assert row(a, queued.pk).attempts == 2  # B's delivery touched only B's row
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.worker
def test_a_sign_up_is_confirmed_by_the_worker_in_its_organisation(committed, worker):
    """The join request only queues the notification; the worker composes the e-mail, in
    the schema of the organisation where the pledge was made."""
    from engagement.services import campaign_join

    organisation = Organisation.objects.get(slug="otherco")
    with tenant_context(organisation):
        campaign = open_campaign(target=3, capacity=5, title="Worker join")
        Campaign.objects.filter(pk=campaign.pk).update(visibility="public")
        campaign.refresh_from_db()
        address = f"joiner-{uuid.uuid4().hex[:6]}@example.test"
        campaign_join(campaign=campaign, email=address, first_name="Joe",
                      slot_ids=[campaign.slots.get().pk])

    def confirmation():
        with tenant_context(organisation):
            return OutboundEmail.objects.filter(to_email=address).first()

    try:
        row = wait_for(confirmation, 30)
        assert row is not None, worker.read_text()
        assert row.kind == "pledge_confirmed" and "Worker join" in row.subject
    finally:
        with tenant_context(organisation):
            programme = campaign.programme
            OutboundEmail.objects.filter(campaign=campaign).delete()
            Campaign.objects.filter(pk=campaign.pk).delete()
            programme.delete()
            Participant.objects.filter(email=address).delete()
