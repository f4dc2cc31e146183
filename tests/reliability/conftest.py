"""Faults against the real parts: a local SMTP server (aiosmtpd) that refuses, hangs or
drops the connection on demand, real Celery workers started and SIGKILLed, and the broker's
visibility timeout fast-forwarded so that a killed worker's message comes back at once."""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import re
import signal
import socket
import threading
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller
from django.db import connection

from config.broker import ensure_configured_broker

from ..conftest import PYTHON, TEST_QUEUE, child_env, running, wait_for

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's line-by-line log

WORKER = [PYTHON, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
          "--loglevel", "INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"]


@dataclass
class Faults:
    """What the server does to the next transactions; each count goes down as it is used."""
    refuse_rcpt: int = 0       # answer 451 to RCPT TO (a temporary refusal)
    refuse_data: int = 0       # answer 554 after the message's content (a refusal of DATA)
    drop_after_data: int = 0   # keep the message, then close the connection without a reply
    hang_rcpt: float = 0.0     # wait this long before answering RCPT TO (0: answer at once)


@dataclass
class SMTPSink:
    """The mail server of these tests: keeps every message it accepted (or kept before
    dropping the connection), answers as ``faults`` says."""
    port: int
    faults: Faults = field(default_factory=Faults)
    messages: list[email.message.EmailMessage] = field(default_factory=list)
    transactions: int = 0
    rcpt_waiting: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _take(self, name: str) -> bool:
        with self._lock:
            left = getattr(self.faults, name)
            if left > 0:
                setattr(self.faults, name, left - 1)
                return True
            return False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.transactions += 1
        if self.faults.hang_rcpt:
            self.rcpt_waiting.set()
            await asyncio.sleep(self.faults.hang_rcpt)
        if self._take("refuse_rcpt"):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self._take("refuse_data"):
            return "554 5.6.0 Refused for the test"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
        if self._take("drop_after_data"):
            server.transport.close()  # the message is in, the final reply never leaves
            return "250 OK"
        return "250 OK"

    def received(self, prefix: str) -> Counter[str]:
        """How many times each subject starting with ``prefix`` was received."""
        with self._lock:
            return Counter(str(m["Subject"]) for m in self.messages
                           if str(m["Subject"]).startswith(prefix))


@contextmanager
def smtp_server(port: int, sink: SMTPSink):
    controller = Controller(sink, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@contextmanager
def silent_server(port: int):
    """A server that accepts connections and never says a word (not even its greeting)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield held
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        sock.close()


def mail_env(port: int, **extra: str) -> dict[str, str]:
    """A worker's environment: SMTP to 127.0.0.1:port, a 2 s timeout, retries from 0.5 s."""
    return child_env(**{"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                        "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port), "EMAIL_USE_TLS": "",
                        "EMAIL_TIMEOUT": "2", "OUTBOX_RETRY_BASE_SECONDS": "0.5", **extra})


@contextmanager
def worker(env: dict[str, str], log: Path):
    """A real worker in its own process group (its pool included), ready when yielded."""
    ensure_configured_broker()
    with running(WORKER, env, log) as process:
        ready = wait_for(lambda: "ready" in log.read_text() or process.poll() is not None, 90)
        assert ready and process.poll() is None, log.read_text()
        yield process


def kill(process) -> None:
    """SIGKILL: no clean-up, no acknowledgement, the task's transaction cut off."""
    process.send_signal(signal.SIGKILL)
    process.wait()


def expire_invisible_messages() -> int:
    """What PGMQ does once its visibility timeout (30 minutes) is over: a message read by a
    worker that never acknowledged it is visible again. Done now, to keep tests short."""
    queue = re.sub(r"[^a-z0-9_]", "_", TEST_QUEUE.lower())
    with connection.cursor() as cursor:
        cursor.execute("SELECT queue_name FROM pgmq.meta WHERE queue_name LIKE %s",
                       [f"%{queue}%"])
        names = [name for (name,) in cursor.fetchall()]
        expired = 0
        for name in names:
            assert re.fullmatch(r"[a-z0-9_]+", name)
            cursor.execute(f"UPDATE pgmq.q_{name} SET vt = clock_timestamp() "
                           "WHERE vt > clock_timestamp()")
            expired += cursor.rowcount
    return expired


def wait_until(predicate, timeout: float, what: str, log: Path | None = None):
    result = wait_for(predicate, timeout)
    assert result, f"{what} not within {timeout} s" + (f"\n{log.read_text()}" if log else "")
    return result


def figures(name: str, **counts: int) -> None:
    """Print a run's figures (seen with ``pytest -s``; docs/reliability.md quotes them)."""
    print(f"\n[{name}] " + ", ".join(f"{key}={value}" for key, value in counts.items()))  # noqa: T201
