"""Inviting a whole team in one go: how long the preview, the send (the request's part:
one invitation row per person, each under the one-per-campaign index, all recorded at
once) and the worker's part (taking the hour's allowance and composing each e-mail into
the outbox; the cap is lifted here so one run composes them all) take, for a team of N
people. Everything made is dropped at the end.

    DATABASE_URL=... python bench/bulk_invitations.py [people, default 2000]
"""

import sys
import time
from datetime import timedelta

from _support import django_setup

django_setup(BULK_INVITATIONS_PER_HOUR="1000000")

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from engagement.models import Campaign, Participant, Programme, Slot, Team  # noqa: E402
from engagement.services import outbox, outreach  # noqa: E402
from engagement.services.outreach import (  # noqa: E402
    bulk_audience,
    bulk_preview,
    invitations_bulk_send,
)
from engagement.services.outreach_delivery import invitation_batch_emails_queue  # noqa: E402
from methodology.services import library_load  # noqa: E402
from tenants.models import Organisation, User  # noqa: E402
from tenants.services import organisation_provision  # noqa: E402

PEOPLE = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
SLUG = "bench-bulk"


def main() -> None:
    library_load()  # the lever catalogue
    organisation = Organisation.objects.filter(slug=SLUG).first() or organisation_provision(
        name="Bench bulk", slug=SLUG, owner_email="owner@bench-bulk.example",
        status=Organisation.Status.ACTIVE)
    owner = User.objects.get(email="owner@bench-bulk.example")
    # Compose the e-mails here, in this process, instead of queueing tasks.
    outreach.enqueue_on_commit = outbox.enqueue_on_commit = lambda *args, **kwargs: None
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
                Participant(email=f"p{n}@bench-bulk.example", team=team,
                            consent_to_contact=n % 10 != 0) for n in range(PEOPLE))
            audience = bulk_audience(kind="team", team_id=team.pk)
            began = time.perf_counter()
            preview = bulk_preview(campaign=campaign, audience=audience)
            preview_s = time.perf_counter() - began
            began = time.perf_counter()
            batch = invitations_bulk_send(campaign=campaign, audience=audience,
                                          lever_code="team_challenge", channel="email",
                                          organiser=owner)
            send_s = time.perf_counter() - began
            began = time.perf_counter()
            queued = invitation_batch_emails_queue(batch_id=batch.pk)
            compose_s = time.perf_counter() - began
        print(f"team of {PEOPLE}: {preview.to_invite} to invite "
              f"({preview.no_consent} without consent)")
        print(f"preview          {preview_s * 1000:8.1f} ms")
        print(f"send (request)   {send_s * 1000:8.1f} ms  {batch.invited} invitations, "
              f"{send_s / batch.invited * 1000:.2f} ms each")
        print(f"compose (worker) {compose_s * 1000:8.1f} ms  {queued} e-mails, "
              f"{compose_s / max(queued, 1) * 1000:.2f} ms each")
    finally:
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{organisation.schema_name}" CASCADE')
        organisation.domains.all().delete()
        organisation.delete()
        owner.delete()


if __name__ == "__main__":
    main()
