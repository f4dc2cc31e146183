"""Invitations sent in one go as a job: recorded by the worker chunk by chunk with the
job's progress, each person once per campaign (held by the database, whoever races),
resumed after a worker stopped midway, then handed to the delivery under the hourly cap;
and the hygiene of every bulk job: the sweep judges a job by its last progress, an
erasure reaches the lists and reports jobs keep, and finished jobs are deleted in time.
A real worker runs a send end to end at the bottom."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.errors import DomainError
from engagement.models import (
    BulkJob,
    Invitation,
    InvitationBatch,
    OutboundEmail,
    Participant,
    PrivacyLog,
)
from engagement.services import invitation_jobs
from engagement.services.bulk_jobs import (
    ATTEMPTS,
    FINISHED_KEPT,
    STUCK_AFTER,
    bulk_jobs_forget,
    bulk_jobs_sweep,
)
from engagement.services.invitation_jobs import invitation_job_create, invitation_job_run
from engagement.services.outreach import bulk_audience, invitations_bulk_send
from engagement.services.privacy import participant_erase
from tenants.models import Organisation, User

from ..conftest import wait_for
from ..factories import ParticipantFactory, make_campaign

Audience = InvitationBatch.Audience


def _people(n: int, **extra) -> list[Participant]:
    return [ParticipantFactory(consent_to_contact=True, **extra) for _ in range(n)]


@pytest.mark.django_db
def test_a_job_records_each_invitation_once_with_its_progress_then_delivers_them(
        org_a, manager_a, eager, django_capture_on_commit_callbacks):
    with tenant_context(org_a):
        campaign = make_campaign()
        invited = _people(5)
        ParticipantFactory(consent_to_contact=True, unsubscribed_at=timezone.now())
        ParticipantFactory(consent_to_contact=False)
        with django_capture_on_commit_callbacks(execute=True):
            job = invitation_job_create(campaign=campaign, audience=bulk_audience(kind="all"),
                                        lever_code="deadline", channel="email",
                                        organiser=manager_a)
        job.refresh_from_db()
        assert (job.kind, job.status, job.processed, job.total) == ("invitations", "done", 5, 5)
        assert job.report["invited"] == 5 and job.finished_at is not None
        batch = InvitationBatch.objects.get(pk=job.options["batch"])
        assert batch.invited == 5
        assert set(Invitation.objects.filter(batch=batch).values_list(
            "participant_id", flat=True)) == {p.pk for p in invited}
        # The delivery ran after the job: one e-mail each, through the outbox.
        assert OutboundEmail.objects.filter(kind="invitation").count() == 5
        # A repeated message finds the job over; a second send finds nobody left.
        assert invitation_job_run(job_id=job.pk) is None
        with pytest.raises(DomainError) as refused:
            invitation_job_create(campaign=campaign, audience=bulk_audience(kind="all"),
                                  lever_code="deadline", channel="email", organiser=manager_a)
        assert "audience" in refused.value.errors


@pytest.mark.django_db
def test_a_closed_campaign_or_an_unknown_lever_is_refused_and_nothing_is_written(
        org_a, manager_a):
    with tenant_context(org_a):
        campaign = make_campaign()
        _people(2)
        with pytest.raises(DomainError) as refused:
            invitation_job_create(campaign=campaign, audience=bulk_audience(kind="all"),
                                  lever_code="nope", channel="qr_poster", organiser=manager_a)
        assert {"lever_code", "channel"} <= set(refused.value.errors)
        assert not BulkJob.objects.exists() and not InvitationBatch.objects.exists()


@pytest.mark.django_db
def test_a_job_stopped_midway_goes_on_where_it_stopped_and_invites_nobody_twice(
        org_a, manager_a, eager, django_capture_on_commit_callbacks, monkeypatch):
    """The worker dies after two chunks (committed with their progress); meanwhile someone
    of the rest unsubscribes and another send invites one of them. The sweep, judging by
    the job's last progress, queues it again; the next run starts after the last chunk,
    leaves out the one who unsubscribed and does not invite anyone twice."""
    real = invitation_jobs.invitations_record
    calls = {"n": 0}

    def dies_after_two_chunks(**kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise SystemExit("worker killed")
        return real(**kwargs, limit=3)

    with tenant_context(org_a):
        campaign = make_campaign()
        people = _people(10)
        with django_capture_on_commit_callbacks(execute=False) as queued:
            job = invitation_job_create(campaign=campaign, audience=bulk_audience(kind="all"),
                                        lever_code="deadline", channel="email",
                                        organiser=manager_a)
        assert len(queued) == 1
        monkeypatch.setattr(invitation_jobs, "invitations_record", dies_after_two_chunks)
        with pytest.raises(SystemExit):
            invitation_job_run(job_id=job.pk)
        job.refresh_from_db()
        assert (job.status, job.processed, job.total, job.report["invited"]) == (
            "running", 6, 10, 6)
        assert Invitation.objects.filter(campaign=campaign).count() == 6
        rest = sorted(people, key=lambda p: p.pk)[6:]
        Participant.objects.filter(pk=rest[0].pk).update(unsubscribed_at=timezone.now())
        invitations_bulk_send(campaign=campaign, audience=bulk_audience(kind="all"),
                              lever_code="deadline", channel="email", organiser=manager_a,
                              people=[rest[1].pk])
        # Not stalled yet: its last progress is recent, whatever its age.
        BulkJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(days=1))
        assert bulk_jobs_sweep(now=timezone.now()) == {"requeued": 0, "failed": 0}
        monkeypatch.setattr(invitation_jobs, "invitations_record",
                            lambda **kwargs: real(**kwargs, limit=3))
        with django_capture_on_commit_callbacks(execute=True):
            assert bulk_jobs_sweep(now=timezone.now() + STUCK_AFTER + timedelta(seconds=1)
                                   ) == {"requeued": 1, "failed": 0}
        job.refresh_from_db()
        assert job.status == "done" and job.options["attempts"] == 1
        assert job.processed == job.total == 8  # the unsubscribed one and the other send's
        assert job.report["invited"] == 8
        per_person = list(Invitation.objects.filter(campaign=campaign)
                          .values_list("participant_id", flat=True))
        assert len(per_person) == len(set(per_person)) == 9
        assert rest[0].pk not in per_person
        assert InvitationBatch.objects.get(pk=job.options["batch"]).invited == 8


@pytest.mark.django_db
def test_the_sweep_requeues_lost_and_stuck_jobs_then_fails_one_that_keeps_stopping(
        org_a, eager, django_capture_on_commit_callbacks, monkeypatch):
    from engagement.services import bulk_jobs

    queued = []
    monkeypatch.setattr(bulk_jobs, "enqueue_on_commit", lambda task, pk: queued.append(
        (task, pk)))
    now = timezone.now()
    old = now - timedelta(hours=1)
    with tenant_context(org_a):
        lost = BulkJob.objects.create(kind="import", status="queued", source_text="x",
                                      created_at=old, updated_at=old)
        stuck = BulkJob.objects.create(kind="import", status="running", total=10, processed=4,
                                       options={"confirmed": True, "language": "fr"},
                                       source_text="x", created_at=old, updated_at=old)
        busy = BulkJob.objects.create(kind="invitations", status="running", total=10,
                                      options={"campaign": 1}, created_at=old,
                                      updated_at=now - timedelta(minutes=2))
        assert bulk_jobs_sweep(now=now) == {"requeued": 2, "failed": 0}
        assert sorted(queued) == sorted([
            ("engagement.tasks.check_participant_import", lost.pk),
            ("engagement.tasks.run_participant_import", stuck.pk)])
        stuck.refresh_from_db()
        busy.refresh_from_db()
        assert (stuck.status, stuck.options["attempts"]) == ("queued", 1)
        assert busy.status == "running"
        # A job that stops again and again is failed, with the reason in its language.
        BulkJob.objects.filter(pk=stuck.pk).update(
            status="running", updated_at=old,
            options={"confirmed": True, "language": "fr", "attempts": ATTEMPTS})
        queued.clear()
        # (The lost one, queued again just now, waits as long again before another message.)
        assert bulk_jobs_sweep(now=now) == {"requeued": 0, "failed": 1}
        stuck.refresh_from_db()
        assert stuck.status == "failed" and stuck.source_text == ""
        assert stuck.report["message"].startswith("Le travail s’est arrêté")


@pytest.mark.django_db
def test_erasing_a_person_removes_them_from_the_lists_and_reports_jobs_keep(org_a):
    with tenant_context(org_a):
        person = ParticipantFactory(email="Erase.Me@example.test")
        other = ParticipantFactory(email="stays@example.test")
        text = ("email;language\nerase.me@example.test;klingon\nstays@example.test;vulcan\n")
        checked = BulkJob.objects.create(kind="import", status="checked", source_text=text,
                                         report={"rows": 2, "errors": [
                                             {"line": 2, "column": "language",
                                              "message": "klingon is not a language"},
                                             {"line": 3, "column": "language",
                                              "message": "vulcan is not a language"}]})
        done = BulkJob.objects.create(kind="import", status="done", report={"errors": [
            {"line": 7, "column": "email",
             "message": "ERASE.ME@example.test appears twice in the file"},
            {"line": 9, "column": "email", "message": "x@y appears twice in the file"}]})
        untouched = BulkJob.objects.create(kind="import", status="done",
                                           report={"errors": [], "rows": 1})
        participant_erase(participant=person, actor=PrivacyLog.Actor.ORGANISER)
        checked.refresh_from_db()
        done.refresh_from_db()
        untouched.refresh_from_db()
        # The line is blanked (an import skips it), the others keep their numbers.
        assert checked.source_text == "email;language\n\nstays@example.test;vulcan\n"
        assert [e["line"] for e in checked.report["errors"]] == [3]
        assert [e["line"] for e in done.report["errors"]] == [9]
        assert untouched.report == {"errors": [], "rows": 1}
        assert "erase.me" not in str(BulkJob.objects.values_list("source_text", "report")
                                     ).lower()
        other.refresh_from_db()
        assert other.erased_at is None


@pytest.mark.django_db
def test_finished_jobs_are_deleted_after_their_retention_and_running_ones_kept(org_a):
    now = timezone.now()
    with tenant_context(org_a):
        gone = [BulkJob.objects.create(kind=kind, status=status,
                                       finished_at=now - FINISHED_KEPT - timedelta(days=1),
                                       options={"campaign": 1})
                for kind, status in (("import", "done"), ("invitations", "failed"))]
        kept = [BulkJob.objects.create(kind="import", status="done",
                                       finished_at=now - FINISHED_KEPT + timedelta(days=1)),
                BulkJob.objects.create(kind="invitations", status="running",
                                       created_at=now - FINISHED_KEPT * 2,
                                       options={"campaign": 1})]
        assert bulk_jobs_forget(now=now) == 2
        assert set(BulkJob.objects.values_list("pk", flat=True)) == {j.pk for j in kept}
        assert not BulkJob.objects.filter(pk__in=[j.pk for j in gone]).exists()


# ---- a real worker ------------------------------------------------------------------------

from .test_tasks import smtp_port, worker  # noqa: E402, F401 (fixtures: a worker)


@pytest.fixture
def invitation_job_org(committed):
    organisation = Organisation.objects.get(slug="testco")
    with tenant_context(organisation):
        campaign = make_campaign()
        Participant.objects.bulk_create(
            Participant(email=f"person{n}@invitejob.example", consent_to_contact=True)
            for n in range(2_500))
    yield organisation, campaign
    with tenant_context(organisation):
        BulkJob.objects.all().delete()
        OutboundEmail.objects.filter(campaign=campaign).delete()
        campaign.delete()
        Participant.objects.filter(email__endswith="@invitejob.example").delete()


@pytest.mark.worker
def test_a_worker_records_a_large_send_with_its_progress(invitation_job_org,
                                                          worker):  # noqa: F811
    organisation, campaign = invitation_job_org
    with tenant_context(organisation):
        job = invitation_job_create(campaign=campaign, audience=bulk_audience(kind="all"),
                                    lever_code="deadline", channel="email",
                                    organiser=User.objects.get(email="owner@testco.test"))
    seen = set()

    def state() -> str:
        with tenant_context(organisation):
            current = BulkJob.objects.get(pk=job.pk)
            seen.add(current.processed)
            return current.status

    assert wait_for(lambda: state() == "done", 120), worker.read_text()
    with tenant_context(organisation):
        job.refresh_from_db()
        assert job.processed == job.total == job.report["invited"] >= 2_500
        people = Invitation.objects.filter(campaign=campaign).values_list("participant_id",
                                                                         flat=True)
        assert len(people) == len(set(people)) == job.total
        assert InvitationBatch.objects.get(pk=job.options["batch"]).invited == job.total
    # Handed to the delivery: the hour's allowance of e-mails composed by the worker, the
    # rest due at the next hour.

    def delivered() -> bool:
        with tenant_context(organisation):
            batch = InvitationBatch.objects.get(pk=job.options["batch"])
            return batch.sent > 0 and (batch.next_at is None or batch.next_at > timezone.now())

    assert wait_for(delivered, 120), worker.read_text()
    with tenant_context(organisation):
        batch = InvitationBatch.objects.get(pk=job.options["batch"])
        assert OutboundEmail.objects.filter(kind="invitation", campaign=campaign
                                            ).count() == batch.sent


@pytest.mark.django_db
def test_a_run_whose_job_was_claimed_again_meanwhile_rolls_its_chunk_back(
        org_a, manager_a, django_capture_on_commit_callbacks, monkeypatch):
    """A chunk slower than the sweep's patience: the job is queued again and claimed by
    another worker while the first is still running; the first run's chunk must not count
    (nor its invitations), and the first run stops."""
    real = invitation_jobs.invitations_record
    calls = {"n": 0}

    def slow_second_chunk(**kwargs):
        calls["n"] += 1
        result = real(**kwargs, limit=3)
        if calls["n"] == 2:
            # Meanwhile: the sweep queued the job again and another worker claimed it.
            BulkJob.objects.filter(pk=job_id).update(
                status="running", started_at=timezone.now() + timedelta(minutes=11))
        return result

    with tenant_context(org_a):
        campaign = make_campaign()
        _people(10)
        with django_capture_on_commit_callbacks(execute=False):
            job = invitation_job_create(campaign=campaign, audience=bulk_audience(kind="all"),
                                        lever_code="deadline", channel="email",
                                        organiser=manager_a)
        job_id = job.pk
        monkeypatch.setattr(invitation_jobs, "invitations_record", slow_second_chunk)
        assert invitation_job_run(job_id=job.pk) is None
        job.refresh_from_db()
        assert (job.status, job.processed, job.report["invited"]) == ("running", 3, 3)
        assert Invitation.objects.filter(campaign=campaign).count() == 3
        assert InvitationBatch.objects.get(pk=job.options["batch"]).invited == 0
