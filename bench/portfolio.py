"""The consultant's portfolio (/console/clients/): the page's time and statements for a
consultant with one client against the same consultant with many (default 30), measured
in the same run. Each client has a running programme, open and finished campaigns (one
with a stored forecast at risk), a ready report awaiting commentary, an experiment and
time logged this month. Everything made is dropped at the end.

    DATABASE_URL=... python bench/portfolio.py [clients] [repeats]
"""

import statistics
import sys
import time
from datetime import timedelta

from _support import django_setup

django_setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from billing.models import ConsultantTime, Subscription  # noqa: E402
from engagement.models import Campaign  # noqa: E402
from lab.models import CampaignForecast, Experiment  # noqa: E402
from reports.models import Report  # noqa: E402
from tenants.models import ConsultantAssignment, Domain, Organisation, User  # noqa: E402
from tenants.services import organisation_provision  # noqa: E402
from tests.factories import ProgrammeFactory, make_campaign  # noqa: E402

CLIENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 30
REPEATS = int(sys.argv[2]) if len(sys.argv) > 2 else 7
PREFIX = "bench-pf-"


def drop_all() -> None:
    for organisation in Organisation.objects.filter(slug__startswith=PREFIX):
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{organisation.schema_name}" CASCADE')
        Domain.objects.filter(tenant=organisation).delete()
        ConsultantTime.objects.filter(organisation=organisation).delete()
        organisation.delete()
    User.objects.filter(email__endswith="@bench-pf.example").delete()


def make_client(n: int, consultant: User) -> Organisation:
    slug = f"{PREFIX}{n}"
    organisation = organisation_provision(
        name=f"Client {n:02d}", slug=slug, owner_email=f"owner-{slug}@bench-pf.example",
        status=Organisation.Status.ACTIVE)
    Subscription.objects.create(organisation=organisation, plan="territory",
                                options=["accompaniment_pack"], stripe_status="active")
    ConsultantAssignment.objects.create(consultant=consultant, organisation=organisation)
    ConsultantTime.objects.create(consultant=consultant, organisation=organisation,
                                  worked_on=timezone.localdate(), minutes=60 + n,
                                  description="Workshop")
    today = timezone.localdate()
    with tenant_context(organisation):
        programme = ProgrammeFactory(starts_on=today - timedelta(days=30),
                                     ends_on=today + timedelta(days=60))
        open_campaigns = [make_campaign(programme=programme) for _ in range(5)]
        for status in (Campaign.Status.SUCCEEDED, Campaign.Status.FAILED) * 5:
            make_campaign(programme=programme, status=status, starts_in=timedelta(days=-3),
                          deadline_in=timedelta(days=-4))
        for index, campaign in enumerate(open_campaigns):
            CampaignForecast.objects.create(
                campaign=campaign, probability=0.3 + 0.1 * index, expected=4, low=2, high=6,
                baseline_share=0.2, linear=3, references=10, at_risk=index < 2,
                method="bench", elapsed=0.4, count=2, target=5)
        Report.objects.create(scope=Report.Scope.PROGRAMME, programme=programme,
                              title="Report", status=Report.Status.READY,
                              finished_at=timezone.now())
        Experiment.objects.create(campaign=open_campaigns[0], title="Wording",
                                  hypothesis="The manager's words", salt=f"bench{n}")
    return organisation


def measure(client: Client) -> tuple[float, int]:
    client.get("/console/clients/")  # warm
    times = []
    for _ in range(REPEATS):
        connection.set_schema_to_public()
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get("/console/clients/")
            times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
    return statistics.median(times), len(queries)


def main() -> None:
    drop_all()
    consultant = User.objects.create_user(email="consultant@bench-pf.example",
                                          password="x" * 20, is_consultant=True)
    try:
        make_client(0, consultant)
        client = Client(HTTP_HOST=settings.BASE_DOMAIN)
        client.force_login(consultant)
        one_time, one_queries = measure(client)
        for n in range(1, CLIENTS):
            make_client(n, consultant)
        connection.set_schema_to_public()
        many_time, many_queries = measure(client)
        print(f"portfolio page, 1 client:   {one_time * 1000:7.1f} ms, "
              f"{one_queries} statements")
        print(f"portfolio page, {CLIENTS} clients: {many_time * 1000:7.1f} ms, "
              f"{many_queries} statements")
        per_client = (many_time - one_time) / (CLIENTS - 1)
        print(f"ratio {CLIENTS} clients / 1: {many_time / one_time:.1f}x; "
              f"{per_client * 1000:.1f} ms and "
              f"{(many_queries - one_queries) / (CLIENTS - 1):.1f} statements per extra client")
    finally:
        connection.set_schema_to_public()
        drop_all()


if __name__ == "__main__":
    main()
