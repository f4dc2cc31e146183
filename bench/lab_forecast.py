"""Lab forecasts at a million pledges: reading the stored forecast (what pages and the API
do) against computing it (trajectories of every open campaign in one query, the
references, the model, the rows written) and against a bare count of the pledges,
measured in the same run.

One organisation with CAMPAIGNS campaigns (a sixth of them open, the others finished and
recorded as reference trajectories) and PLEDGES pledges written with SQL, spread over the
campaigns' windows; everything made is dropped at the end.

    DATABASE_URL=... python bench/lab_forecast.py [pledges] [campaigns]
"""

import sys
import tempfile
import time
from datetime import timedelta

from _support import django_setup

django_setup(MEDIA_ROOT=tempfile.mkdtemp(prefix="bench-forecast-media-"))

from _support import timed as median_time  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from billing.catalogue import options  # noqa: E402
from billing.models import Subscription  # noqa: E402
from engagement.models import Campaign, Pledge  # noqa: E402
from engagement.services import programme_create_from_template  # noqa: E402
from engagement.services.campaigns import mobilised_count  # noqa: E402
from lab.forecasts.references import references_backfill  # noqa: E402
from lab.forecasts.selectors import campaign_forecast_current, forecast_texts  # noqa: E402
from lab.forecasts.services import forecasts_refresh  # noqa: E402
from methodology.models import ReferenceTrajectory, Template  # noqa: E402
from methodology.selectors import latest_published  # noqa: E402
from methodology.services import library_load  # noqa: E402
from tenants.models import Domain, Organisation, User  # noqa: E402
from tenants.services import organisation_provision  # noqa: E402

PLEDGES = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
CAMPAIGNS = int(sys.argv[2]) if len(sys.argv) > 2 else 120
SLUG = "bench-forecast"
WINDOW_DAYS = 21


def drop() -> None:
    for organisation in Organisation.objects.filter(slug=SLUG):
        with tenant_context(organisation):
            from lab.forecasts.references import organisation_key

            ReferenceTrajectory.objects.filter(organisation_key=organisation_key()).delete()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{organisation.schema_name}" CASCADE')
        Domain.objects.filter(tenant=organisation).delete()
        organisation.delete()
    User.objects.filter(email__endswith="@bench-forecast.example").delete()


def setup() -> Organisation:
    library_load()
    organisation = organisation_provision(
        name=SLUG, slug=SLUG, owner_email="owner@bench-forecast.example",
        status=Organisation.Status.ACTIVE)
    Subscription.objects.create(organisation=organisation, plan="territory",
                                options=sorted(options()), stripe_status="active")
    today = timezone.localdate()
    with tenant_context(organisation):
        programme = programme_create_from_template(
            version=latest_published(Template.objects.get(slug="values-day")), name="Bench",
            starts_on=today - timedelta(days=400), action_date=today + timedelta(days=20),
            ends_on=today + timedelta(days=65), participant_target=100)
        per_campaign = -(-PLEDGES // CAMPAIGNS)
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO engagement_participant (email, first_name, last_name, language, "
                "site, postcode, age_band, consent_to_contact, source, referral_code, "
                "created_at, last_active_at) SELECT 'p' || n || '@bench-forecast.example', "
                "'Bench', '', 'fr', '', '', '', false, 'signup', left(md5(n::text), 16), now(), "
                "now() "
                "FROM generate_series(1, %s) AS n", [per_campaign])
            for index in range(CAMPAIGNS):
                is_open = index % 6 == 0
                # Open ones: 60 % of their window gone; finished ones: in the past.
                opened = (now - timedelta(days=WINDOW_DAYS * 0.6) if is_open
                          else now - timedelta(days=30 + 25 * index))
                deadline = opened + timedelta(days=WINDOW_DAYS)
                starts = deadline + timedelta(days=2)
                target = int(per_campaign * (0.8 + 0.4 * ((index * 7) % 10) / 10))
                campaign = Campaign.objects.create(
                    programme=programme, title=f"Bench {index}", starts_at=starts,
                    ends_at=starts + timedelta(hours=3), participant_target=target,
                    mobilisation_deadline=deadline, opened_at=opened,
                    status="open" if is_open else ("completed" if index % 2 else "failed"),
                    closed_at=None if is_open else deadline)
                slot = campaign.slots.create(starts_at=starts, ends_at=starts + timedelta(hours=3),
                                             capacity=per_campaign * 2)
                # U-shaped arrivals: a quarter at the launch, a quarter before the deadline,
                # half in between; an open campaign has only those before now.
                cursor.execute(
                    "INSERT INTO engagement_pledge (slot_id, participant_id, companions, "
                    "companion_names, status, attendance, hours_given, created_at, "
                    "confirmed_at, walk_in) "
                    "SELECT %(slot)s, p.id, 0, '', 'confirmed', 'pending', 0, t.at, t.at, false "
                    "FROM (SELECT id, row_number() OVER (ORDER BY id) AS n "
                    "      FROM engagement_participant) p "
                    "CROSS JOIN LATERAL (SELECT %(opened)s::timestamptz + %(window)s::interval * "
                    "  (CASE WHEN p.n %% 4 = 0 THEN 0.1 * random() "
                    "        WHEN p.n %% 4 = 1 THEN 0.9 + 0.1 * random() "
                    "        ELSE random() END) AS at) t "
                    "WHERE p.n <= %(count)s AND t.at <= %(now)s",
                    {"slot": slot.pk, "opened": opened, "window": f"{WINDOW_DAYS} days",
                     "count": per_campaign, "now": now})
                cursor.execute("UPDATE engagement_slot SET confirmed_seats = (SELECT count(*) "
                               "FROM engagement_pledge WHERE slot_id = %s) WHERE id = %s",
                               [slot.pk, slot.pk])
            cursor.execute("ANALYZE")
    return organisation


def timed(function, repeat: int = 5) -> float:
    """Median milliseconds of ``repeat`` calls."""
    return median_time(function, runs=repeat)[0] * 1000


def main() -> None:
    drop()
    started = time.perf_counter()
    organisation = setup()
    print(f"setup: {time.perf_counter() - started:.0f} s")
    try:
        with tenant_context(organisation):
            pledges = Pledge.objects.count()
            opened = list(Campaign.objects.filter(status="open").order_by("pk"))
            print(f"{pledges:,} pledges, {len(opened)} open campaigns, "
                  f"{CAMPAIGNS - len(opened)} finished")
            backfill = timed(references_backfill, repeat=1)
            print(f"references written (once, nightly):     {backfill:9.1f} ms "
                  f"({ReferenceTrajectory.objects.count()} rows in the public table)")
            compute = timed(forecasts_refresh, repeat=3)
            campaign = opened[0]

            def stored_read() -> None:
                forecast = campaign_forecast_current(campaign)
                assert forecast is not None
                forecast_texts(forecast, campaign)  # the figures and the SVG chart

            read = timed(stored_read, repeat=20)
            count = timed(lambda: Pledge.objects.count(), repeat=5)
            people = timed(lambda: mobilised_count(campaign), repeat=5)
            print(f"stored read of one forecast (+ chart): {read:9.2f} ms")
            print(f"bare count of the pledges:             {count:9.2f} ms")
            print(f"progress bar figure of one campaign:   {people:9.2f} ms")
            print(f"computation, every open campaign:      {compute:9.1f} ms "
                  f"({compute / len(opened):.1f} ms per campaign)")
            print(f"ratios: computation / stored read = {compute / read:,.0f}x; "
                  f"bare count / stored read = {count / read:,.1f}x")
            print(f"goal: stored read < 300 ms: {'met' if read < 300 else 'MISSED'}")
    finally:
        drop()


if __name__ == "__main__":
    main()
