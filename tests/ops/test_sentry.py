"""Error reports: Sentry only when SENTRY_DSN is set, and never a person's data — the
scrubber on its own, then a real SDK sending to a local server that speaks Sentry's
envelope protocol (the network boundary)."""

from __future__ import annotations

import gzip
import json
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from config.ops.sentry import FILTERED, scrub_event, scrub_text

from ..conftest import PYTHON, ROOT, child_env

SIGNED_LINK = "https://acme.localhost/me/eyJwIjoxMjN9:1vQx7a:Zr8TnW4yHs6DcF1gBa5eUo0iRtXwYqPzN3jM/"
RESET_LINK = "https://acme.localhost/accounts/reset/MTI/cf3k2x-4f1d0b9e8a7c6d5e4f3a2b1c0d9e8f7a/"


def test_scrub_text_removes_addresses_tokens_and_signed_links():
    text = (f"Could not send to jane.doe+campaigns@example.org ({SIGNED_LINK}); reset at "
            f"{RESET_LINK}; Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0")
    scrubbed = scrub_text(text)
    for secret in ("jane.doe", "example.org", "eyJwIjoxMjN9",
                   "Zr8TnW4yHs6DcF1gBa5eUo0iRtXwYqPzN3jM", "4f1d0b9e8a7c6d5e4f3a2b1c0d9e8f7a",
                   "9f8e7d6c5b4a39281706f5e4d3c2b1a0"):
        assert secret not in scrubbed, secret
    assert scrubbed.startswith("Could not send to [Filtered] (https://acme.localhost/me/")


def test_scrub_event_goes_through_request_exception_breadcrumbs_and_variables():
    event = {
        "message": "Bounce for paul@example.com",
        "user": {"email": "paul@example.com", "ip_address": "203.0.113.9"},
        "request": {"url": SIGNED_LINK, "query_string": "token=abc.def.ghi&page=2",
                    "cookies": {"sessionid": "s3cr3t"}, "data": {"first_name": "Paul"},
                    "headers": {"Authorization": "Token 123456", "Cookie": "sessionid=x",
                                "User-Agent": "Mozilla/5.0", "X-Forwarded-For": "203.0.113.9"},
                    "env": {"REMOTE_ADDR": "203.0.113.9"}},
        "exception": {"values": [{"type": "SMTPRecipientsRefused",
                                  "value": "{'marie@example.net': (550, b'no such user')}",
                                  "stacktrace": {"frames": [{
                                      "function": "send", "module": "engagement.services.outbox",
                                      "vars": {"to_email": "marie@example.net", "name": "Marie",
                                               "participant_id": 12, "subject": "Hello Marie",
                                               "attempt": 2}}]}}]},
        "breadcrumbs": {"values": [
            {"category": "query", "message": "SELECT … WHERE email = 'luc@example.org'"},
            {"category": "django.request", "data": {"phone": "+33 6 12 34 56 78"}}]},
        "extra": {"password": "hunter2", "count": 3},
        "sdk": {"name": "sentry.python.django", "version": "2"},
    }
    scrubbed = json.dumps(scrub_event(event, {}))
    for secret in ("paul@", "marie@", "luc@", "203.0.113.9", "s3cr3t", "Token 123456",
                   "\"Paul\"", "Marie", "hunter2", "+33 6", "eyJwIjoxMjN9", "abc.def.ghi"):
        assert secret not in scrubbed, secret
    result = scrub_event(json.loads(json.dumps(event)), {})
    assert "user" not in result
    assert "cookies" not in result["request"] and "data" not in result["request"]
    frame = result["exception"]["values"][0]["stacktrace"]["frames"][0]
    assert frame["vars"]["participant_id"] == 12 and frame["vars"]["attempt"] == 2
    assert frame["function"] == "send" and frame["module"] == "engagement.services.outbox"
    assert result["request"]["headers"]["User-Agent"] == "Mozilla/5.0"
    assert result["request"]["headers"]["Authorization"] == FILTERED
    assert result["extra"] == {"password": FILTERED, "count": 3}
    assert result["sdk"]["name"] == "sentry.python.django"  # the SDK's own description kept


class FakeSentry(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        elif self.headers.get("Content-Encoding") == "br":
            import brotli

            body = brotli.decompress(body)
        FakeSentry.received.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_sentry():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeSentry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeSentry.received = []
    yield server.server_address[1]
    server.shutdown()


SCRIPT = f"""
import logging, django
django.setup()
import sentry_sdk
logging.getLogger("engagement").warning("Participant anne@example.org opened {SIGNED_LINK}")
try:
    raise ValueError("Refused: bob@example.org, link {SIGNED_LINK}")
except ValueError:
    sentry_sdk.capture_exception()
sentry_sdk.flush(10)
print("active", sentry_sdk.get_client().is_active())
"""


def test_a_process_with_a_dsn_reports_errors_without_personal_data(fake_sentry):
    env = child_env(SENTRY_DSN=f"http://publickey@127.0.0.1:{fake_sentry}/42")
    result = subprocess.run([PYTHON, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "active True" in result.stdout
    assert FakeSentry.received, "nothing reached the fake Sentry"
    sent = b"\n".join(FakeSentry.received).decode()
    assert "ValueError" in sent and "Refused: [Filtered], link https://acme.localhost/me/" in sent
    assert "Participant [Filtered] opened" in sent  # the breadcrumb, scrubbed too
    assert '"schema":"public"' in sent.replace(" ", "")  # the tag that finds the log lines
    for secret in ("bob@", "anne@", "eyJwIjoxMjN9", "Zr8TnW4yHs6DcF1gBa5eUo0iRtXwYqPzN3jM"):
        assert secret not in sent, secret


def test_without_a_dsn_nothing_is_initialised():
    result = subprocess.run(
        [PYTHON, "-c", "import django; django.setup(); import sentry_sdk; "
                       "print(sentry_sdk.get_client().is_active())"],
        cwd=ROOT, env=child_env(SENTRY_DSN=""), capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "False", result.stderr
