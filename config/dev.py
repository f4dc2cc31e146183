"""`make run`: database, migrations, demo data, web server, worker and beat, in one command.

With no DATABASE_URL, the embedded PostgreSQL in .data/ is started here and stopped when
this process ends (Ctrl-C); the child processes reach it through the DATABASE_URL set below.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from config.database import DATA_DIR, database_url


def main() -> int:
    port = os.environ.get("PORT", "8000")
    env = {**os.environ, "DATABASE_URL": database_url(), "PORT": port,
           "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONUNBUFFERED": "1"}
    python = sys.executable

    def manage(*args: str) -> None:
        subprocess.run([python, "manage.py", *args], env=env, check=True)

    manage("migrate_schemas", "--verbosity", "0")
    manage("createcachetable")
    # The PGMQ broker's tables, before the demo data queues its first e-mail.
    manage("shell", "--no-imports", "-c",
           "from config.broker import ensure_configured_broker; ensure_configured_broker()")
    print("\nFullmobs demo logins:", flush=True)
    manage("seed_demo")
    print(f"\nPublic site: http://localhost:{port}/   (Ctrl-C stops everything)\n", flush=True)

    DATA_DIR.mkdir(exist_ok=True)
    children = [
        subprocess.Popen([python, "manage.py", "runserver", f"0.0.0.0:{port}"], env=env),
        subprocess.Popen([python, "-m", "celery", "-A", "config", "worker",
                          "--loglevel", "INFO", "--concurrency", "2"], env=env),
        subprocess.Popen([python, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
                          "--schedule", str(DATA_DIR / "celerybeat-schedule")], env=env),
    ]

    stopping = False

    def stop(*_args) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.5)
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
    # The embedded server (if this process started it) is stopped by its atexit hook.
    return 0


if __name__ == "__main__":
    sys.exit(main())
