"""The plumbing of the reports' raw SQL aggregates: a cursor set for one big aggregate,
a queryset embedded as a subquery, and the rates every figure divides by."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from django.db import connections, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import QuerySet

from core.replica import reader

# Memory for the per-person aggregates of one metrics query (a constant, never input).
WORK_MEM = "64MB"
# ... and for the per-person-and-campaign aggregates of all of a report's campaigns.
WORK_MEM_MANY = "256MB"


@contextmanager
def analytic_cursor(work_mem: str = WORK_MEM) -> Iterator[CursorWrapper]:
    """A cursor in a transaction set for one big aggregate: ``work_mem`` lets the
    per-person aggregates of a big organisation stay in memory instead of spilling to
    disk, and JIT is off (compiling such a plan took PostgreSQL 1–2 s, more than it
    saved). Both for this transaction only; ``work_mem`` is one of this module's
    constants, never input. On the replica inside ``replica_reading()``."""
    alias = reader()
    with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
        cursor.execute("SELECT current_setting('work_mem'), current_setting('jit')")
        previous = cursor.fetchone()
        cursor.execute(f"SET LOCAL work_mem = '{work_mem}'")
        cursor.execute("SET LOCAL jit = off")
        yield cursor
        # Inside an enclosing transaction a released savepoint keeps SET LOCAL until that
        # transaction ends: put the settings back. (On an error the savepoint's rollback
        # undoes them.)
        cursor.execute("SELECT set_config('work_mem', %s, true), set_config('jit', %s, true)",
                       previous)


def ratio(numerator: float | Decimal, denominator: float | Decimal, *, digits: int = 4
          ) -> float:
    """``numerator / denominator``, 0.0 when there is nothing to divide by."""
    return round(float(numerator) / float(denominator), digits) if denominator else 0.0


def subquery_sql(queryset: QuerySet) -> tuple[str, tuple]:
    """A queryset's SQL and parameters, to embed as ``IN (...)`` in raw SQL."""
    return queryset.order_by().query.sql_with_params()
