"""Spare schemas: cloned from the template ahead of time, renamed at sign-up.

With real commits (several connections take spares at once, and the pool is what other
transactions see); every organisation and spare a test makes is dropped at its end.
"""

from __future__ import annotations

import os
import threading

import pytest
from django.conf import settings
from django.db import connection, connections, transaction
from django.test import Client, override_settings
from django_tenants.utils import schema_context

from config.broker import ensure_configured_broker
from engagement.models import Programme
from tenants import schema_clone
from tenants.models import Domain, Organisation, SpareSchema
from tenants.schema_migrations import all_schema_names, organisations_migrate
from tenants.services import organisation_provision
from tenants.spare_schemas import (
    SPARE_PREFIX,
    spare_schema_counts,
    spare_schemas_discard_stale,
    spare_schemas_refill,
)

from ..conftest import PYTHON, child_env, drop_organisation, running, wait_for
from ..ops.test_health import metric
from .test_provisioning import structure_of

PID = os.getpid()


def spare_schemas_on_disk() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
                       [SPARE_PREFIX.replace("_", r"\_") + "%"])
        return {row[0] for row in cursor.fetchall()}


def namespace_oid(name: str) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", [name])
        row = cursor.fetchone()
        return row[0] if row else None


@pytest.fixture
def pool(committed):
    """An empty pool at the start and the end; the organisations made are dropped."""
    made: list[Organisation] = []

    def empty() -> None:
        with connection.cursor() as cursor:
            for name in SpareSchema.objects.values_list("schema_name", flat=True):
                cursor.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        SpareSchema.objects.all().delete()

    empty()
    try:
        yield made
    finally:
        connection.set_schema_to_public()
        for organisation in made:
            drop_organisation(organisation)
        empty()


@pytest.fixture
def queued(monkeypatch):
    """The refills a spare taken queues (the worker test runs them for real)."""
    calls: list[str] = []

    def enqueue_on_commit(task: str) -> None:
        transaction.on_commit(lambda: calls.append(task))

    monkeypatch.setattr(schema_clone, "enqueue_on_commit", enqueue_on_commit)
    return calls


def test_a_sign_up_takes_a_spare_renamed_to_its_schema(pool, queued):
    made = spare_schemas_refill(size=2)
    assert len(made) == 2 and all(name.startswith(SPARE_PREFIX) for name in made)
    assert spare_schema_counts() == (2, 0)
    oids = {namespace_oid(name) for name in made}

    organisation = organisation_provision(name="Spare One", slug=f"spare-one-{PID}",
                                          owner_email="o@spare-one.example")
    pool.append(organisation)

    # The schema is one of the spares (same namespace), under the organisation's name.
    assert namespace_oid(organisation.schema_name) in oids
    assert spare_schema_counts() == (1, 0)
    assert len(spare_schemas_on_disk() & set(made)) == 1
    assert queued == ["tenants.tasks.refill_spare_schemas"]
    # The same structure as the template, and usable, triggers included.
    assert structure_of(organisation.schema_name) == structure_of(
        settings.TENANT_TEMPLATE_SCHEMA)
    with schema_context(organisation.schema_name):
        Programme.objects.create(name="P", starts_on="2027-01-01", ends_on="2027-02-01")
        assert Programme.objects.count() == 1
    # Spares are nobody's: not organisations, not migrated, not reachable.
    assert not Organisation.objects.filter(schema_name__startswith=SPARE_PREFIX).exists()
    assert not set(all_schema_names()) & spare_schemas_on_disk()


def test_the_pool_is_filled_to_its_size_and_no_further(pool):
    with override_settings(SPARE_SCHEMAS=3):
        assert len(spare_schemas_refill()) == 3
        assert spare_schemas_refill() == []
    assert spare_schema_counts() == (3, 0)
    assert spare_schemas_on_disk() == set(SpareSchema.objects.values_list("schema_name",
                                                                          flat=True))


def test_concurrent_refills_do_not_overshoot(pool):
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def refill() -> None:
        try:
            barrier.wait(timeout=30)
            spare_schemas_refill(size=2)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=refill) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert spare_schema_counts() == (2, 0)
    assert len(spare_schemas_on_disk()) == 2


def test_concurrent_sign_ups_never_get_the_same_spare(pool, queued):
    """Four sign-ups at once, two spares: each spare goes to exactly one of them, the other
    two clone; none waits for another's spare, none fails."""
    spares = spare_schemas_refill(size=2)
    oids = {namespace_oid(name) for name in spares}
    barrier = threading.Barrier(4)
    results: dict[int, Organisation] = {}
    errors: list[BaseException] = []

    def sign_up(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = organisation_provision(
                name=f"Race {i}", slug=f"spare-race-{i}-{PID}",
                owner_email=f"o{i}@spare-race.example")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sign_up, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    pool.extend(results.values())

    assert not errors, errors
    assert len(results) == 4
    taken = [o for o in results.values() if namespace_oid(o.schema_name) in oids]
    assert len(taken) == 2
    assert {namespace_oid(o.schema_name) for o in taken} == oids
    assert spare_schema_counts() == (0, 0)
    assert not spare_schemas_on_disk() & set(spares)
    assert len(queued) == 2


def test_a_spare_being_taken_is_skipped_not_waited_for(pool, queued):
    """One sign-up holds its spare in an open transaction: another takes the next spare at
    once; with no spare left it clones rather than wait."""
    spare_schemas_refill(size=1)
    taken = threading.Event()
    release = threading.Event()
    errors: list[BaseException] = []

    def slow_sign_up() -> None:
        try:
            with transaction.atomic():
                assert schema_clone.spare_schema_take(f"held_{PID}")
                taken.set()
                release.wait(60)
                transaction.set_rollback(True)  # the spare goes back to the pool
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=slow_sign_up)
    thread.start()
    try:
        assert taken.wait(60)
        organisation = organisation_provision(name="Not waiting", slug=f"no-wait-{PID}",
                                              owner_email="o@no-wait.example")
        pool.append(organisation)
        assert not organisation.schema_name.startswith(SPARE_PREFIX)
        assert queued == []  # it cloned: the only spare was the other sign-up's
    finally:
        release.set()
        thread.join(60)
    assert not errors, errors
    assert spare_schema_counts() == (1, 0)  # rolled back: the spare is in the pool again
    assert len(spare_schemas_on_disk()) == 1


def test_a_failed_sign_up_gives_its_spare_back(pool, queued, monkeypatch):
    spares = spare_schemas_refill(size=1)

    def exploding_create(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Domain.objects, "create", exploding_create)
    with pytest.raises(RuntimeError, match="disk full"):
        organisation_provision(name="Half", slug=f"spare-half-{PID}",
                               owner_email="half@spare-half.example")
    assert not Organisation.objects.filter(slug=f"spare-half-{PID}").exists()
    assert namespace_oid(f"spare_half_{PID}") is None
    assert spare_schemas_on_disk() == set(spares)
    assert spare_schema_counts() == (1, 0)
    assert queued == []  # the refill is queued only on commit


def test_spares_behind_the_template_are_never_taken_and_migrate_organisations_drops_them(
        pool, queued):
    """A spare cloned before the template's last migration (its recorded state is not the
    template's): a sign-up clones instead, and the next migration run drops it."""
    stale = spare_schemas_refill(size=1)
    SpareSchema.objects.filter(schema_name__in=stale).update(migration_state="0" * 64)
    assert spare_schema_counts() == (0, 1)

    organisation = organisation_provision(name="Fresh", slug=f"spare-fresh-{PID}",
                                          owner_email="o@spare-fresh.example")
    pool.append(organisation)
    assert namespace_oid(organisation.schema_name) != namespace_oid(stale[0])
    assert queued == []

    run = organisations_migrate(processes=1, schema_names=[organisation.schema_name])
    assert run.spares_dropped == stale
    assert spare_schema_counts() == (0, 0)
    assert not spare_schemas_on_disk()


def test_no_spare_is_taken_when_the_pool_is_turned_off(pool, queued):
    spare_schemas_refill(size=1)
    with override_settings(SPARE_SCHEMAS=0):
        organisation = organisation_provision(name="Off", slug=f"spare-off-{PID}",
                                              owner_email="o@spare-off.example")
    pool.append(organisation)
    assert spare_schema_counts() == (1, 0)
    assert spare_schemas_discard_stale() == []


def test_metrics_show_the_pool_depth(pool):
    spare_schemas_refill(size=2)
    SpareSchema.objects.filter(pk=SpareSchema.objects.order_by("pk").first().pk).update(
        migration_state="0" * 64)
    text = Client(HTTP_HOST="fullmobs-web:8000", REMOTE_ADDR="127.0.0.1").get(
        "/metrics").content.decode()
    assert metric(text, "fullmobs_spare_schemas", state="ready") == 1
    assert metric(text, "fullmobs_spare_schemas", state="stale") == 1
    assert metric(text, "fullmobs_spare_schemas_target") == settings.SPARE_SCHEMAS


@pytest.mark.parametrize("kind", Organisation.Kind.values)
def test_every_kind_of_organisation_takes_a_spare(pool, queued, kind):
    spares = spare_schemas_refill(size=1)
    oid = namespace_oid(spares[0])
    organisation = organisation_provision(name=f"Kind {kind}", slug=f"spare-kind-{PID}",
                                          owner_email=f"o@{kind.replace('_', '-')}.example",
                                          kind=kind)
    pool.append(organisation)
    assert organisation.kind == kind
    assert namespace_oid(organisation.schema_name) == oid
    assert queued == ["tenants.tasks.refill_spare_schemas"]


@pytest.fixture
def worker(pool, tmp_path):
    ensure_configured_broker()
    log = tmp_path / "worker.log"
    cmd = [PYTHON, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
           "--loglevel", "INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"]
    with running(cmd, child_env(SPARE_SCHEMAS="2"), log) as process:
        ready = wait_for(lambda: "ready" in log.read_text() or process.poll() is not None, 90)
        assert ready and process.poll() is None, log.read_text()
        yield log


@pytest.mark.worker
def test_a_worker_refills_the_pool_after_a_sign_up_takes_a_spare(pool, worker):
    with override_settings(SPARE_SCHEMAS=2):
        spare_schemas_refill()
        organisation = organisation_provision(name="Refilled", slug=f"spare-refill-{PID}",
                                              owner_email="o@spare-refill.example")
    pool.append(organisation)
    assert spare_schema_counts()[0] == 1  # one taken; its refill queued on commit

    refilled = wait_for(lambda: spare_schema_counts()[0] == 2, 120)
    assert refilled, worker.read_text()[-3000:]
    assert "tenants.tasks.refill_spare_schemas" in worker.read_text()
    assert len(spare_schemas_on_disk()) == 2
    assert organisation.schema_name not in spare_schemas_on_disk()


def test_a_sign_up_does_not_wait_for_a_spare_being_cloned(pool, queued):
    """A refill's long transaction (the schema built) holds no lock a sign-up needs: the
    foreign keys to the users' table, whose adding would lock it against the sign-up's new
    user, come in the short second transaction."""
    _, ddl = schema_clone.template_ddl()
    own, references = schema_clone.split_public_references(ddl)
    assert "REFERENCES public.tenants_user" in references
    assert "REFERENCES public." not in own
    building = threading.Event()
    release = threading.Event()
    errors: list[BaseException] = []

    def refill_half_way() -> None:
        try:
            with transaction.atomic():
                schema_clone.replay_ddl(f"{SPARE_PREFIX}half_{PID}", own)
                building.set()
                release.wait(60)
                transaction.set_rollback(True)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=refill_half_way)
    thread.start()
    try:
        assert building.wait(120)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '5s'")  # a wait would fail, not hang
        try:
            organisation = organisation_provision(
                name="Unblocked", slug=f"unblocked-{PID}", owner_email="new@unblocked.example",
                owner_password="correct-horse-battery-42")
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
        pool.append(organisation)
        assert thread.is_alive() and not release.is_set()  # the clone was still under way
    finally:
        release.set()
        thread.join(60)
    assert not errors, errors


def test_a_spare_left_half_made_is_dropped_by_the_next_refill(pool):
    with transaction.atomic():
        _, ddl = schema_clone.template_ddl()
        schema_clone.replay_ddl(f"{SPARE_PREFIX}orphan_{PID}",
                                schema_clone.split_public_references(ddl)[0])
    assert f"{SPARE_PREFIX}orphan_{PID}" in spare_schemas_on_disk()
    assert spare_schema_counts() == (0, 0)  # not in the pool: no row
    made = spare_schemas_refill(size=1)
    assert spare_schemas_on_disk() == set(made)
