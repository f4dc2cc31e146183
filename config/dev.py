"""`make run`: database, migrations, demo data, web server, worker and beat, in one command.

With no DATABASE_URL, the embedded PostgreSQL in .data/ is started here and stopped when
this process ends; the child processes reach it through the DATABASE_URL set below.

Ctrl-C and SIGTERM (to this process or to its whole process group) stop everything the same
way: each child runs in its own process group (runserver's reloader has a child of its own,
the worker its pool), the whole group is asked to stop, waited for, then killed if it lingers.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

from config.database import DATA_DIR, database_url

# How long a child's group may take to stop (a worker finishing its task) before SIGKILL.
STOP_TIMEOUT = 15.0


class Stopped(Exception):
    """SIGINT or SIGTERM arrived: leave whatever step is running."""


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_children(children: list[subprocess.Popen[bytes]], timeout: float = STOP_TIMEOUT) -> None:
    """Ask each child to stop (SIGTERM: the worker's warm shutdown ends its pool itself), then
    SIGTERM whatever is left in its group (runserver's reloader leaves its server), and
    SIGKILL the groups that still linger when ``timeout`` is over."""
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for child in children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        _signal_group(child, signal.SIGTERM)
    for child in children:
        while child.poll() is None or _group_alive(child.pid):
            if time.monotonic() >= deadline:
                break
            time.sleep(0.1)
        if _group_alive(child.pid):
            _signal_group(child, signal.SIGKILL)
        if child.poll() is None:
            child.wait()


def main() -> int:
    children: list[subprocess.Popen[bytes]] = []
    stopping = False

    def stop(*_args: object) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            raise Stopped

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    def start(*args: str) -> subprocess.Popen[bytes]:
        child = subprocess.Popen([python, *args], env=env, start_new_session=True)
        children.append(child)
        return child

    def manage(*args: str) -> None:
        child = start("manage.py", *args)
        code = child.wait()
        children.remove(child)
        if code:
            raise subprocess.CalledProcessError(code, child.args)

    try:
        port = os.environ.get("PORT", "8000")
        env = {**os.environ, "DATABASE_URL": database_url(), "PORT": port,
               "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONUNBUFFERED": "1",
               "FULLMOBS_DEMO": "1"}
        python = sys.executable
        manage("migrate_schemas", "--verbosity", "0")
        manage("createcachetable")
        # The PGMQ broker's tables, before the demo data queues its first e-mail.
        manage("shell", "--no-imports", "-c",
               "from config.broker import ensure_configured_broker; ensure_configured_broker()")
        print("\nFullmobs demo logins:", flush=True)
        manage("seed_demo")
        print(f"\nPublic site: http://localhost:{port}/   (Ctrl-C stops everything)\n",
              flush=True)

        DATA_DIR.mkdir(exist_ok=True)
        start("manage.py", "runserver", f"0.0.0.0:{port}")
        start("-m", "celery", "-A", "config", "worker", "--loglevel", "INFO",
              "--concurrency", "2")
        start("-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
              "--schedule", str(DATA_DIR / "celerybeat-schedule"))
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except Stopped:
        print("\nStopping...", flush=True)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop_children(children)
    # The embedded server (if this process started it) is stopped by its atexit hook.
    return 0


if __name__ == "__main__":
    sys.exit(main())
