"""The metrics scrape's backlogs across organisations: one UNION ALL vs. a query per schema.

Makes N organisations whose schemas hold only the two tables the scrape reads (copied from
the template schema with their indexes), queues a few e-mails and reports in each, then times
``config.ops.metrics.tenant_backlogs()`` (a UNION ALL per batch of schemas), the same with one
UNION ALL over every schema, and the obvious loop (``schema_context`` and two ORM counts per
organisation), and a whole ``/metrics`` answer.
Everything it creates is dropped at the end. Needs a migrated database (``make release``).

    python bench/metrics_scrape.py          # N=200
    python bench/metrics_scrape.py 500
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from config.ops import metrics  # noqa: E402
from config.ops.metrics import tenant_backlogs  # noqa: E402
from engagement.models import OutboundEmail  # noqa: E402
from reports.models import Report  # noqa: E402
from tenants.models import Organisation  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 200
PREFIX = "benchops"
RUNS = 7
TABLES = (OutboundEmail._meta.db_table, Report._meta.db_table)


def make() -> None:
    Organisation.objects.bulk_create([
        Organisation(name=f"Bench ops {i}", slug=f"{PREFIX}-{i}", schema_name=f"{PREFIX}_{i}",
                     status=Organisation.Status.ACTIVE) for i in range(N)])
    template = settings.TENANT_TEMPLATE_SCHEMA
    with connection.cursor() as cursor:
        for i in range(N):
            schema = f"{PREFIX}_{i}"
            cursor.execute(f'CREATE SCHEMA "{schema}"')
            for table in TABLES:
                cursor.execute(f'CREATE TABLE "{schema}"."{table}" '
                               f'(LIKE "{template}"."{table}" INCLUDING ALL)')
            # Queued e-mails and sent ones (the index skips the latter), a report waiting.
            cursor.execute(
                f'INSERT INTO "{schema}"."{TABLES[0]}" (kind, dedupe_key, to_email, subject, '
                f"body, status, attempts, last_error, created_at, calendar, language, "
                f"action_url) SELECT 'bench', 'k' || g, 'p' || g || '@bench.example', 's', 'b', "
                f"CASE WHEN g % 10 = 0 THEN 'queued' ELSE 'sent' END, 0, '', now(), '', '', '' "
                f"FROM generate_series(1, 200) AS g")
            cursor.execute(
                f'INSERT INTO "{schema}"."{TABLES[1]}" (scope, language, title, status, error, '
                f"file, requested_at, period_start, period_end, attempts) VALUES ('period', 'fr', "
                f"'Annual', 'queued', '', '', now(), '2026-01-01', '2026-12-31', 0)")


def drop() -> None:
    with connection.cursor() as cursor:
        for (schema,) in Organisation.objects.filter(slug__startswith=f"{PREFIX}-") \
                .values_list("schema_name"):
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    Organisation.objects.filter(slug__startswith=f"{PREFIX}-").delete()


def per_schema() -> dict:
    counts = {"outbox": 0, "reports": 0}
    for schema in Organisation.objects.ready().values_list("schema_name", flat=True):
        with schema_context(schema):
            counts["outbox"] += OutboundEmail.objects.filter(status="queued").count()
            counts["reports"] += Report.objects.filter(status__in=["queued", "rendering"]).count()
    return counts


def timed(function) -> tuple[float, object]:
    function()  # warm: plans, catalogue caches, the connection
    durations, result = [], None
    for _ in range(RUNS):
        started = time.perf_counter()
        result = function()
        durations.append(time.perf_counter() - started)
    return statistics.median(durations), result


def main() -> None:
    drop()
    make()
    try:
        organisations = Organisation.objects.ready().count()
        batch = metrics.SCHEMAS_PER_QUERY
        union, backlogs = timed(tenant_backlogs)
        metrics.SCHEMAS_PER_QUERY = 10**6
        single, _ = timed(tenant_backlogs)
        metrics.SCHEMAS_PER_QUERY = batch
        loop, counts = timed(per_schema)
        assert backlogs["outbox"][0] == counts["outbox"], (backlogs, counts)
        client = Client(REMOTE_ADDR="127.0.0.1")
        scrape, _ = timed(lambda: client.get("/metrics"))
        print(f"organisations: {organisations} ({N} made here), queued e-mails "
              f"{backlogs['outbox'][0]}, reports waiting {backlogs['report_queued'][0]}")
        print(f"backlogs, UNION ALL per {batch} schemas ({2 + -(-organisations // batch)} "
              f"queries): {union * 1000:8.1f} ms (median of {RUNS})")
        print(f"backlogs, one UNION ALL over all schemas (3 queries): {single * 1000:8.1f} ms")
        print(f"backlogs, a query per schema ({2 * organisations} queries): "
              f"{loop * 1000:8.1f} ms")
        print(f"ratio per-schema / union: {loop / union:.1f}x")
        print(f"whole /metrics answer (broker and request metrics too): {scrape * 1000:8.1f} ms")
    finally:
        drop()


if __name__ == "__main__":
    main()
