"""PostgreSQL restarted in the middle of a burst of sign-ups, on a private server (the
machine's shared one is never touched): every visitor gets either their confirmation or
a clean "try again" page (503, in their language), never a 500 or a hung request, and the
pledges in the database are exactly those that were confirmed."""

from __future__ import annotations

import re
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.request import urlopen

import psycopg
import pytest
import requests
from django.db import OperationalError
from django.test import Client
from django_tenants.utils import tenant_context

from engagement.models import Campaign, Programme
from tenants.libpq import libpq_dsn
from tenants.models import Organisation

from ..conftest import PYTHON, child_env, free_port, host_of, running, wait_for
from ..factories import make_campaign
from .servers import PrivatePostgres

SENT = 200
THREADS = 16
RESTART_AFTER = 60  # sign-ups answered before PostgreSQL is restarted
TIMEOUT = 30.0  # a request not answered by then counts as hung


@pytest.fixture(scope="module")
def campaign_copy(django_db_setup, django_db_blocker):
    """A private PostgreSQL holding a copy of the test database, with an open public
    campaign of 1,000 places in testco."""
    from django.db import connection

    with django_db_blocker.unblock():
        organisation = Organisation.objects.get(slug="testco")
        with tenant_context(organisation):
            campaign = make_campaign(capacity=1000, target=5)
        source = libpq_dsn(connection.settings_dict)
    server = PrivatePostgres()
    try:
        server.start()
        server.copy_database(source, "fullmobs")
        yield server, organisation, campaign
    finally:
        server.remove()
        with django_db_blocker.unblock(), tenant_context(organisation):
            programme = campaign.programme
            Campaign.objects.filter(pk=campaign.pk).delete()
            Programme.objects.filter(pk=programme.pk).delete()


@pytest.fixture(scope="module")
def burst_server(campaign_copy, tmp_path_factory):
    server, organisation, campaign = campaign_copy
    port = free_port()
    log = tmp_path_factory.mktemp("restart") / "gunicorn.log"
    env = child_env(DATABASE_URL=server.url("fullmobs"), SITE_PORT=str(port), PORT=str(port),
                    BASE_DOMAIN="localhost", JOIN_RATE_LIMIT="100000/hour",
                    JOIN_CAMPAIGN_RATE_LIMIT="100000/hour",
                    # The broker is the private server's own PGMQ, restarted with it; a
                    # queue of its own, that no worker reads.
                    CELERY_QUEUE=f"restart-{uuid.uuid4().hex[:8]}")
    env.pop("PGMQ_DSN", None)
    cmd = [PYTHON, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
           "--workers", "4", "--threads", "4", "--timeout", "60", "--access-logfile", "-"]
    with running(cmd, env, log) as process:
        def up():
            try:
                return urlopen(f"http://127.0.0.1:{port}/static/css/fullmobs.css",  # noqa: S310
                               timeout=2).status == 200
            except OSError:
                return process.poll() is not None
        assert wait_for(up, 60) and process.poll() is None, log.read_text()
        yield f"http://127.0.0.1:{port}", log


def _visitor(base: str, host: str, code: str, lang: str) -> tuple[str, str]:
    """What a browser holds after opening the campaign page: its CSRF cookie and the form's
    token. Each sign-up then posts from a fresh session with them (a session that joined
    once is that participant's)."""
    page = requests.get(f"{base}/c/{code}/", headers={"Host": host, "Accept-Language": lang},
                        timeout=TIMEOUT)
    assert page.status_code == 200, page.text[:500]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, "no CSRF token on the campaign page"
    return page.cookies["csrftoken"], token.group(1)


@pytest.mark.worker  # a live server and a private PostgreSQL, committed data
def test_sign_ups_during_a_database_restart_are_confirmed_or_refused_cleanly(
        campaign_copy, burst_server):
    server, organisation, campaign = campaign_copy
    base, log = burst_server
    host = host_of(organisation)
    with psycopg.connect(server.dsn("fullmobs")) as conn:
        slot_id = conn.execute(
            f'SELECT id FROM "{organisation.schema_name}".engagement_slot WHERE campaign_id = %s',
            [campaign.pk]).fetchone()[0]
    visitors = [_visitor(base, host, campaign.code, "en") for _n in range(THREADS)]
    run = uuid.uuid4().hex[:6]
    answered = 0
    lock = threading.Lock()
    restarted = threading.Event()
    outcomes: dict[str, tuple[str, float, int]] = {}

    def sign_up(n: int) -> None:
        nonlocal answered
        cookie, token = visitors[n % THREADS]
        lang = "fr" if n % 2 else "en"
        email = f"burst-{run}-{n}@restart.example"
        started = time.monotonic()
        try:
            response = requests.post(
                f"{base}/c/{campaign.code}/join/",
                data={"csrfmiddlewaretoken": token, "email": email,
                      "first_name": f"B{n}", "slots": [slot_id], "companions": 0},
                headers={"Host": host, "Accept-Language": lang,
                         "Referer": f"http://{host}/c/{campaign.code}/"},
                cookies={"csrftoken": cookie}, allow_redirects=False, timeout=TIMEOUT)
        except requests.Timeout:
            outcome, status = "hung", 0
        except requests.ConnectionError:
            outcome, status = "connection refused", 0
        else:
            status = response.status_code
            if status == 302 and ("/me/" in response.headers["Location"]
                                  or f"/c/{campaign.code}/" in response.headers["Location"]):
                outcome = "succeeded"
            elif status == 503 and response.headers.get("Retry-After") and (
                    ("Momentanément indisponible" if lang == "fr" else
                     "Temporarily unavailable") in response.text):
                outcome = "failed cleanly"
            else:
                outcome = f"unclean {status}"
        elapsed = time.monotonic() - started
        with lock:
            outcomes[email] = (outcome, elapsed, status)
            answered += 1

    def restart() -> None:
        assert wait_for(lambda: answered >= RESTART_AFTER, 60, 0.05)
        server.restart("fast")
        restarted.set()

    restarter = threading.Thread(target=restart)
    restarter.start()
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(sign_up, range(SENT)))
    restarter.join(60)
    assert restarted.is_set(), "PostgreSQL was not restarted during the burst"

    with psycopg.connect(server.dsn("fullmobs")) as conn:
        recorded = {email for (email,) in conn.execute(
            f'SELECT p.email FROM "{organisation.schema_name}".engagement_pledge pl '
            f'JOIN "{organisation.schema_name}".engagement_participant p '
            "ON p.id = pl.participant_id WHERE p.email LIKE %s", [f"burst-{run}-%"])}
    counts: dict[str, int] = {}
    for outcome, _elapsed, _status in outcomes.values():
        counts[outcome] = counts.get(outcome, 0) + 1
    succeeded = {email for email, (outcome, *_rest) in outcomes.items()
                 if outcome == "succeeded"}
    lost = succeeded - recorded
    phantom = recorded - succeeded
    latencies = sorted(elapsed for _o, elapsed, _s in outcomes.values())
    print(f"\nDatabase restart during {SENT} sign-ups from {THREADS} threads: "  # noqa: T201
          f"sent {SENT}, succeeded {len(succeeded)}, "
          f"failed cleanly {counts.get('failed cleanly', 0)}, lost {len(lost)}, "
          f"phantom {len(phantom)}, outcomes {counts}; latency median "
          f"{statistics.median(latencies):.2f} s, max {latencies[-1]:.2f} s")
    assert len(outcomes) == SENT
    assert set(counts) <= {"succeeded", "failed cleanly"}, (counts, log.read_text()[-5000:])
    assert counts.get("failed cleanly", 0) > 0, "the restart refused nothing: not tested"
    assert not lost and not phantom, (lost, phantom)


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "lang"), [("/c/{code}/", "fr"), ("/c/{code}/", "en"),
                                             ("/api/v1/campaigns/", "en")])
def test_database_unreachable_is_answered_503_try_again(org_a, path, lang, monkeypatch):
    """Whatever the page, a database that does not answer gives a 503 with Retry-After: a
    page in the visitor's language, or a JSON detail for the API; never the 500 page."""
    from engagement.views import public

    with tenant_context(org_a):
        campaign = make_campaign()

    def unreachable(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(public, "campaign_for_visitor", unreachable)
    from rest_framework.views import APIView

    monkeypatch.setattr(APIView, "initial", unreachable)
    client = Client(HTTP_HOST=host_of(org_a), raise_request_exception=False)
    response = client.get(path.format(code=campaign.code), HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 503
    assert response["Retry-After"]
    text = response.content.decode()
    assert "Traceback" not in text
    if path.startswith("/api/"):
        assert "try again" in response.json()["detail"]
    elif lang == "fr":
        assert "Momentanément indisponible" in text and "réessayer" in text
    else:
        assert "Temporarily unavailable" in text and "try again" in text


@pytest.mark.django_db
def test_try_again_after_a_refused_form_leads_back_to_the_form(org_a, monkeypatch):
    from engagement.views import public

    with tenant_context(org_a):
        campaign = make_campaign()

    def unreachable(*args, **kwargs):
        raise OperationalError("the database system is shutting down")

    monkeypatch.setattr(public, "campaign_for_visitor", unreachable)
    host = host_of(org_a)
    client = Client(HTTP_HOST=host, raise_request_exception=False)
    page = f"http://{host}/c/{campaign.code}/"
    response = client.post(f"/c/{campaign.code}/join/", {"email": "a@b.example"},
                           HTTP_REFERER=page)
    assert response.status_code == 503
    assert f'href="{page}"' in response.content.decode()
    elsewhere = client.post(f"/c/{campaign.code}/join/", HTTP_REFERER="https://evil.example/")
    assert 'href="/"' in elsewhere.content.decode()
