"""The snowball per campaign at scale: the people-and-snowball query of a programme and of
each campaign at once, and a campaign's referral tree page, against the floor of reading
the same pledges (one count over them), measured in the same run.

    .venv/bin/python bench/snowball.py                 # 20,000 participants, 100,000 pledges
    .venv/bin/python bench/snowball.py 50000 250000

One organisation is provisioned and filled through the ORM (``bulk_create``, so every
column gets its model default): participants, a programme of 10 campaigns of 5 slots,
confirmed pledges, and one pledge in three made through the personal invitation of the
person created just before (long chains: the worst case for the recursive walk).
Everything made is dropped at the end.
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from functools import partial

from _support import django_setup

django_setup()

from _support import organisation_drop, organisation_fresh  # noqa: E402
from _support import timed as median_time  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from engagement.models import (  # noqa: E402
    Campaign,
    Invitation,
    Participant,
    Pledge,
    Programme,
    Slot,
)
from reports.participants import (  # noqa: E402
    people_and_snowball,
    people_and_snowball_by_campaign,
)
from reports.snowball import campaign_referrals  # noqa: E402

PARTICIPANTS = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
PLEDGES = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
CAMPAIGNS, SLOTS = 10, 5
SLUG = "bench-snowball"


timed = partial(median_time, runs=3)


def fill() -> Programme:
    start = timezone.now() - timedelta(days=120)
    programme = Programme.objects.create(name="Bench", starts_on=start.date(),
                                         ends_on=(start + timedelta(days=100)).date())
    campaigns = Campaign.objects.bulk_create([
        Campaign(programme=programme, code=f"bench{n}", title=f"Action {n}",
                 starts_at=start + timedelta(days=7 * n),
                 ends_at=start + timedelta(days=7 * n, hours=3), participant_target=10,
                 mobilisation_deadline=start + timedelta(days=7 * n - 2),
                 status=Campaign.Status.COMPLETED) for n in range(1, CAMPAIGNS + 1)])
    slots = Slot.objects.bulk_create([
        Slot(campaign=c, starts_at=c.starts_at, ends_at=c.ends_at, capacity=PLEDGES)
        for c in campaigns for _ in range(SLOTS)])
    people = Participant.objects.bulk_create([
        Participant(email=f"p{n}@bench.example", referral_code=f"b{n:015d}")
        for n in range(PARTICIPANTS)], batch_size=5000)
    # Each person's personal invitation to each campaign they pledge to comes later; the
    # pledges of person n to slot k: k = (n + r * 7) mod slots for r in rounds.
    rounds = -(-PLEDGES // PARTICIPANTS)
    invitations, pledges = [], []
    for r in range(rounds):
        for n, person in enumerate(people):
            if len(pledges) >= PLEDGES:
                break
            slot = slots[(n + r * 7) % len(slots)]
            pledges.append(Pledge(slot=slot, participant=person, status="confirmed",
                                  attendance="attended" if n % 10 < 8 else "no_show",
                                  hours_given=3 if n % 10 < 8 else 0,
                                  created_at=start + timedelta(seconds=r * PARTICIPANTS + n)))
    by_key = {}
    for pledge in pledges:
        by_key[(pledge.slot.campaign_id, pledge.participant_id)] = pledge
    for pledge in pledges:
        inviter_pk = pledge.participant_id - 1
        if pledge.participant_id % 3 == 0 and (pledge.slot.campaign_id, inviter_pk) in by_key:
            invitations.append(Invitation(campaign_id=pledge.slot.campaign_id,
                                          inviter_id=inviter_pk, channel="link_share",
                                          lever_code="personal_invitation"))
            pledge.invitation = invitations[-1]
    Invitation.objects.bulk_create(invitations, batch_size=5000)
    for pledge in pledges:
        if pledge.invitation is not None:
            pledge.invitation_id = pledge.invitation.pk
    Pledge.objects.bulk_create(pledges, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return programme


def main() -> None:
    organisation = organisation_fresh(SLUG, "Bench snowball")
    try:
        with tenant_context(organisation):
            started = time.perf_counter()
            programme = fill()
            print(f"filled {Pledge.objects.count():,} pledges, "
                  f"{Invitation.objects.count():,} invitations in "
                  f"{time.perf_counter() - started:.1f} s")
            campaigns = Campaign.objects.filter(programme=programme)
            ids = list(campaigns.values_list("pk", flat=True))
            floor, _ = timed(lambda: Pledge.objects.filter(
                slot__campaign__programme=programme).count())
            whole, figures = timed(lambda: people_and_snowball(campaigns))
            each, _ = timed(lambda: people_and_snowball_by_campaign(ids))
            tree, referrals = timed(lambda: campaign_referrals(campaigns.first()))
            print(f"floor (count of the pledges)      {floor * 1000:8.0f} ms")
            print(f"programme people and snowball     {whole * 1000:8.0f} ms  "
                  f"generations {figures['generations']}, brought "
                  f"{figures['brought_pledged']:,}")
            print(f"every campaign's, in one query    {each * 1000:8.0f} ms")
            print(f"one campaign's tree and recruiters {tree * 1000:7.0f} ms  "
                  f"{len(referrals.recruiters):,} recruiters")
    finally:
        organisation_drop(organisation)


if __name__ == "__main__":
    main()
