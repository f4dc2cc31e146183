"""What the benchmark scripts share: Django's set-up for a script run from the shell, the
median timer, an organisation made fresh for a run and dropped after it, and COPY.

A script in ``bench/`` runs as ``python bench/<name>.py`` (its folder first on the path),
so it imports this module by name, before Django is set up::

    from _support import django_setup

    django_setup()  # the settings, the locmem e-mail backend, django.setup()

    from _support import organisation_drop, organisation_fresh, timed  # noqa: E402

The database is the one ``DATABASE_URL`` names, migrated (``migrate_schemas --shared``
at least): each script says what it needs in its docstring.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent

if TYPE_CHECKING:
    from tenants.models import Organisation


def django_setup(**environment: str) -> None:
    """Put the project on the path, default the settings and the e-mail backend (nothing
    leaves a bench) and whatever ``environment`` adds, then set Django up."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    for name, value in environment.items():
        os.environ.setdefault(name, value)
    import django

    django.setup()


def timed(call: Callable[[], Any], runs: int = 5) -> tuple[float, Any]:
    """The median of ``runs`` timings of ``call`` in seconds, and its last result."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def organisation_drop(organisation: Organisation) -> None:
    """Drop an organisation a bench made: its schema, domains, subscription, row and its
    members' users (a bench's owners belong to no other organisation)."""
    from django.db import connection

    from billing.models import Subscription
    from tenants.models import User

    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{organisation.schema_name}" CASCADE')
    users = list(organisation.memberships.values_list("user_id", flat=True))
    organisation.domains.all().delete()
    Subscription.objects.filter(organisation=organisation).delete()
    organisation.delete()
    User.objects.filter(pk__in=users).delete()


def organisation_fresh(slug: str, name: str | None = None,
                       owner_email: str | None = None) -> Organisation:
    """A new active organisation under ``slug`` (one left by an interrupted run is dropped
    first), provisioned as sign-up does (``organisation_provision``)."""
    from tenants.models import Organisation
    from tenants.services import organisation_provision

    for stale in Organisation.objects.filter(slug=slug):
        organisation_drop(stale)
    return organisation_provision(name=name or slug, slug=slug,
                                  owner_email=owner_email or f"owner@{slug}.example",
                                  status=Organisation.Status.ACTIVE)


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write ``rows`` into ``table`` of the current schema with one COPY (psycopg 3);
    returns how many. The rows must be the ones the product writes (every column it sets,
    defaults included): COPY runs no ``save()`` and no default of the model."""
    from django.db import connection

    count = 0
    with connection.cursor() as cursor, cursor.connection.cursor().copy(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def analyze() -> None:
    """Fresh planner statistics after a bulk fill (autovacuum would take minutes)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
