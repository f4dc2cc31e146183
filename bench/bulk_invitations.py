"""Inviting 20,000 people in one go, as the job the page and the API start: the request's
part (checking the choices, counting who would be invited, recording the batch and the
job) and the worker's part (recording the invitations chunk by chunk, each chunk committed
with the job's progress, each person once per campaign under the partial unique index),
against references measured in the same run on the same people:

- the floor: one INSERT … SELECT of the same invitation rows, with no rule, no chunk, no
  progress (what PostgreSQL alone takes to write them);
- the former path, as the request did it before: one savepoint and one INSERT per person
  (measured on a sample, scaled to the group).

Nine people in ten may be invited (one in ten has not consented). The e-mails' composition
(the hourly delivery) is unchanged and not measured here. The organisation is dropped at
the end.

    DATABASE_URL=... python bench/bulk_invitations.py [people, default 20000]
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta

from _support import django_setup

django_setup()

from _support import organisation_drop, organisation_fresh, timed  # noqa: E402
from django.db import IntegrityError, connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from engagement.models import (  # noqa: E402
    BulkJob,
    Campaign,
    Invitation,
    InvitationBatch,
    Participant,
    Programme,
    Slot,
    Team,
)
from engagement.services import invitation_jobs  # noqa: E402
from engagement.services.invitation_jobs import (  # noqa: E402
    invitation_job_create,
    invitation_job_run,
)
from engagement.services.outreach import bulk_audience, bulk_recipients  # noqa: E402
from methodology.services import library_load  # noqa: E402
from tenants.models import User  # noqa: E402

PEOPLE = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
SAMPLE = 1_000  # people through the former path, scaled to the group


class Rollback(Exception):
    pass


def rolled_back(call):
    def run():
        try:
            with transaction.atomic():
                result = call()
                raise Rollback
        except Rollback:
            return result
    return run


def main() -> None:
    library_load()  # the lever catalogue
    organisation = organisation_fresh("bench-bulk-invite")
    owner = User.objects.get(memberships__organisation=organisation)
    # The worker's part runs here, in this process: no message to a broker.
    invitation_jobs.enqueue_on_commit = lambda *args, **kwargs: None
    try:
        with tenant_context(organisation):
            start = timezone.now() + timedelta(days=30)
            programme = Programme.objects.create(name="Bench", starts_on=start.date(),
                                                 ends_on=start.date())
            campaign = Campaign.objects.create(
                programme=programme, title="Bench", starts_at=start,
                ends_at=start + timedelta(hours=3), participant_target=10,
                mobilisation_deadline=start - timedelta(days=1), status="open")
            Slot.objects.create(campaign=campaign, starts_at=start,
                                ends_at=start + timedelta(hours=3), capacity=PEOPLE)
            team = Team.objects.create(name="Bench team")
            Participant.objects.bulk_create(
                (Participant(email=f"p{n}@bench-bulk.example", team=team,
                             consent_to_contact=n % 10 != 0) for n in range(PEOPLE)),
                batch_size=5_000)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE engagement_participant")
            audience = bulk_audience(kind="team", team_id=team.pk)
            people = list(bulk_recipients(campaign=campaign, audience=audience)
                          .values_list("pk", "email"))
            print(f"{PEOPLE} people in the team, {len(people)} may be invited")

            def batch() -> InvitationBatch:
                return InvitationBatch.objects.create(
                    campaign=campaign, organiser=owner, audience="team",
                    audience_label="Bench team", channel="email", lever_code="deadline")

            def floor() -> int:
                made = batch()
                with connection.cursor() as cursor:
                    cursor.execute(
                        "INSERT INTO engagement_invitation (campaign_id, code, organiser_id, "
                        "channel, lever_code, invitee_email, audience_label, sent_at, "
                        "participant_id, batch_id, open_count) "
                        "SELECT %s, substr(md5(r.p::text), 1, 16), %s, 'email', 'deadline', "
                        "r.e, 'Bench team', now(), r.p, %s, 0 "
                        "FROM unnest(%s::bigint[], %s::text[]) AS r(p, e)",
                        [campaign.pk, owner.pk, made.pk, [p for p, _e in people],
                         [e for _p, e in people]])
                    return cursor.rowcount
            floor_s, floor_rows = timed(rolled_back(floor), runs=3)
            assert floor_rows == len(people)

            def former() -> int:
                made, done = batch(), 0
                for person, email in people[:SAMPLE]:
                    try:
                        with transaction.atomic():
                            Invitation.objects.create(
                                campaign=campaign, organiser=owner, channel="email",
                                lever_code="deadline", participant_id=person, batch=made,
                                invitee_email=email, audience_label="Bench team")
                    except IntegrityError:
                        continue
                    done += 1
                return done
            sample_s, _done = timed(rolled_back(former), runs=1)
            former_s = sample_s * len(people) / SAMPLE

            began = time.perf_counter()
            job = invitation_job_create(campaign=campaign, audience=audience,
                                        lever_code="deadline", channel="email",
                                        organiser=owner)
            request_s = time.perf_counter() - began
            progress: list[int] = []
            real = invitation_jobs.invitations_record

            def recorded(**kwargs):
                progress.append(BulkJob.objects.get(pk=job.pk).processed)
                return real(**kwargs)
            invitation_jobs.invitations_record = recorded
            began = time.perf_counter()
            invitation_job_run(job_id=job.pk)
            worker_s = time.perf_counter() - began
            job.refresh_from_db()
            assert job.status == "done" and job.report["invited"] == len(people), job.report
            invited = Invitation.objects.filter(campaign=campaign)
            assert invited.count() == invited.values("participant").distinct().count()

        rate = len(people) / worker_s
        print(f"request: check, count, batch + job   {request_s * 1000:8.1f} ms")
        print(f"worker: {len(people)} invitations in {len(progress) - 1} chunks "
              f"{worker_s:8.2f} s   {rate:8.0f} invitations/s")
        print(f"floor: one INSERT of the same rows   {floor_s:8.2f} s   "
              f"{len(people) / floor_s:8.0f} /s   job = {worker_s / floor_s:5.1f} × floor")
        print(f"former path (per-row savepoint)      {former_s:8.2f} s   "
              f"{len(people) / former_s:8.0f} /s   (on {SAMPLE}, scaled; job is "
              f"{former_s / worker_s:4.1f} × faster)")
        print(f"progress seen before each chunk: {progress[:4]} … {progress[-2:]}")
    finally:
        organisation_drop(organisation)


if __name__ == "__main__":
    main()
