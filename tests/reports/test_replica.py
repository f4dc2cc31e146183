"""Figure reads go to a real PostgreSQL streaming replica; a person's own page never does.

The shared test server does not accept replication connections (its pg_hba.conf has no
``replication`` line) and changing that is not this suite's business, so the test starts
its own primary (initdb) on a free loopback port, copies the migrated test database into
it (pg_dump), and a hot standby of it (pg_basebackup -R) on another port, both in a
temporary folder with the machine's PostgreSQL binaries of the test server's major
version. For the test, Django's ``default`` alias points at that primary and a
``replica`` alias at the standby, as ``REPLICA_DATABASE_URL`` would make it.

The proof that reads go to the replica: replay is paused (``pg_wal_replay_pause``), a
pledge is written on the primary, and the dashboard's figures and the CSV export still
show the organisation without it, while the participant's own page shows it at once.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from config.broker import ensure_configured_broker
from core.replica import REPLICA, reader, replica_reading, start_unit_of_work
from engagement.links import participant_token
from reports.figures import campaign_figures
from reports.models import FiguresSnapshot, Report
from reports.services import report_request
from tenants.models import Organisation, User
from tests.conftest import PYTHON, child_env, free_port, running, tenant_client, wait_for
from tests.factories import ParticipantFactory, make_campaign, make_pledge


def _bin_dir() -> Path:
    """The binaries of the test server's major version (pg_dump must not be older)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        major = int(cursor.fetchone()[0]) // 10000
    return Path(os.environ.get("PG_BIN", f"/usr/lib/postgresql/{major}/bin"))


def _as_postgres(command: list) -> list[str]:
    # PostgreSQL refuses to run as root: a root test run starts its servers as postgres.
    command = [str(part) for part in command]
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _run(command: list, *, check: bool = True) -> None:
    subprocess.run(_as_postgres(command), check=check, capture_output=True, timeout=120)


def _stop(bin_dir: Path, data: Path, *, check: bool = True) -> None:
    _run([bin_dir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"], check=check)


def _start(bin_dir: Path, data: Path, port: int, socket_dir: Path, *extra: str) -> None:
    options = " ".join(["-p", str(port), "-k", str(socket_dir),
                        "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", *extra])
    _run([bin_dir / "pg_ctl", "-D", data, "-l", data.parent / f"{data.name}.log",
          "-o", options, "-w", "-t", "60", "start"])


def _dsn(port: int, dbname: str) -> str:
    return f"host=127.0.0.1 port={port} user=postgres dbname={dbname}"


def _wait_replayed(primary: str, replica: str, timeout: float = 30) -> None:
    """Until the replica has replayed everything the primary has written so far."""
    with psycopg.connect(primary, autocommit=True) as conn:
        target = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
    deadline = time.monotonic() + timeout
    with psycopg.connect(replica, autocommit=True) as conn:
        while not conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn",
                               [target]).fetchone()[0]:
            if time.monotonic() > deadline:
                raise AssertionError(f"The replica did not reach {target} in {timeout}s")
            time.sleep(0.05)


@dataclass(frozen=True)
class Cluster:
    primary: str
    replica: str
    replica_url: str
    stop_replica: Callable[[], None]

    def pause_replay(self) -> None:
        _wait_replayed(self.primary, self.replica)
        with psycopg.connect(self.replica, autocommit=True) as conn:
            conn.execute("SELECT pg_wal_replay_pause()")
            while conn.execute("SELECT pg_get_wal_replay_pause_state()").fetchone()[0] \
                    != "paused":
                time.sleep(0.05)


@pytest.fixture
def primary_and_replica(committed):
    """A primary holding a copy of the test database and a streaming replica of it, with
    Django's ``default`` and ``replica`` aliases on them for the test."""
    bin_dir = _bin_dir()
    if not (bin_dir / "initdb").exists() or not (bin_dir / "pg_basebackup").exists():
        pytest.skip(f"No PostgreSQL server binaries in {bin_dir} to start a replica with")
    folder = Path(tempfile.mkdtemp(prefix="fullmobs-replica-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    primary_dir, replica_dir = folder / "primary", folder / "replica"
    primary_port, replica_port = free_port(), free_port()
    started = []
    source = dict(connection.settings_dict)
    name = "fullmobs"
    try:
        _run([bin_dir / "initdb", "-D", primary_dir, "-U", "postgres", "--auth=trust",
              "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        # initdb's pg_hba.conf lets local and loopback replication connections in.
        _start(bin_dir, primary_dir, primary_port, folder, "-c", "wal_level=replica",
               "-c", "max_wal_senders=4")
        started.append(primary_dir)
        _run([bin_dir / "createdb", "-h", "127.0.0.1", "-p", primary_port, "-U", "postgres",
              name])
        connection.close()  # the dump waits for no lock of ours
        dump = subprocess.run(
            [bin_dir / "pg_dump", "-h", source["HOST"] or "127.0.0.1",
             "-p", str(source["PORT"] or 5432), "-U", source["USER"] or "postgres",
             "--no-owner", source["NAME"]], check=True, capture_output=True, timeout=120,
            env={**os.environ, "PGPASSWORD": source.get("PASSWORD") or ""})
        subprocess.run([bin_dir / "psql", "-h", "127.0.0.1", "-p", str(primary_port),
                        "-U", "postgres", "-d", name, "-q", "-v", "ON_ERROR_STOP=1"],
                       input=dump.stdout, check=True, capture_output=True, timeout=120)
        _run([bin_dir / "pg_basebackup", "-h", "127.0.0.1", "-p", primary_port,
              "-U", "postgres", "-D", replica_dir, "-R", "-X", "stream", "-c", "fast"])
        _start(bin_dir, replica_dir, replica_port, folder, "-c", "hot_standby=on")
        started.append(replica_dir)

        connection.close()
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(primary_port), NAME=name)
        connections.settings[REPLICA] = {**connection.settings_dict,
                                         "PORT": str(replica_port)}
        yield Cluster(_dsn(primary_port, name), _dsn(replica_port, name),
                      f"postgres://postgres@127.0.0.1:{replica_port}/{name}",
                      lambda: _stop(bin_dir, replica_dir))
    finally:
        for alias in (REPLICA, DEFAULT_DB_ALIAS):
            if alias in connections.settings:
                connections[alias].close()
        if REPLICA in connections.settings:
            if hasattr(connections._connections, REPLICA):
                del connections[REPLICA]
            del connections.settings[REPLICA]
        connection.settings_dict.update(HOST=source["HOST"], PORT=source["PORT"],
                                        NAME=source["NAME"])
        for data in reversed(started):
            _stop(bin_dir, data, check=False)  # the test may have stopped the replica
        shutil.rmtree(folder, ignore_errors=True)


def _pledge_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))[1:]


def test_figures_and_exports_read_the_replica_and_own_pages_the_primary(primary_and_replica):
    primary, replica = primary_and_replica.primary, primary_and_replica.replica
    organisation = Organisation.objects.get(slug="testco")
    owner = User.objects.get(email="owner@testco.test")
    with tenant_context(organisation):
        campaign = make_campaign(capacity=10, target=5)
        slot = campaign.slots.get()
        make_pledge(slot, ParticipantFactory(email="first@example.test"))
    client = tenant_client(organisation, owner)
    _wait_replayed(primary, replica)

    # The dashboard computes its figures on the replica (and stores them on the primary).
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        assert client.get(f"/dashboard/campaigns/{campaign.pk}/").status_code == 200
    assert any("engagement_pledge" in query["sql"] for query in on_replica.captured_queries)
    assert connections[REPLICA].schema_name == organisation.schema_name

    # Replay paused: the replica stays where it is while the primary moves on.
    primary_and_replica.pause_replay()
    with tenant_context(organisation):
        second = ParticipantFactory(email="second@example.test")
        make_pledge(slot, second)
        token = participant_token(second)

    # The participant's own page reads the primary: the new pledge is there at once.
    own = client.get(f"/me/{token}/")
    assert own.status_code == 200
    assert campaign.title in own.content.decode()

    # Figures and exports read the replica: the organisation as it was before the pledge.
    with tenant_context(organisation):
        start_unit_of_work()
        figures = campaign_figures(campaign, allow_stale=True)
    assert figures.data["participants"]["mobilised"] == 1
    export = client.get("/dashboard/exports/pledges.csv")
    assert export.status_code == 200
    assert len(_pledge_rows(export)) == 1

    # Replay resumed: the replica catches up and so do the figures.
    with psycopg.connect(replica, autocommit=True) as conn:
        conn.execute("SELECT pg_wal_replay_resume()")
    _wait_replayed(primary, replica)
    assert len(_pledge_rows(client.get("/dashboard/exports/pledges.csv"))) == 2
    with tenant_context(organisation):
        start_unit_of_work()
        assert campaign_figures(campaign, allow_stale=True).data[
            "participants"]["mobilised"] == 2


def test_the_lag_rule_keeps_reads_after_a_write_on_the_primary(primary_and_replica):
    organisation = Organisation.objects.get(slug="testco")
    with tenant_context(organisation):
        start_unit_of_work()
        with replica_reading() as alias:
            assert alias == REPLICA == reader()
        assert reader() == DEFAULT_DB_ALIAS  # outside the block
        start_unit_of_work(writes=True)  # a POST
        with replica_reading() as alias:
            assert alias == DEFAULT_DB_ALIAS
        start_unit_of_work()
        ParticipantFactory()  # a write earlier in the same request or task
        with replica_reading() as alias:
            assert alias == DEFAULT_DB_ALIAS
        start_unit_of_work(pin_after_write=False)  # a task (a report being rendered)
        ParticipantFactory()
        with replica_reading() as alias:
            assert alias == REPLICA
        start_unit_of_work()
        from django.db import transaction

        with transaction.atomic(), replica_reading() as alias:
            assert alias == DEFAULT_DB_ALIAS  # an open transaction's rows are not replicated


def test_without_a_replica_every_read_goes_to_the_primary(db):
    start_unit_of_work()
    with replica_reading() as alias:
        assert alias == DEFAULT_DB_ALIAS == reader()


def test_a_replica_down_leaves_figures_to_the_primary(primary_and_replica):
    organisation = Organisation.objects.get(slug="testco")
    owner = User.objects.get(email="owner@testco.test")
    with tenant_context(organisation):
        make_pledge(make_campaign().slots.get(), ParticipantFactory())
    primary_and_replica.stop_replica()
    connections[REPLICA].close()
    export = tenant_client(organisation, owner).get("/dashboard/exports/pledges.csv")
    assert export.status_code == 200
    assert len(_pledge_rows(export)) == 1


@pytest.mark.worker
def test_a_worker_renders_a_report_from_the_replica(primary_and_replica, tmp_path):
    """A real worker, given REPLICA_DATABASE_URL, renders a report: it marks the report
    "rendering" (a write) and still computes its figures from the replica, stored on the
    primary with the replica's data version (so not current)."""
    organisation = Organisation.objects.get(slug="testco")
    owner = User.objects.get(email="owner@testco.test")
    with tenant_context(organisation):
        campaign = make_campaign()
        slot = campaign.slots.get()
        make_pledge(slot, ParticipantFactory())
    primary_and_replica.pause_replay()
    with tenant_context(organisation):
        make_pledge(slot, ParticipantFactory())  # on the primary only
        key = f"metrics:campaign:{campaign.pk}"
        FiguresSnapshot.objects.filter(key=key).delete()
    ensure_configured_broker()
    log = tmp_path / "worker.log"
    cmd = [PYTHON, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
           "--loglevel", "INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"]
    env = child_env(REPLICA_DATABASE_URL=primary_and_replica.replica_url)
    with running(cmd, env, log) as process:
        ready = wait_for(lambda: "ready" in log.read_text() or process.poll() is not None, 90)
        assert ready and process.poll() is None, log.read_text()
        with tenant_context(organisation):
            report = report_request(scope="campaign", campaign=campaign, language="en",
                                    user=owner)
            done = wait_for(lambda: Report.objects.filter(
                pk=report.pk, status__in=["ready", "failed"]).first(), 120)
            assert done is not None and done.status == "ready", log.read_text()
            done.file.delete(save=False)
            snapshot = FiguresSnapshot.objects.get(key=key)
            assert snapshot.data["participants"]["mobilised"] == 1  # the replica's count
            # Read on the primary (a write request would), the stored figures are outdated:
            # the next figure read computes them again.
            start_unit_of_work(writes=True)
            assert campaign_figures(campaign).data["participants"]["mobilised"] == 2
