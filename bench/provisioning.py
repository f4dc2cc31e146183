"""Provisioning: cloning the template schema vs. django-tenants' migrate path.

Provisions N organisations each way on the same database and prints the medians and their
ratio. Everything it creates is dropped at the end.

    make bench            # N=10
    python bench/provisioning.py 20
"""

import os
import statistics
import sys
import time

from _support import django_setup

django_setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from tenants.models import Domain, Organisation, User  # noqa: E402
from tenants.schema_clone import template_ddl  # noqa: E402
from tenants.services import organisation_provision  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10
PREFIX = "bench"


def drop(slugs: list[str]) -> None:
    for organisation in Organisation.objects.filter(slug__in=slugs):
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{organisation.schema_name}" CASCADE')
        Domain.objects.filter(tenant=organisation).delete()
        organisation.delete()
    User.objects.filter(email__endswith=f"@{PREFIX}.example").delete()


def by_clone(i: int) -> float:
    started = time.perf_counter()
    organisation_provision(name=f"Clone {i}", slug=f"{PREFIX}-clone-{i}",
                           owner_email=f"clone{i}@{PREFIX}.example")
    return time.perf_counter() - started


def by_migrations(i: int) -> float:
    """django-tenants' stock path: a new schema, then every migration replayed into it."""
    started = time.perf_counter()
    with transaction.atomic():
        organisation = Organisation.objects.create(
            name=f"Migrate {i}", slug=f"{PREFIX}-migrate-{i}",
            schema_name=f"{PREFIX}_migrate_{i}")
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{organisation.schema_name}"')
    call_command("migrate_schemas", schema_name=organisation.schema_name, interactive=False,
                 verbosity=0)
    connection.set_schema_to_public()
    return time.perf_counter() - started


def main() -> None:
    slugs = [f"{PREFIX}-clone-{i}" for i in range(N)] + [f"{PREFIX}-migrate-{i}"
                                                         for i in range(N)]
    drop(slugs)
    template_ddl()  # capture the template once, as the first real provisioning would
    try:
        clone = [by_clone(i) for i in range(N)]
        migrate = [by_migrations(i) for i in range(N)]
    finally:
        drop(slugs)
    clone_median, migrate_median = statistics.median(clone), statistics.median(migrate)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    print(f"PostgreSQL {version}, {os.cpu_count()} CPUs, N={N} organisations each way")
    print(f"clone of the template schema : median {clone_median * 1000:8.1f} ms "
          f"(min {min(clone) * 1000:.1f}, max {max(clone) * 1000:.1f})")
    print(f"django-tenants migrate path  : median {migrate_median * 1000:8.1f} ms "
          f"(min {min(migrate) * 1000:.1f}, max {max(migrate) * 1000:.1f})")
    print(f"ratio migrate / clone        : {migrate_median / clone_median:8.1f}x")


if __name__ == "__main__":
    main()
