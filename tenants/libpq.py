"""Connection strings in the form libpq reads (pg_dump and the PGMQ broker want it)."""


def libpq_dsn(db: dict) -> str:
    """A key=value libpq string for a Django DATABASES entry (pgmq and pg_dump want this form)."""
    parts = {
        "host": db.get("HOST") or "",
        "port": str(db.get("PORT") or "5432"),
        "dbname": db["NAME"],
        "user": db.get("USER") or "postgres",
        "password": db.get("PASSWORD") or "",
    }
    def quoted(value: str) -> str:  # libpq: backslash and single quote are escaped
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    return " ".join(f"{k}={quoted(v)}" for k, v in parts.items() if v)
