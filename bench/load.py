"""Load, as in production (issue 16 part 5): a bounded load test on loopback, with the
production processes — gunicorn (``python -m config.prod web``), Redis as the cache,
RabbitMQ as the broker and a Celery worker (``python -m config.prod worker``).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/x python bench/load.py [SECONDS] [USERS...]
    python bench/load.py 30 4 8 16          # the default: steps of 4, 8, 16 users, 30 s each

It makes a database of its own (``fullmobs_load``, on DATABASE_URL's server; dropped at the
end), an organisation seeded as the demo's (``demo.engagement.seed``: programmes, campaigns,
a few hundred participants and their pledges), one more open campaign with a large slot for
the joins, a manager (the owner: a session for the dashboard, a DRF token for the API).

The clients are threads (one keep-alive connection each, no think time: each user sends its
next request when the last one is answered), in steps of more and more users, each step
bounded in time. The mix, by weight::

    campaign page (public)            30   GET /c/<code>/
    join (POST, a new e-mail each)    10   POST /c/<code>/join/  (302 expected)
    participant's own page            20   GET /me/<signed token>/
    manager's dashboard               15   GET /dashboard/, /dashboard/campaigns/<pk>/
    API reads (token)                 25   GET /api/v1/campaigns/, /api/v1/pledges/
    reference                          5   GET /health/live

The reference is answered by the first middleware, before any work: its latency is what
the machine and gunicorn's queue add to every request at that step (on a shared machine,
most of it); the endpoints' figures are read against it.

Per step: requests per second, p50/p95/p99 per endpoint and overall, errors (any status
other than the expected one, or a failed connection). The highest step whose p95 is under
300 ms with no error is the rate the machine sustains. The load average is printed before
and after (the machine may be shared).

The settings are production's (``DJANGO_ENV=production``), read from the environment as
docs/deployment.md lists them, with what a loopback run must supply the honest way:

- **HTTPS**: the proxy terminates TLS and says so; each request carries
  ``X-Forwarded-Proto: https`` as Caddy sends it (deploy/Caddyfile), so nothing is
  redirected, cookies are ``Secure``, and the join's CSRF check compares an https Referer.
  Each client's address comes as the proxy's ``X-Forwarded-For`` (``NUM_PROXIES=1``): the
  production throttles apply per address; the joins come from a new address each (a new
  visitor each), and only the per-campaign join limit is raised (one campaign takes every
  join of the run).
- **Static files**: ``collectstatic`` into a temporary ``STATIC_ROOT``, as the image does at
  build time; whitenoise serves the hashed files from there.
- **E-mail**: production refuses a backend that delivers nothing; the worker sends over SMTP
  to a sink on loopback (aiosmtpd) run by this script, which counts what it receives.
- A strong random ``DJANGO_SECRET_KEY``, ``BASE_DOMAIN=fullmobs.test`` (organisations at
  ``<slug>.fullmobs.test``, sent as the Host header), no ``DJANGO_DEBUG``.

The client is this script's threads (http.client, keep-alive): the script's own CPU time
per step is printed beside the server's (gunicorn's workers, the worker, PostgreSQL, Redis
and RabbitMQ are counted together from /proc), since on two cores every cycle the client
takes is one the server does not have.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "fullmobs_load"
SLUG = "bench-load"
SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
STEPS = [int(n) for n in sys.argv[2:]] or [4, 8, 16]
GOAL_P95 = 0.300
REDIS = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/7")
BROKER = os.environ.get("LOAD_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
QUEUE = "fullmobs-load"  # a queue of its own: no other worker on the broker takes its tasks
BASE_DOMAIN = "fullmobs.test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PORT = free_port()
SMTP_PORT = free_port()
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="fullmobs-load-static-"))
if not os.environ.get("DATABASE_URL"):
    sys.exit("Set DATABASE_URL to a PostgreSQL server; the bench makes and drops its own "
             "database there.")
_server = urlsplit(os.environ["DATABASE_URL"])
_admin_url = urlunsplit(_server._replace(path="/postgres"))
DATABASE_URL = urlunsplit(_server._replace(path=f"/{DB_NAME}"))
# The same settings for this process (which seeds, logs in, makes the token) and the
# server's: sessions and tokens are read by gunicorn's workers.
ENVIRONMENT = {
    "DJANGO_ENV": "production", "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "PROFILE_ADDRESS_KEY": secrets.token_urlsafe(50),
    "DATABASE_URL": DATABASE_URL, "DJANGO_SETTINGS_MODULE": "config.settings",
    "BASE_DOMAIN": BASE_DOMAIN, "STATIC_ROOT": str(STATIC_ROOT),
    "CACHE_URL": REDIS, "CELERY_BROKER_URL": BROKER,
    "CELERY_QUEUE": QUEUE, "BIND": f"127.0.0.1:{PORT}",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(SMTP_PORT),
    "LOG_LEVEL": "WARNING", "WORKER_CONCURRENCY": "1",
    # One proxy in front (Caddy), which writes the client's address in X-Forwarded-For.
    "NUM_PROXIES": "1",
    # Every join of the run goes to one campaign: its own limit (600 an hour) would refuse
    # the bench's; the per-address limit stays production's.
    "JOIN_CAMPAIGN_RATE_LIMIT": "1000000/hour",
}
for _name in ("DJANGO_DEBUG", "SITE_PORT", "SITE_SCHEME", "EMAIL_PROVIDER", "SENTRY_DSN"):
    os.environ.pop(_name, None)
os.environ.update(ENVIRONMENT)
# What the proxy adds to every request it forwards.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


def _admin(sql: str) -> None:
    with psycopg.connect(_admin_url, autocommit=True) as admin:
        admin.execute(sql)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu(roots: list[int]) -> float:
    """CPU seconds (user + system) of these processes and all their descendants alive now,
    plus what their reaped children used (a gunicorn worker recycled meanwhile)."""
    parents: dict[int, int] = {}
    times: dict[int, tuple[float, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = ((int(fields[11]) + int(fields[12])) / TICKS,
                                  (int(fields[13]) + int(fields[14])) / TICKS)
    total, pending = 0.0, list(roots)
    while pending:
        pid = pending.pop()
        own, reaped = times.get(pid, (0.0, 0.0))
        total += own + reaped
        pending.extend(child for child, parent in parents.items() if parent == pid)
    return total


class MailSink:
    """The SMTP server the worker delivers to (aiosmtpd on loopback): counts messages."""

    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd)
        self.received += 1
        return "250 OK"


_admin(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
_admin(f'CREATE DATABASE "{DB_NAME}"')
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from billing.models import Subscription  # noqa: E402
from demo import engagement as demo_engagement  # noqa: E402
from engagement.links import participant_token  # noqa: E402
from engagement.models import Campaign, Participant, Programme, Slot  # noqa: E402
from tenants.models import Organisation  # noqa: E402
from tenants.services import organisation_provision  # noqa: E402


class Fixture:
    host: str
    join_code: str
    join_slot: int
    campaign_codes: list[str]
    campaign_pks: list[int]
    tokens: list[str]
    session: str
    api_token: str


def seed() -> Fixture:
    # What a deployment runs first: every schema's migrations (the template's too), the
    # methodology library (the lever catalogue the participant pages and e-mails use).
    subprocess.run([sys.executable, "-m", "config.prod", "release"], cwd=ROOT, check=True,
                   env={**os.environ, **ENVIRONMENT}, stdout=subprocess.DEVNULL)
    # What the image's build does (Dockerfile): the hashed files whitenoise serves.
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity",
                    "0"], cwd=ROOT, check=True, env={**os.environ, **ENVIRONMENT})
    organisation = organisation_provision(
        name="Load", slug=SLUG, owner_email=f"owner@{SLUG}.example",
        status=Organisation.Status.ACTIVE)
    # A paying organisation: an unpaid space is read-only and its campaigns are paused.
    Subscription.objects.update_or_create(organisation=organisation, defaults={
        "plan": "territory", "stripe_status": "active"})
    owner = organisation.memberships.get().user
    fixture = Fixture()
    fixture.host = f"{SLUG}.{settings.BASE_DOMAIN}"
    with tenant_context(organisation):
        today = timezone.localdate()
        for name in ("Values Day", "Riverbank clean-up"):
            Programme.objects.create(name=name, starts_on=today - timedelta(days=40),
                                     ends_on=today + timedelta(days=90))
        demo_engagement.seed(domain=f"{SLUG}.example", teams=["Finance", "IT", "Sales"],
                             team_kind="department", sites=["Lyon", "Paris"], people=260,
                             seed_value=16)
        start = timezone.now() + timedelta(days=30)
        joins = Campaign.objects.create(
            programme=Programme.objects.first(), title="Load", starts_at=start,
            ends_at=start + timedelta(hours=3), participant_target=10,
            mobilisation_deadline=start - timedelta(days=1), status="open",
            visibility="public", opened_at=timezone.now() - timedelta(days=1))
        fixture.join_slot = Slot.objects.create(
            campaign=joins, starts_at=start, ends_at=start + timedelta(hours=3),
            capacity=1_000_000).pk
        fixture.join_code = joins.code
        public = Campaign.objects.filter(visibility="public").exclude(status="draft")
        fixture.campaign_codes = list(public.values_list("code", flat=True))
        fixture.campaign_pks = list(public.values_list("pk", flat=True))
        fixture.tokens = [participant_token(p) for p in Participant.objects.all()[:200]]
    client = Client(HTTP_HOST=fixture.host)
    client.force_login(owner)
    fixture.session = client.cookies[settings.SESSION_COOKIE_NAME].value
    fixture.api_token = Token.objects.create(user=owner).key
    return fixture


class User(threading.Thread):
    """One virtual user: a connection of its own, requests one after the other until the
    step's end."""

    MIX = [("campaign page", 30), ("join", 10), ("participant page", 20),
           ("dashboard", 15), ("API read", 25), ("reference", 5)]

    def __init__(self, fixture: Fixture, until: float, seed_value: int) -> None:
        super().__init__(daemon=True)
        self.fixture, self.until = fixture, until
        self.rng = random.Random(seed_value)
        self.samples: list[tuple[str, float, bool]] = []
        self.failures: list[str] = []
        self.cpu = 0.0  # this thread's own CPU seconds: the client's cost
        self.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        self.csrf: tuple[str, str] | None = None
        # This user's address as the proxy reports it; each join comes from a new one.
        self.address = f"10.{seed_value % 250}.{seed_value // 250 % 250}.1"

    def request(self, method: str, path: str, *, body: str | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, str, list[str]]:
        for attempt in (0, 1):
            try:
                self.conn.request(method, path, body=body, headers={
                    "Host": self.fixture.host, "X-Forwarded-For": self.address,
                    **PROXY_HEADERS, **(headers or {})})
                response = self.conn.getresponse()
                text = response.read().decode(errors="replace")
                return response.status, text, response.headers.get_all("Set-Cookie") or []
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # gunicorn closed the idle keep-alive connection (5 s): open a new one once.
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def token(self) -> tuple[str, str]:
        """The CSRF cookie and form token a visitor gets with the join page."""
        if self.csrf is None:
            _status, text, cookies = self.request("GET", f"/c/{self.fixture.join_code}/")
            cookie = next(c.split(";")[0] for c in cookies if c.startswith("csrftoken="))
            found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
            assert found, "no CSRF token on the campaign page"
            self.csrf = (cookie, found.group(1))
        return self.csrf

    def one(self, kind: str) -> tuple[str, int, int]:
        """Sends one request of ``kind``; the endpoint's name, the status expected and
        the status got."""
        f, rng = self.fixture, self.rng
        if kind == "campaign page":
            return "GET /c/<code>/", 200, self.request(
                "GET", f"/c/{rng.choice(f.campaign_codes)}/")[0]
        if kind == "join":
            cookie, form_token = self.token()
            form = urlencode({"csrfmiddlewaretoken": form_token, "slots": f.join_slot,
                              "email": f"load-{uuid.uuid4().hex[:12]}@bench.example",
                              "first_name": "Load", "companions": 0})
            # A new visitor: an address of its own (the throttle's 30 joins an hour per
            # address is production's).
            visitor = (f"172.{16 + rng.randrange(16)}.{rng.randrange(256)}."
                       f"{rng.randrange(1, 255)}")
            status = self.request("POST", f"/c/{f.join_code}/join/", body=form, headers={
                "Cookie": cookie, "Referer": f"https://{f.host}/c/{f.join_code}/",
                "X-Forwarded-For": visitor,
                "Content-Type": "application/x-www-form-urlencoded"})[0]
            return "POST /c/<code>/join/", 302, status
        if kind == "participant page":
            return "GET /me/<token>/", 200, self.request(
                "GET", f"/me/{rng.choice(f.tokens)}/")[0]
        if kind == "dashboard":
            cookie = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={f.session}"}
            if rng.random() < 0.5:
                return "GET /dashboard/", 200, self.request("GET", "/dashboard/",
                                                            headers=cookie)[0]
            return "GET /dashboard/campaigns/<pk>/", 200, self.request(
                "GET", f"/dashboard/campaigns/{rng.choice(f.campaign_pks)}/",
                headers=cookie)[0]
        if kind == "reference":
            return "GET /health/live (reference)", 200, self.request("GET", "/health/live")[0]
        auth = {"Authorization": f"Token {f.api_token}", "Accept": "application/json"}
        path = rng.choice(["/api/v1/campaigns/", "/api/v1/pledges/"])
        return f"GET {path}", 200, self.request("GET", path, headers=auth)[0]

    def run(self) -> None:
        started_cpu = time.thread_time()
        kinds = [kind for kind, _ in self.MIX]
        weights = [weight for _, weight in self.MIX]
        while time.monotonic() < self.until:
            kind = self.rng.choices(kinds, weights)[0]
            started = time.perf_counter()
            try:
                name, expected, status = self.one(kind)
                ok = status == expected
                if not ok:
                    self.failures.append(f"{name}: {status}")
            except Exception as error:  # noqa: BLE001 - every failure counts as an error
                name, ok = kind, False
                self.failures.append(f"{kind}: {type(error).__name__}: {error}")
            self.samples.append((name, time.perf_counter() - started, ok))
        self.conn.close()
        self.cpu = time.thread_time() - started_cpu


def percentile(ordered: list[float], share: float) -> float:
    """Nearest rank."""
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def outbox() -> dict[str, int]:
    from django.db.models import Count

    from engagement.models import OutboundEmail

    organisation = Organisation.objects.get(slug=SLUG)
    with tenant_context(organisation):
        rows = (OutboundEmail.objects.filter(to_email__startswith="load-")
                .values("status").annotate(n=Count("id")))
        counts = {row["status"]: row["n"] for row in rows}
    connections.close_all()
    return counts


def step(fixture: Fixture, users: int, *, seconds: float = SECONDS,
         quiet: bool = False, servers: list[int] | None = None) -> dict:
    server_cpu = tree_cpu(servers or [])
    started = time.monotonic()
    threads = [User(fixture, started + seconds, seed_value=users * 1000 + i)
               for i in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    elapsed = time.monotonic() - started
    server_cpu = tree_cpu(servers or []) - server_cpu
    client_cpu = sum(thread.cpu for thread in threads)
    by_endpoint: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    failures: list[str] = []
    for thread in threads:
        failures.extend(thread.failures)
        for name, seconds, ok in thread.samples:
            by_endpoint[name].append(seconds)
            errors[name] += not ok
    everything = sorted(s for name, values in by_endpoint.items() for s in values
                        if "reference" not in name)
    reference = sorted(by_endpoint.get("GET /health/live (reference)") or [0.0])
    result = {"users": users, "rps": len(everything) / elapsed,
              "p95": percentile(everything, 0.95), "errors": sum(errors.values()),
              "reference_p50": percentile(reference, 0.5),
              "client_cpu": client_cpu / elapsed, "server_cpu": server_cpu / elapsed,
              "requests": sum(len(values) for values in by_endpoint.values())}
    if quiet:
        return result
    print(f"\n{users} users, {elapsed:.1f} s, load average {load_average()}")
    print(f"  {'endpoint':34} {'requests':>8} {'rps':>6} {'p50':>7} {'p95':>7} {'p99':>7}"
          f" {'errors':>6}")

    def line(name: str, values: list[float], failed: int) -> None:
        values = sorted(values)
        print(f"  {name:34} {len(values):8d} {len(values) / elapsed:6.1f} "
              f"{percentile(values, 0.50) * 1000:5.0f}ms {percentile(values, 0.95) * 1000:5.0f}ms"
              f" {percentile(values, 0.99) * 1000:5.0f}ms {failed:6d}")

    for name in sorted(by_endpoint):
        line(name, by_endpoint[name], errors[name])
    line("all but the reference", everything, sum(errors.values()))
    print(f"  p50 all / p50 reference: "
          f"{percentile(everything, 0.5) / max(result['reference_p50'], 1e-6):.1f}×")
    per_request = 1000 / max(result["requests"], 1) * elapsed
    print(f"  CPU: client {result['client_cpu']:.2f} cores "
          f"({result['client_cpu'] * per_request:.1f} ms a request), web + worker "
          f"{result['server_cpu']:.2f} cores ({result['server_cpu'] * per_request:.1f} ms a "
          f"request): the client costs {result['client_cpu'] / max(result['server_cpu'], 1e-6):.0%}"
          f" of the server processes")
    for failure in sorted(set(failures))[:10]:
        print(f"    error: {failure}")
    return result


def wait_ready(host: str, path: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
            conn.request("GET", path, headers={"Host": host, **PROXY_HEADERS})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the server did not answer")


def main() -> None:
    print(f"load average before seeding: {load_average()}, {os.cpu_count()} CPUs")
    logs = Path(tempfile.mkdtemp(prefix="fullmobs-load-"))
    processes: list[subprocess.Popen] = []
    from aiosmtpd.controller import Controller

    sink = MailSink()
    mail = Controller(sink, hostname="127.0.0.1", port=SMTP_PORT)
    mail.start()
    try:
        fixture = seed()
        connections.close_all()
        environment = {**os.environ, **ENVIRONMENT}
        for role in ("web", "worker"):
            log = (logs / f"{role}.log").open("w")
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "config.prod", role,
                 *(["-Q", QUEUE] if role == "worker" else [])],
                cwd=ROOT, env={**environment, "PROMETHEUS_MULTIPROC_DIR":
                               str(logs / f"metrics-{role}")},
                stdout=log, stderr=subprocess.STDOUT))
        wait_ready(fixture.host, f"/c/{fixture.join_code}/")
        workers = os.environ.get("WEB_CONCURRENCY", str((os.cpu_count() or 1) * 2 + 1))
        print(f"gunicorn (python -m config.prod web, {workers} workers), cache {REDIS}, "
              f"broker {BROKER.split('@')[-1]} queue {QUEUE}, a worker (concurrency 1); "
              f"steps of {SECONDS:.0f} s: {STEPS} users")
        # Each gunicorn worker's first requests load templates, translations, connections:
        # a short warm-up, not counted.
        print("warm-up (not counted):", end="")
        servers = [process.pid for process in processes]
        step(fixture, int(workers), seconds=min(SECONDS, 10), quiet=True, servers=servers)
        print(" done")
        results = [step(fixture, users, servers=servers) for users in STEPS]
        # The worker sends the joins' confirmation e-mails over SMTP to the sink: the
        # outbox and the sink say whether it kept up.
        time.sleep(5)
        print(f"\njoins' e-mails in the outbox, by status: {outbox()}; "
              f"messages received by the SMTP sink: {sink.received}")
    finally:
        mail.stop()
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        connections.close_all()
        from kombu import Connection

        with Connection(BROKER) as broker:  # the queue and what the worker left in it
            broker.default_channel.queue_delete(QUEUE)
        import redis

        cache = redis.Redis.from_url(REDIS)  # the organisation's cache keys (throttles)
        for key in cache.scan_iter(f"{SLUG.replace('-', '_')}:*"):
            cache.delete(key)
        _admin(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        shutil.rmtree(STATIC_ROOT, ignore_errors=True)
    print(f"\nload average after: {load_average()} (logs in {logs})")
    print(f"  {'users':>5} {'rps':>7} {'p95':>7} {'errors':>6} {'reference p50':>13} "
          f"{'client CPU':>10} {'server CPU':>10}")
    for result in results:
        print(f"  {result['users']:5d} {result['rps']:7.1f} {result['p95'] * 1000:5.0f}ms "
              f"{result['errors']:6d} {result['reference_p50'] * 1000:11.0f}ms "
              f"{result['client_cpu']:10.2f} {result['server_cpu']:10.2f}")
    good = [r for r in results if r["p95"] < GOAL_P95 and r["errors"] == 0]
    if good:
        best = max(good, key=lambda r: r["users"])
        print(f"sustained: {best['users']} users, {best['rps']:.1f} requests/s with p95 "
              f"{best['p95'] * 1000:.0f} ms and no error")
    else:
        print("no step met the goal (p95 < 300 ms with no error)")


if __name__ == "__main__":
    main()
