"""The outbox against a real SMTP server that refuses, hangs or drops the connection, sent
by a real worker: every e-mail ends sent, counted against what the server received.

The worker's SMTP timeout is 2 s and its first retry 0.5 s (then 1, 2, 4 … s), so whole
retry chains fit in seconds; in production they are 20 s and a minute."""

from __future__ import annotations

import time
import uuid
from collections import Counter

import pytest
from django_tenants.utils import tenant_context

from engagement.models import OutboundEmail
from engagement.services import outbox
from tenants.models import Organisation

from ..conftest import free_port
from .conftest import (
    Faults,
    SMTPSink,
    figures,
    mail_env,
    silent_server,
    smtp_server,
    wait_until,
    worker,
)

pytestmark = pytest.mark.worker


@pytest.fixture(scope="module")
def port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def mail_worker(django_db_setup, django_db_blocker, tmp_path_factory, port):
    log = tmp_path_factory.mktemp("mail-worker") / "worker.log"
    with django_db_blocker.unblock(), worker(mail_env(port), log):
        yield log


@pytest.fixture
def batch(committed):
    """E-mails of one test, in the test organisation, removed afterwards."""
    organisation = Organisation.objects.get(slug="testco")
    tag = f"fault-{uuid.uuid4().hex[:8]}-"

    def queue(count: int) -> None:
        with tenant_context(organisation):
            for index in range(count):
                assert outbox.email_queue(
                    kind="test", dedupe_key=f"{tag}{index}", subject=f"{tag}{index}",
                    body="Hello", to_email=f"person{index}@example.test")

    def rows() -> list[OutboundEmail]:
        with tenant_context(organisation):
            return list(OutboundEmail.objects.filter(dedupe_key__startswith=tag))

    yield tag, queue, rows
    with tenant_context(organisation):
        OutboundEmail.objects.filter(dedupe_key__startswith=tag).delete()


def all_sent(rows):
    return lambda: (found := rows()) and all(r.status == "sent" for r in found) and found


def tally(name: str, tag: str, rows: list[OutboundEmail], sink: SMTPSink) -> dict[str, int]:
    received = sink.received(tag)
    counts = {
        "queued": len(rows),
        "sent": sum(r.status == "sent" for r in rows),
        "retried": sum(r.attempts - 1 for r in rows),
        "received": sum(received.values()),
        "duplicates": sum(n - 1 for n in received.values()),
        "lost": sum(r.status != "sent" or r.subject not in received for r in rows),
    }
    figures(name, **counts)
    return counts


def test_refused_then_accepted_every_email_is_sent_once(mail_worker, port, batch):
    """Connection refused (no server), then 451 on RCPT, then 554 after DATA: the worker
    retries each e-mail with backoff until the server takes it, once."""
    tag, queue, rows = batch
    queue(8)
    # No server at all: every e-mail fails its first attempt, and stays queued.
    failed = wait_until(lambda: (found := rows()) and all(r.attempts >= 1 for r in found)
                        and found, 20, "first attempts", mail_worker)
    assert all(r.status == "queued" and "refused" in r.last_error.lower() for r in failed)

    sink = SMTPSink(port, Faults(refuse_rcpt=5, refuse_data=4))
    with smtp_server(port, sink):
        sent = wait_until(all_sent(rows), 45, "all sent", mail_worker)
        counts = tally("refused", tag, sent, sink)
    assert sink.faults == Faults()  # every refusal was used
    assert counts["sent"] == counts["received"] == 8
    assert counts["duplicates"] == counts["lost"] == 0
    assert counts["retried"] >= 8 + 5 + 4  # the refused first attempts, then each refusal
    errors = " ".join(r.last_error for r in sent)
    assert "451" in errors and "554" in errors


def test_a_hanging_server_times_out_and_the_email_is_retried(mail_worker, port, batch):
    """The server accepts the connection and never answers: each attempt gives up after
    EMAIL_TIMEOUT, the worker goes on with the next one, and the retries, once the server
    answers, send each e-mail once."""
    tag, queue, rows = batch
    with silent_server(port) as held:
        started = time.monotonic()
        queue(3)
        timed_out = wait_until(
            lambda: (found := rows()) and all(r.attempts >= 1 for r in found) and found,
            30, "timed-out attempts", mail_worker)
        elapsed = time.monotonic() - started
    assert held, "the silent server was never reached"
    assert all(r.status == "queued" and "timed out" in r.last_error for r in timed_out), \
        [r.last_error for r in timed_out]
    assert elapsed < 3 * 2 + 10  # three attempts of EMAIL_TIMEOUT (2 s), not forever

    sink = SMTPSink(port)
    with smtp_server(port, sink):
        sent = wait_until(all_sent(rows), 40, "all sent", mail_worker)
        counts = tally("hanging", tag, sent, sink)
    assert counts["sent"] == counts["received"] == 3
    assert counts["duplicates"] == counts["lost"] == 0
    assert counts["retried"] >= 3


def test_a_connection_dropped_after_the_message_means_it_is_sent_again(
        mail_worker, port, batch):
    """The server keeps the message, then the connection drops before its final reply.
    The worker cannot tell "kept" from "lost": the row stays queued and is sent again, so
    the person gets it twice. The outbox is at-least-once by choice (losing a reminder is
    worse than repeating it); this window is the only place a duplicate comes from."""
    tag, queue, rows = batch
    sink = SMTPSink(port, Faults(drop_after_data=3))
    with smtp_server(port, sink):
        queue(3)
        sent = wait_until(all_sent(rows), 40, "all sent", mail_worker)
        counts = tally("dropped", tag, sent, sink)
    assert all(r.attempts == 2 for r in sent)
    assert all("SMTPServerDisconnected" in r.last_error for r in sent)
    assert counts["sent"] == 3 and counts["lost"] == 0
    assert counts["received"] == 6 and counts["duplicates"] == 3
    # Each copy carries its row's Message-ID: mail clients see one message, twice delivered.
    ids = Counter(str(m["Message-ID"]) for m in sink.messages
                  if str(m["Subject"]).startswith(tag))
    assert sorted(ids.values()) == [2, 2, 2]
    assert {f"<outbox.testco.{r.pk}@fullmobs.example>" for r in sent} == set(ids)
