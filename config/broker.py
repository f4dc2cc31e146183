"""The zero-setup broker: PGMQ's SQL installed once into the project's database."""

from __future__ import annotations

import psycopg

# Any constant works; it serialises concurrent installers (worker and beat start together).
_INSTALL_LOCK_ID = 7_346_001


def ensure_pgmq(dsn: str) -> bool:
    """Install PGMQ's functions and tables (schema ``pgmq``) if missing. True if installed now."""
    from pgmq.install import install_pgmq_from_sql

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", [_INSTALL_LOCK_ID])
        try:
            present = conn.execute(
                "SELECT 1 FROM pg_namespace WHERE nspname = 'pgmq'"
            ).fetchone()
            if present:
                return False
            install_pgmq_from_sql(dsn=dsn)
            return True
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", [_INSTALL_LOCK_ID])


def ensure_configured_broker() -> None:
    from django.conf import settings

    if settings.CELERY_BROKER_URL.startswith("pgmq"):
        ensure_pgmq(settings.CELERY_BROKER_TRANSPORT_OPTIONS["conn_string"])
