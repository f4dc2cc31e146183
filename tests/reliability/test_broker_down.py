"""The broker down (a private Redis, stopped): the pages keep answering, sign-ups are
recorded at once, the failure to queue their notices is logged; once the broker is back,
the schedule's safety net composes the missing notices and each goes out exactly once."""

from __future__ import annotations

import re
import statistics
import subprocess
import threading
import time
import uuid
from urllib.request import urlopen

import pytest
import requests
from django_tenants.utils import tenant_context

from engagement.models import Campaign, OutboundEmail, Participant, Pledge, Programme
from tenants.models import Organisation

from ..conftest import PYTHON, ROOT, child_env, free_port, host_of, running, wait_for
from ..factories import make_campaign
from .servers import PrivateRedis, SMTPServer

SIGN_UPS = 12
FAST = 5.0  # seconds: a sign-up with the broker down answers within this
SHELL = [PYTHON, "manage.py", "shell", "--no-imports", "-c"]
SAFETY_NET = (
    "from datetime import timedelta; from django.utils import timezone; "
    "from django_tenants.utils import tenant_context; from tenants.models import Organisation; "
    "from engagement.services import pledge_notices; "
    "org = Organisation.objects.get(slug='testco'); ctx = tenant_context(org); ctx.__enter__(); "
    "print('caught up', pledge_notices.missing_pledge_notices_queue("
    "now=timezone.now() + pledge_notices.GRACE + timedelta(seconds=5)))"
)


@pytest.fixture(scope="module")
def broker():
    redis = PrivateRedis()
    if redis.binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture(scope="module")
def smtp():
    server = SMTPServer(free_port())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def parts(django_db_setup, django_db_blocker, broker, smtp, tmp_path_factory):
    """A live server and a worker on the private broker, a campaign to join."""
    folder = tmp_path_factory.mktemp("broker")
    port = free_port()
    common = {"CELERY_BROKER_URL": broker.url, "BASE_DOMAIN": "localhost",
              "JOIN_RATE_LIMIT": "100000/hour", "JOIN_CAMPAIGN_RATE_LIMIT": "100000/hour"}
    with django_db_blocker.unblock():
        organisation = Organisation.objects.get(slug="testco")
        with tenant_context(organisation):
            campaign = make_campaign(capacity=100, target=5)
        server_env = child_env(SITE_PORT=str(port), PORT=str(port), **common)
        worker_env = child_env(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                               EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp.server_address[1]),
                               EMAIL_USE_TLS="", **common)
    web = [PYTHON, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
           "--workers", "2", "--access-logfile", "-"]
    worker = [PYTHON, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
              "--loglevel", "INFO", "--without-heartbeat", "--without-gossip",
              "--without-mingle"]
    web_log, worker_log = folder / "web.log", folder / "worker.log"
    try:
        with running(web, server_env, web_log) as server, \
                running(worker, worker_env, worker_log) as consumer:
            def up():
                try:
                    return urlopen(f"http://127.0.0.1:{port}/static/css/fullmobs.css",  # noqa: S310
                                   timeout=2).status == 200
                except OSError:
                    return server.poll() is not None
            assert wait_for(up, 60) and server.poll() is None, web_log.read_text()
            ready = wait_for(lambda: "ready" in worker_log.read_text()
                             or consumer.poll() is not None, 90)
            assert ready and consumer.poll() is None, worker_log.read_text()
            yield {"base": f"http://127.0.0.1:{port}", "organisation": organisation,
                   "campaign": campaign, "web_log": web_log, "worker_log": worker_log,
                   "env": worker_env}
    finally:
        with django_db_blocker.unblock(), tenant_context(organisation):
            programme = campaign.programme
            emails = list(Participant.objects.filter(email__endswith="@broker.example")
                          .values_list("email", flat=True))
            OutboundEmail.objects.filter(to_email__in=emails).delete()
            Pledge.objects.filter(slot__campaign=campaign).delete()
            Campaign.objects.filter(pk=campaign.pk).delete()
            Programme.objects.filter(pk=programme.pk).delete()
            Participant.objects.filter(email__in=emails).delete()


def _sign_up(base: str, host: str, code: str, slot_id: int, email: str) -> tuple[int, float]:
    started = time.monotonic()
    page = requests.get(f"{base}/c/{code}/", headers={"Host": host}, timeout=30)
    assert page.status_code == 200, page.text[:300]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = requests.post(
        f"{base}/c/{code}/join/",
        data={"csrfmiddlewaretoken": token, "email": email, "first_name": "Bea",
              "slots": [slot_id], "companions": 0},
        headers={"Host": host, "Referer": f"http://{host}/c/{code}/"},
        cookies=page.cookies, allow_redirects=False, timeout=30)
    return response.status_code, time.monotonic() - started


@pytest.mark.worker
def test_sign_ups_with_the_broker_down_are_recorded_and_told_once_it_is_back(
        parts, broker, smtp, committed):
    organisation, campaign = parts["organisation"], parts["campaign"]
    host = host_of(organisation)
    with tenant_context(organisation):
        slot_id = campaign.slots.get().pk
    run = uuid.uuid4().hex[:6]
    addresses = [f"down-{run}-{n}@broker.example" for n in range(SIGN_UPS)]

    broker.stop()
    results = [_sign_up(parts["base"], host, campaign.code, slot_id, email)
               for email in addresses]
    latencies = [elapsed for _status, elapsed in results]
    with tenant_context(organisation):
        recorded = set(Pledge.objects.filter(participant__email__in=addresses)
                       .values_list("participant__email", flat=True))
        told_early = OutboundEmail.objects.filter(to_email__in=addresses).count()
    web_log = parts["web_log"].read_text()

    broker.start()  # the same port: the worker reconnects by itself
    # The schedule's next run, as beat would start it (GRACE later):
    caught_up = subprocess.run([*SHELL, SAFETY_NET], cwd=ROOT,
                               env=parts["env"], capture_output=True, text=True, timeout=90)
    assert caught_up.returncode == 0, caught_up.stderr[-3000:]

    def delivered() -> list[str]:
        return [m["To"] for m in smtp.messages if m["To"] in addresses]

    all_sent = wait_for(lambda: len(delivered()) >= SIGN_UPS, 60, 0.5)
    again = subprocess.run([*SHELL, SAFETY_NET], cwd=ROOT,
                           env=parts["env"], capture_output=True, text=True, timeout=90)
    time.sleep(3)  # a duplicate, if any, would arrive now
    with tenant_context(organisation):
        statuses = list(OutboundEmail.objects.filter(to_email__in=addresses)
                        .values_list("status", flat=True))
    print(f"\nBroker down: {SIGN_UPS} sign-ups answered {sorted({s for s, _ in results})}, "  # noqa: T201
          f"latency (page + sign-up) median {statistics.median(latencies):.2f} s, "
          f"max {max(latencies):.2f} s ({', '.join(f'{x:.2f}' for x in latencies)}); "
          f"{caught_up.stdout.strip()} once the broker was back; e-mails delivered "
          f"{len(delivered())}, distinct {len(set(delivered()))}; second run: "
          f"{again.stdout.strip()}")

    assert [status for status, _elapsed in results] == [302] * SIGN_UPS, web_log[-3000:]
    assert max(latencies) < FAST, latencies
    assert recorded == set(addresses)
    assert told_early == 0  # nothing reached the worker while the broker was down
    assert "Broker unavailable" in web_log
    assert f"caught up {SIGN_UPS}" in caught_up.stdout, caught_up.stdout + caught_up.stderr
    assert all_sent, parts["worker_log"].read_text()[-3000:]
    assert "caught up 0" in again.stdout, again.stdout + again.stderr
    assert sorted(delivered()) == sorted(addresses)  # each exactly once
    assert statuses == ["sent"] * SIGN_UPS


@pytest.mark.django_db
def test_a_refused_publish_is_logged_not_raised_into_the_request(org_a, caplog, monkeypatch,
                                                                 django_capture_on_commit_callbacks):
    from kombu.exceptions import OperationalError as BrokerError

    from core.tenancy import enqueue_on_commit
    from engagement import tasks

    def refused(*args, **kwargs):
        raise BrokerError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")

    monkeypatch.setattr(tasks.notify_about_pledge, "apply_async", refused)
    with tenant_context(org_a), django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit("engagement.tasks.notify_about_pledge", "notify_pledge", 41)
    assert "Broker unavailable: engagement.tasks.notify_about_pledge('notify_pledge', 41)" \
        in caplog.text and org_a.schema_name in caplog.text


@pytest.mark.django_db
def test_the_safety_net_tells_recent_pledges_without_a_notice_once(org_a):
    from datetime import timedelta

    from django.utils import timezone

    from engagement.services import pledge_notices

    from ..factories import ParticipantFactory, PledgeFactory

    now = timezone.now()
    with tenant_context(org_a):
        campaign = make_campaign(capacity=10)
        slot = campaign.slots.get()

        def pledge(name: str, age: timedelta) -> Pledge:
            return PledgeFactory(slot=slot, participant=ParticipantFactory(
                email=f"{name}@net.example", first_name=name), created_at=now - age,
                status=Pledge.Status.CONFIRMED)

        lost = pledge("lost", timedelta(minutes=10))
        pledge("recent", timedelta(seconds=30))  # its task may still be on its way
        pledge("old", timedelta(days=2))  # too late to tell
        assert pledge_notices.missing_pledge_notices_queue(now=now) == 1
        told = OutboundEmail.objects.get(to_email="lost@net.example")
        assert told.kind == "pledge_confirmed" and told.dedupe_key.endswith(f":{lost.pk}")
        assert pledge_notices.missing_pledge_notices_queue(now=now) == 0
