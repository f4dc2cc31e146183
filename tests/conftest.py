"""Shared test set-up: one migrated database, two organisations made once per session.

Organisations are provisioned (committed) once and reused by every test; each test's own
rows are rolled back. Tests that need committed data (a real worker, a real browser) use
``committed`` and clean up what they made.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from core.roles import Role
from tenants.models import Membership, Organisation, User
from tenants.services import organisation_provision

PASSWORD = "correct-horse-battery-42"
ROOT = Path(__file__).resolve().parent.parent


def _get_or_provision(slug: str, name: str) -> Organisation:
    from billing.catalogue import options
    from billing.models import Subscription

    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        organisation = organisation_provision(
            name=name, slug=slug, owner_email=f"owner@{slug}.test", owner_password=PASSWORD,
            owner_name=f"{name} Owner", locale="en", status=Organisation.Status.ACTIVE,
        )
        # The test organisations pay for everything; billing tests change this in their
        # own (rolled back) transaction.
        Subscription.objects.create(organisation=organisation, plan="territory",
                                    options=sorted(options()), stripe_status="active")
    return organisation


TEST_QUEUE = f"test-{os.getpid()}"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """One test database per pytest process, so that two runs on one machine (a developer
    and CI, or two terminals) never drop each other's database."""
    test = settings.DATABASES["default"].setdefault("TEST", {})
    test["NAME"] = f"test_{settings.DATABASES['default']['NAME']}_{os.getpid()}"


def _isolate_broker() -> None:
    """Keep the suite's messages away from any other worker on this machine (a `make run`
    in another terminal would otherwise take them): PGMQ queues live in the test database,
    and the queue name is the suite's own."""
    from config.celery import app

    if settings.CELERY_BROKER_URL.startswith("pgmq"):
        from tenants.libpq import libpq_dsn

        options = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS,
                   "conn_string": libpq_dsn(connection.settings_dict)}
        settings.CELERY_BROKER_TRANSPORT_OPTIONS = options
        app.conf.broker_transport_options = options
    settings.CELERY_TASK_DEFAULT_QUEUE = TEST_QUEUE
    app.conf.task_default_queue = TEST_QUEUE


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker,
                    django_db_modify_db_settings):
    """The test database, always: pytest-django would create it only when a selected test is
    marked for the database, and browser or worker tests (which commit) are not, so
    ``-k e2e`` alone would run against no database."""
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        db_config = setup_databases(verbosity=request.config.option.verbose,
                                    interactive=False, aliases={"default"})
    _isolate_broker()
    with django_db_blocker.unblock():
        from config.broker import ensure_configured_broker
        from methodology.services import library_load

        ensure_configured_broker()  # e-mails queued by services go to a real broker
        library_load()
        _get_or_provision("testco", "Test Company")
        _get_or_provision("otherco", "Other Company")
    yield
    # The broker's client pool (PGMQ in the test database) keeps connections open; end them
    # so that pytest-django can drop the test database.
    with django_db_blocker.unblock(), connection._nodb_cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = %s AND pid <> pg_backend_pid()",
                       [connection.settings_dict["NAME"]])
        teardown_databases(db_config, verbosity=request.config.option.verbose)


@pytest.fixture
def eager():
    """Tasks run in the test's own process and transaction (e-mails land in
    ``mail.outbox``); the tests marked ``worker`` use a real worker instead."""
    from config.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture
def org_a(db) -> Organisation:
    return Organisation.objects.get(slug="testco")


@pytest.fixture
def org_b(db) -> Organisation:
    return Organisation.objects.get(slug="otherco")


def make_member(organisation: Organisation, role: str, email: str | None = None) -> User:
    email = email or f"{role}-{organisation.slug}@example.test"
    user = User.objects.create_user(email=email, password=PASSWORD, full_name=role.title())
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


@pytest.fixture
def owner_a(org_a) -> User:
    return User.objects.get(email="owner@testco.test")


@pytest.fixture
def owner_b(org_b) -> User:
    return User.objects.get(email="owner@otherco.test")


@pytest.fixture
def consultant(db) -> User:
    return User.objects.create_user(email="consultant@fullmobs.test", password=PASSWORD,
                                    is_consultant=True)


@pytest.fixture
def manager_a(org_a) -> User:
    return make_member(org_a, Role.MANAGER)


@pytest.fixture
def viewer_a(org_a) -> User:
    return make_member(org_a, Role.VIEWER)


def host_of(organisation: Organisation) -> str:
    return f"{organisation.slug}.{settings.BASE_DOMAIN}"


def tenant_client(organisation: Organisation, user: User | None = None) -> Client:
    client = Client(HTTP_HOST=host_of(organisation))
    if user is not None:
        client.force_login(user)
    return client


def public_client(user: User | None = None) -> Client:
    client = Client(HTTP_HOST=settings.BASE_DOMAIN)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _public_schema_between_tests():
    """Requests switch the connection to a tenant's schema; start every test in public."""
    yield
    connection.set_schema_to_public()


@pytest.fixture(autouse=True, scope="session")
def _media_root_followed_by_tenant_storage():
    """django-tenants' storage caches MEDIA_ROOT joined with the tenant prefix and forgets it
    only when MULTITENANT_RELATIVE_MEDIA_ROOT changes: a test that moved MEDIA_ROOT alone
    would leave every later file in its temporary folder (and a live server, which reads
    the real one, answering 404)."""
    from django.core.files.storage import default_storage
    from django.core.signals import setting_changed

    def forget(setting, **kwargs):
        if setting in ("MEDIA_ROOT", "MULTITENANT_RELATIVE_MEDIA_ROOT"):
            default_storage.__dict__.pop("relative_media_root", None)
            wrapped = getattr(default_storage, "_wrapped", None)
            if wrapped is not None and hasattr(wrapped, "__dict__"):
                wrapped.__dict__.pop("relative_media_root", None)

    setting_changed.connect(forget, weak=False)
    yield
    setting_changed.disconnect(forget)


@pytest.fixture(autouse=True)
def _default_language_between_tests():
    """A test that activates French (or a request that did) must not leave it to the next."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def committed(django_db_setup, django_db_blocker):
    """Run the test with real commits (for other processes to see its data)."""
    with django_db_blocker.unblock():
        yield
        connection.set_schema_to_public()


def drop_organisation(organisation: Organisation) -> None:
    """Test clean-up: remove an organisation's schema and rows."""
    with schema_context(settings.PUBLIC_SCHEMA_NAME), connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{organisation.schema_name}" CASCADE')
    users = list(User.objects.filter(memberships__organisation=organisation))
    organisation.domains.all().delete()
    Organisation.objects.filter(pk=organisation.pk).delete()
    for user in users:
        if not user.memberships.exists():
            user.delete()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env(**extra: str) -> dict[str, str]:
    """Environment for a child process using the test database and the test broker."""
    db = connection.settings_dict
    host = db.get("HOST") or "localhost"
    from urllib.parse import quote

    url = (f"postgres://{quote(db.get('USER') or 'postgres')}:{quote(db.get('PASSWORD') or '')}"
           f"@{quote(host, safe='')}:{db.get('PORT') or 5432}/{db['NAME']}")
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings",
           "PYTHONUNBUFFERED": "1"}
    if settings.CELERY_BROKER_URL.startswith("pgmq"):
        env["PGMQ_DSN"] = settings.CELERY_BROKER_TRANSPORT_OPTIONS["conn_string"]
    env["CELERY_QUEUE"] = TEST_QUEUE
    env.update(extra)
    return env


@contextmanager
def running(cmd: list[str], env: dict[str, str], log_path: Path):
    with open(log_path, "w") as log:
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    return None


PYTHON = sys.executable
