"""What the directory of actions costs a pledge: ``pledge_create`` with its commit (and the
directory's on-commit update) on an internal campaign (the reference: nothing is queued),
on a public campaign of an organisation that does not list (one index probe), and on a
listed one (one UPDATE with the count), measured in the same run; then the count's UPDATE
alone as the campaign's pledges grow.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/x python bench/directory.py [PLEDGES]

Each pledge is its own transaction committed, as the join's is. The organisation made is
dropped at the end. On a shared machine only the ratios mean something.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import timedelta

from _support import django_setup

django_setup()

from _support import organisation_drop, organisation_fresh  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from billing.catalogue import options  # noqa: E402
from billing.models import Subscription  # noqa: E402
from directory.models import ListedCampaign  # noqa: E402
from directory.services import directory_choice_set  # noqa: E402
from engagement.models import Campaign, Participant, Pledge, Programme, Slot  # noqa: E402
from engagement.services.directory import (  # noqa: E402
    campaign_directory_count_update,
    campaign_directory_sync,
)
from engagement.services.pledges import pledge_create  # noqa: E402

PLEDGES = int(sys.argv[1]) if len(sys.argv) > 1 else 200


def campaign(programme: Programme, visibility: str, capacity: int) -> Campaign:
    start = timezone.now() + timedelta(days=10)
    made = Campaign.objects.create(
        programme=programme, title=f"Bench {visibility}", starts_at=start,
        ends_at=start + timedelta(hours=3), participant_target=capacity,
        mobilisation_deadline=start - timedelta(days=2), status=Campaign.Status.OPEN,
        visibility=visibility, place="Lyon")
    Slot.objects.create(campaign=made, starts_at=made.starts_at, ends_at=made.ends_at,
                        capacity=capacity)
    return made


def pledges_interleaved(campaigns: dict[str, Campaign], count: int
                        ) -> dict[str, list[float]]:
    """``count`` pledges on each campaign, taken in turn (one on each, then again), so that
    the machine's load drifts over all of them alike."""
    slots = {name: made.slots.get() for name, made in campaigns.items()}
    people = {name: Participant.objects.bulk_create(
        Participant(email=f"{name}-{n}@bench.example", first_name=f"P{n}")
        for n in range(count)) for name in campaigns}
    times: dict[str, list[float]] = {name: [] for name in campaigns}
    for n in range(count):
        for name, slot in slots.items():
            began = time.perf_counter()
            with transaction.atomic():
                pledge_create(slot=slot, participant=people[name][n])
            times[name].append(time.perf_counter() - began)  # the commit's callbacks included
    return times


def main() -> None:
    print(f"load average before: {os.getloadavg()}")
    organisation = organisation_fresh("bench-directory", "Bench Directory")
    Subscription.objects.create(organisation=organisation, plan="territory",
                                options=sorted(options()), stripe_status="active")
    try:
        with tenant_context(organisation):
            programme = Programme.objects.create(name="Bench", starts_on=timezone.now().date(),
                                                 ends_on=timezone.now().date() + timedelta(days=90))
            internal = campaign(programme, Campaign.Visibility.INTERNAL, PLEDGES * 3)
            # Public without a row: what a public campaign of an organisation that does not
            # list costs (the UPDATE's probe finds nothing).
            public_unlisted = campaign(programme, Campaign.Visibility.PUBLIC, PLEDGES * 3)
            listed = campaign(programme, Campaign.Visibility.PUBLIC, PLEDGES * 3)
            directory_choice_set(organisation=organisation, listed=True)
            campaign_directory_sync(campaign_id=listed.pk)
            pledges_interleaved({"warm": campaign(programme, "internal", 100)}, 20)
            measured = pledges_interleaved({"internal": internal, "unlisted": public_unlisted,
                                            "listed": listed}, PLEDGES)
            reference, unlisted, listed_times = (measured["internal"], measured["unlisted"],
                                                 measured["listed"])
            row = ListedCampaign.objects.get(organisation=organisation, campaign_id=listed.pk)
            assert row.mobilised == PLEDGES, row.mobilised
            assert not ListedCampaign.objects.filter(campaign_id=public_unlisted.pk).exists()
            base = statistics.median(reference)
            print(f"\n{PLEDGES} pledges each, taken in turn, one committed transaction each")
            print(f"{'campaign':<34}{'median ms':>10}{'p95 ms':>9}{'ratio':>8}")
            for name, times in (("internal (reference)", reference),
                                ("public, not in the index", unlisted),
                                ("public, listed", listed_times)):
                median = statistics.median(times)
                p95 = statistics.quantiles(times, n=20)[18]
                print(f"{name:<34}{median * 1000:>10.2f}{p95 * 1000:>9.2f}"
                      f"{median / base:>8.2f}")

            # The count's UPDATE alone as the campaign grows (confirmed pledges written in
            # bulk, as rows; the seat counter is not the point here).
            print("\nthe count's UPDATE alone (median of 30), against an UPDATE of the same "
                  "row setting a constant")
            print(f"{'confirmed pledges':>18}{'count ms':>10}{'constant ms':>13}{'ratio':>8}")
            slot = listed.slots.get()
            Slot.objects.filter(pk=slot.pk).update(capacity=100_000)
            done = PLEDGES
            for size in (1_000, 5_000, 20_000):
                extra = Participant.objects.bulk_create(
                    Participant(email=f"grow{size}-{n}@bench.example")
                    for n in range(size - done))
                Pledge.objects.bulk_create(
                    Pledge(slot=slot, participant=person, status=Pledge.Status.CONFIRMED,
                           created_at=timezone.now(), confirmed_at=timezone.now())
                    for person in extra)
                done = size
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE engagement_pledge")
                counted, constant = [], []
                for _ in range(30):
                    began = time.perf_counter()
                    campaign_directory_count_update(campaign_id=listed.pk)
                    counted.append(time.perf_counter() - began)
                    began = time.perf_counter()
                    ListedCampaign.objects.filter(pk=row.pk).update(mobilised=size)
                    constant.append(time.perf_counter() - began)
                c, k = statistics.median(counted), statistics.median(constant)
                print(f"{size:>18}{c * 1000:>10.2f}{k * 1000:>13.2f}{c / k:>8.1f}")
    finally:
        organisation_drop(organisation)
        print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
