"""Sign-up throughput: a burst of pledges through the production HTTP stack, against the raw
PostgreSQL rate of the same rows, measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/x python bench/pledges.py [PLEDGES] [CLIENTS]
    python bench/pledges.py 1500 16          # the default

HTTP side, as in production: gunicorn started by ``python -m config.prod web``
(config/gunicorn.py: its default number of workers), Redis as the cache
(``PLEDGES_REDIS_URL``, default redis://127.0.0.1:6379/8), RabbitMQ as the broker
(``PLEDGES_BROKER_URL``, default amqp://guest:guest@127.0.0.1:5672//) on a queue of its
own that nothing consumes (deleted at the end); when either does not answer, the
project's zero-setup defaults (database cache, PGMQ broker), as the output says.
``DJANGO_ENV`` stays ``development`` with ``DJANGO_DEBUG=false``: production settings want
HTTPS and collected static files.

Each client thread opens the campaign page once (for the CSRF cookie), then posts the join
form for new people, each a new visitor, one pledge each, as fast as the server answers,
on one keep-alive connection. The client is cheap, and measured: its own CPU time over the
burst is printed (it shares the machine with the server and the database).

Reference side: as many threads with plain psycopg connections run, per pledge, the rows the
join writes (participant, slot seat update, pledge) in one transaction, with no Django and
no HTTP. Everything made is dropped at the end. The load average is printed before and
after: on a shared machine, only the ratio means something.
"""

from __future__ import annotations

import http.client
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from _support import ROOT, django_setup

REDIS = os.environ.get("PLEDGES_REDIS_URL", "redis://127.0.0.1:6379/8")
BROKER = os.environ.get("PLEDGES_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), 2).close()
    except OSError:
        return False
    return True


# Without them (a fresh machine, ``make bench``): the project's zero-setup defaults, the
# database cache and the PGMQ broker, which put both on the database; said in the output.
PRODUCTION_LIKE = _answers(REDIS) and _answers(BROKER)
QUEUE = "fullmobs-bench-pledges"  # a queue of its own: no worker of another run takes it

django_setup()

import psycopg  # noqa: E402
from _support import organisation_drop  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from billing.models import Subscription  # noqa: E402
from engagement.models import Campaign, Programme, Slot  # noqa: E402
from tenants.libpq import libpq_dsn  # noqa: E402
from tenants.models import Organisation  # noqa: E402
from tenants.services import organisation_provision  # noqa: E402

PLEDGES = int(sys.argv[1]) if len(sys.argv) > 1 else 1500
CLIENTS = int(sys.argv[2]) if len(sys.argv) > 2 else 16
SLUG = "bench-pledges"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def setup() -> tuple[Organisation, Campaign, Slot]:
    if not PRODUCTION_LIKE:
        from config.broker import ensure_configured_broker

        ensure_configured_broker()  # the PGMQ queue each join's confirmation goes to
    for stale in Organisation.objects.filter(slug=SLUG):  # left by an interrupted run
        organisation_drop(stale)
    organisation = organisation_provision(
        name="Bench", slug=SLUG, owner_email="owner@bench-pledges.example",
        status=Organisation.Status.ACTIVE)
    # A paying organisation: an unpaid space is read-only and its campaigns are paused.
    Subscription.objects.get_or_create(organisation=organisation, defaults={
        "plan": "territory", "stripe_status": "active"})
    with tenant_context(organisation):
        start = timezone.now() + timedelta(days=30)
        programme = Programme.objects.create(name="Bench", starts_on=start.date(),
                                             ends_on=start.date())
        campaign = Campaign.objects.create(
            programme=programme, title="Bench", starts_at=start,
            ends_at=start + timedelta(hours=3), participant_target=10,
            mobilisation_deadline=start - timedelta(days=1), status="open",
            visibility="public")
        slot = Slot.objects.create(campaign=campaign, starts_at=start,
                                   ends_at=start + timedelta(hours=3), capacity=1_000_000)
    return organisation, campaign, slot


teardown = organisation_drop


def server_cpu(master: int) -> float:
    """CPU seconds used so far by gunicorn's master and its workers (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    pids = [master]
    try:
        for task in Path(f"/proc/{master}/task").iterdir():
            pids += [int(p) for p in (task / "children").read_text().split()]
    except OSError:
        pass
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def http_burst(port: int, host: str, code: str, slot_id: int) -> tuple[float, list[float]]:
    """Pledges per second through gunicorn and Django, and each request's latency."""
    latencies: list[float] = []
    lock = threading.Lock()
    per_client = PLEDGES // CLIENTS
    ready = threading.Barrier(CLIENTS + 1)

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=180)
        conn.request("GET", f"/c/{code}/", headers={"Host": host})
        page = conn.getresponse()
        body = page.read().decode()
        # Only the CSRF cookie: every pledge comes from a new visitor (no session).
        cookies = "; ".join(c.split(";")[0] for c in page.headers.get_all("Set-Cookie") or []
                            if c.startswith("csrftoken="))
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        assert found, "no CSRF token on the campaign page"
        token = found.group(1)
        headers = {"Host": host, "Cookie": cookies, "Referer": f"http://{host}/c/{code}/",
                   "Content-Type": "application/x-www-form-urlencoded"}
        mine = []
        ready.wait()
        for i in range(per_client):
            form = urlencode({"csrfmiddlewaretoken": token, "slots": slot_id,
                              "email": f"c{n}-{i}-{uuid.uuid4().hex[:6]}@bench.example",
                              "first_name": "Bench", "companions": 0})
            started = time.perf_counter()
            conn.request("POST", f"/c/{code}/join/", body=form, headers=headers)
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
            if response.status != 302:
                text = re.sub(r"<[^>]+>", " ", text)
                raise RuntimeError(f"join answered {response.status}: "
                                   f"{' '.join(text.split())[:2000]}")
            mine.append(time.perf_counter() - started)
        conn.close()
        with lock:
            latencies.extend(mine)

    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [pool.submit(client, n) for n in range(CLIENTS)]
        ready.wait()  # every client has its page and token: the burst starts now
        started = time.perf_counter()
        for future in futures:
            future.result()
    elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, latencies


def raw_burst(schema: str, slot_id: int) -> float:
    """The same rows with plain psycopg: participant, seat update, pledge; one transaction
    each, CLIENTS connections in parallel."""
    dsn = libpq_dsn(settings.DATABASES["default"])
    per_client = PLEDGES // CLIENTS

    def client(n: int) -> None:
        with psycopg.connect(dsn) as conn:
            conn.execute(f'SET search_path TO "{schema}", public')
            conn.commit()
            for i in range(per_client):
                with conn.transaction():
                    participant = conn.execute(
                        "INSERT INTO engagement_participant (email, first_name, last_name, "
                        "language, site, postcode, age_band, consent_to_contact, source, "
                        "referral_code, created_at, last_active_at) VALUES (%s, 'Raw', '', 'fr', "
                        "'', '', '', false, 'signup', %s, now(), now()) RETURNING id",
                        [f"r{n}-{i}-{uuid.uuid4().hex[:6]}@bench.example",
                         uuid.uuid4().hex[:16]]).fetchone()[0]
                    conn.execute("UPDATE engagement_slot SET confirmed_seats = confirmed_seats"
                                 " + 1 WHERE id = %s AND confirmed_seats + 1 <= capacity",
                                 [slot_id])
                    conn.execute(
                        "INSERT INTO engagement_pledge (slot_id, participant_id, companions, "
                        "companion_names, status, attendance, hours_given, created_at, "
                        "confirmed_at, walk_in) VALUES (%s, %s, 0, '', 'confirmed', 'pending', "
                        "0, now(), now(), false)", [slot_id, participant])

    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(client, range(CLIENTS)))
    return (per_client * CLIENTS) / (time.perf_counter() - started)


def main() -> None:
    print(f"load average before: {load_average()}, {os.cpu_count()} CPUs")
    organisation, campaign, slot = setup()
    port = free_port()
    db = settings.DATABASES["default"]
    from urllib.parse import quote

    url = (f"postgres://{quote(db.get('USER') or 'postgres')}:{quote(db.get('PASSWORD') or '')}"
           f"@{quote(db.get('HOST') or 'localhost', safe='')}:{db.get('PORT') or 5432}"
           f"/{db['NAME']}")
    metrics = tempfile.mkdtemp(prefix="fullmobs-bench-pledges-")
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": "false",
           "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
           "SITE_PORT": str(port), "BIND": f"127.0.0.1:{port}", "LOG_LEVEL": "warning",
           **({"CACHE_URL": REDIS, "CELERY_BROKER_URL": BROKER, "CELERY_QUEUE": QUEUE}
              if PRODUCTION_LIKE else {}),
           "PROMETHEUS_MULTIPROC_DIR": metrics,
           # On a loaded shared machine a worker's first page (imports, templates) can take
           # over gunicorn's 60 s, which then kills it, again and again.
           "WEB_TIMEOUT": os.environ.get("WEB_TIMEOUT", "300"),
           # Every client posts from 127.0.0.1: the join throttles still count each pledge
           # but cannot refuse the bench's (30 an hour per address by default).
           "JOIN_RATE_LIMIT": "1000000/hour", "JOIN_CAMPAIGN_RATE_LIMIT": "1000000/hour"}
    server = subprocess.Popen([sys.executable, "-m", "config.prod", "web"], cwd=ROOT, env=env)
    host = f"{SLUG}.{settings.BASE_DOMAIN}"
    try:
        # Patient: on a loaded machine a worker's first page (templates, translations)
        # takes seconds, and a client that gave up would leave its request queued.
        for _ in range(300):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=55)
                conn.request("GET", f"/c/{campaign.code}/", headers={"Host": host})
                if conn.getresponse().status == 200:
                    break
            except OSError:  # not listening yet, or a worker restarted
                time.sleep(0.2)
        # Each worker's first requests load templates, translations, connections.
        warm = PLEDGES
        globals()["PLEDGES"] = CLIENTS * 8
        http_burst(port, host, campaign.code, slot.pk)
        globals()["PLEDGES"] = warm
        client_before = resource.getrusage(resource.RUSAGE_SELF)
        server_before = server_cpu(server.pid)
        http_rate, latencies = http_burst(port, host, campaign.code, slot.pk)
        client_after = resource.getrusage(resource.RUSAGE_SELF)
        server_after = server_cpu(server.pid)
        raw_rate = raw_burst(organisation.schema_name, slot.pk)
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
        teardown(organisation)
        if PRODUCTION_LIKE:
            from kombu import Connection

            with Connection(BROKER) as broker:  # the queue and the tasks the joins left
                broker.default_channel.queue_delete(QUEUE)
            import redis

            cache = redis.Redis.from_url(REDIS)  # the organisation's cache keys (throttles)
            for key in cache.scan_iter(f"{SLUG.replace('-', '_')}:*"):
                cache.delete(key)
    done = len(latencies)
    client_cpu = (client_after.ru_utime + client_after.ru_stime
                  - client_before.ru_utime - client_before.ru_stime)
    latencies.sort()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    workers = os.environ.get("WEB_CONCURRENCY", str((os.cpu_count() or 1) * 2 + 1))
    services = (f"cache {REDIS}, broker {BROKER.split('@')[-1]}" if PRODUCTION_LIKE else
                "Redis or RabbitMQ not answering: database cache and PGMQ broker")
    print(f"PostgreSQL {version}, {os.cpu_count()} CPUs, {PLEDGES} pledges, {CLIENTS} "
          f"concurrent clients; gunicorn (python -m config.prod web, {workers} workers), "
          f"{services}")
    print(f"HTTP join (gunicorn + Django + PostgreSQL): {http_rate:8.1f} pledges/s  "
          f"(latency p50 {statistics.median(latencies) * 1000:.0f} ms, "
          f"p95 {latencies[int(len(latencies) * 0.95)] * 1000:.0f} ms)")
    print(f"raw PostgreSQL, same rows:                  {raw_rate:8.1f} pledges/s")
    print(f"ratio HTTP / raw:                           {http_rate / raw_rate:8.2f}")
    print(f"CPU per join: gunicorn {(server_after - server_before) / done * 1000:.1f} ms, "
          f"the clients {client_cpu / done * 1000:.2f} ms "
          f"({client_cpu / (done / http_rate) * 100:.0f} % of one core during the burst)")
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
