"""The production processes, one command each; the container (Dockerfile, compose.yaml),
the Makefile (``make serve``, ``make worker``, ``make beat``, ``make release``) and the tests
(tests/config/test_serve.py) all start them through here, so that what CI runs is what is
deployed::

    python -m config.prod release   # migrate_organisations, cache table, broker tables, spares
    python -m config.prod web       # gunicorn (config/gunicorn.py) on $BIND or 0.0.0.0:$PORT
    python -m config.prod worker    # celery worker; its metrics on $WORKER_METRICS_PORT
    python -m config.prod beat      # celery beat: exactly one per deployment
    python -m config.prod probe [--port P] [--path /health/live]   # the health check

The web and the worker count their metrics in ``PROMETHEUS_MULTIPROC_DIR`` (a directory of
their own, emptied here before the process starts: counts of a previous run must not be
added to this one's).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

COMMANDS = ("release", "web", "worker", "beat", "probe")


def _multiprocess_dir(role: str) -> None:
    path = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR")
                or Path(tempfile.gettempdir()) / f"fullmobs-metrics-{role}")
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)


def argv(role: str, extra: list[str]) -> list[str]:
    python = sys.executable
    if role == "web":
        return [python, "-m", "gunicorn", "config.wsgi:application",
                "--config", "python:config.gunicorn", *extra]
    if role == "worker":
        return [python, "-m", "celery", "-A", "config", "worker", "--loglevel",
                os.environ.get("LOG_LEVEL", "INFO"),
                "--concurrency", os.environ.get("WORKER_CONCURRENCY", "2"), *extra]
    if role == "beat":
        return [python, "-m", "celery", "-A", "config", "beat", "--loglevel",
                os.environ.get("LOG_LEVEL", "INFO"), "--schedule",
                os.environ.get("BEAT_SCHEDULE_FILE",
                               str(Path(tempfile.gettempdir()) / "celerybeat-schedule")),
                *extra]
    raise SystemExit(f"usage: python -m config.prod {{{'|'.join(COMMANDS)}}} [arguments]")


def release() -> None:
    """Once per deploy, before the new web processes take traffic (docs/deployment.md).
    Every step is idempotent: running it twice changes nothing."""
    import django
    from django.conf import settings
    from django.core.management import call_command

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    # Every schema, public first; several organisations at a time, each in one transaction;
    # a second release started meanwhile waits for this one (tenants/schema_migrations.py).
    # A schema that fails stops the release here (non-zero exit), the others migrated.
    call_command("migrate_organisations", verbosity=1)
    if not settings.CACHE_URL:
        call_command("createcachetable")
    # The template library (idempotent: only what changed in methodology/library/).
    call_command("load_methodology")
    from config.broker import ensure_configured_broker

    ensure_configured_broker()
    # Spare schemas for the first sign-ups after the deploy (the old ones were dropped by
    # the migration if the template moved); the worker keeps the pool full afterwards.
    from tenants.spare_schemas import spare_schemas_refill

    spare_schemas_refill()


def probe(args: list[str]) -> int:
    """The container's health check: 0 if ``http://127.0.0.1:<port><path>`` answers 200
    within three seconds. Django is not loaded (a probe every few seconds stays cheap)."""
    import argparse
    import urllib.request

    parser = argparse.ArgumentParser(prog="python -m config.prod probe")
    parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
    parser.add_argument("--path", default="/health/live")
    options = parser.parse_args(args)
    url = f"http://127.0.0.1:{options.port}{options.path}"
    try:
        with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 (http, ours)
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"{url}: {exc}", file=sys.stderr)  # noqa: T201
        return 1


def main(args: list[str]) -> None:
    if not args or args[0] not in COMMANDS:
        argv("", [])
    role, extra = args[0], args[1:]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if role == "release":
        release()
        return
    if role == "probe":
        raise SystemExit(probe(extra))
    if role in ("web", "worker"):
        _multiprocess_dir(role)
    command = argv(role, extra)
    os.execv(command[0], command)  # noqa: S606 (the process becomes gunicorn or celery)


if __name__ == "__main__":
    main(sys.argv[1:])
