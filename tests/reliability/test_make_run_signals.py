"""`make run` (python -m config.dev) stops everything it started on SIGTERM, as on Ctrl-C:
sent to its process alone or to its whole process group, within seconds no child, grandchild
(runserver's reloaded server, the worker's pool) or listening port remains."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

import psutil
import psycopg
import pytest
from django.conf import settings

from ..conftest import PYTHON, ROOT, free_port, wait_for

STOPPED_WITHIN = 25.0  # the worker's warm shutdown included


def _admin_dsn(dbname: str) -> str:
    db = settings.DATABASES["default"]
    return psycopg.conninfo.make_conninfo(
        host=db.get("HOST") or "localhost", port=db.get("PORT") or 5432,
        user=db.get("USER") or "postgres", password=db.get("PASSWORD") or "", dbname=dbname)


@pytest.fixture(scope="module")
def throwaway_url():
    """A database of its own (migrated and seeded by the first run, reused by the second)."""
    name = f"fullmobs_make_run_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_admin_dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db = settings.DATABASES["default"]
    from urllib.parse import quote

    yield (f"postgres://{quote(db.get('USER') or 'postgres')}:{quote(db.get('PASSWORD') or '')}"
           f"@{quote(db.get('HOST') or 'localhost', safe='')}:{db.get('PORT') or 5432}/{name}")
    with psycopg.connect(_admin_dsn("postgres"), autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                     [name])
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _answers(port: int) -> bool:
    request = Request(f"http://127.0.0.1:{port}/", headers={"Host": "localhost"})
    try:
        with urlopen(request, timeout=3) as response:  # noqa: S310 - our own local server
            return response.status == 200
    except HTTPError:
        return True  # an answer all the same
    except (URLError, OSError):
        return False


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("0.0.0.0", port))  # noqa: S104 - runserver listens there
        except OSError:
            return False
        return True


def _start(url: str, port: int, log_path) -> subprocess.Popen[bytes]:
    env = {key: value for key, value in os.environ.items()
           if key not in {"PGMQ_DSN", "CELERY_QUEUE", "CELERY_BROKER_URL"}}
    env.update(DATABASE_URL=url, PORT=str(port), PYTHONUNBUFFERED="1",
               DJANGO_SETTINGS_MODULE="config.settings")
    with open(log_path, "w") as log:
        return subprocess.Popen([PYTHON, "-m", "config.dev"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)


def _everything_started(process: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """The supervisor and all its descendants, once the server, worker (with its pool) and
    beat are up."""
    supervisor = psutil.Process(process.pid)

    def ready():
        family = supervisor.children(recursive=True)
        lines = [" ".join(p.cmdline()) for p in family if p.is_running()]
        worker_pool = sum("celery" in line and " worker" in line for line in lines)
        beat = any("celery" in line and " beat" in line for line in lines)
        return worker_pool >= 3 and beat and family

    family = wait_for(ready, 60)
    assert family, "the worker and beat did not start"
    return [supervisor, *family]


@pytest.mark.worker
@pytest.mark.parametrize("target", ["process", "group"])
def test_sigterm_stops_every_process_make_run_started(throwaway_url, tmp_path, target):
    port = free_port()
    log = tmp_path / "make-run.log"
    process = _start(throwaway_url, port, log)
    family: list[psutil.Process] = []
    try:
        # A first run migrates and seeds a new database: minutes on a busy machine.
        assert wait_for(lambda: _answers(port) or process.poll() is not None, 300, 1), \
            log.read_text()[-3000:]
        assert process.poll() is None, log.read_text()[-3000:]
        family = _everything_started(process)

        started = time.monotonic()
        if target == "group":
            os.killpg(process.pid, signal.SIGTERM)
        else:
            process.send_signal(signal.SIGTERM)

        def all_gone():
            process.poll()
            return not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE
                           for p in family)

        gone = wait_for(all_gone, STOPPED_WITHIN, 0.2)
        elapsed = time.monotonic() - started
        left = [(p.pid, " ".join(p.cmdline())) for p in family
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        assert gone, f"still running after {elapsed:.1f} s: {left}\n{log.read_text()[-2000:]}"
        assert process.wait(timeout=5) == 0
        assert wait_for(lambda: _port_free(port), 5), f"port {port} still taken"
        print(f"\nSIGTERM to the {target}: {len(family)} processes stopped in {elapsed:.1f} s")  # noqa: T201
    finally:
        for p in family:  # only if the test failed: leave nothing behind
            if p.is_running():
                p.kill()
        if process.poll() is None:
            process.kill()
            process.wait()
