"""Tasks run in the schema they were queued from, on a real worker process."""

import pytest
from django_tenants.utils import tenant_context

from config.broker import ensure_configured_broker
from engagement.models import Programme
from engagement.organisation_usage import (
    refresh_organisation_usage,
    refresh_usage_for_all_organisations,
)
from tenants.models import Organisation, OrganisationUsage

from ..conftest import PYTHON, child_env, running, wait_for

pytestmark = pytest.mark.worker


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock():
        ensure_configured_broker()
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    cmd = [PYTHON, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
           "--loglevel", "INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"]
    with running(cmd, child_env(), log) as process:
        ready = wait_for(lambda: "ready" in log.read_text() or process.poll() is not None, 90)
        assert ready and process.poll() is None, log.read_text()
        yield log


@pytest.fixture
def programmes(committed):
    a = Organisation.objects.get(slug="testco")
    b = Organisation.objects.get(slug="otherco")
    OrganisationUsage.objects.filter(organisation__in=[a, b]).delete()
    with tenant_context(a):
        Programme.objects.create(name="A1", starts_on="2027-01-01", ends_on="2027-01-02")
        Programme.objects.create(name="A2", starts_on="2027-01-01", ends_on="2027-01-02")
        a_count = Programme.objects.count()
    with tenant_context(b):
        Programme.objects.create(name="B1", starts_on="2027-01-01", ends_on="2027-01-02")
        # Other committed tests may leave programmes in these shared organisations: the
        # counts differ whatever they left, so reading B's schema for A shows.
        if Programme.objects.count() == a_count:
            Programme.objects.create(name="B2", starts_on="2027-01-01", ends_on="2027-01-02")
        b_count = Programme.objects.count()
    yield a, b, a_count, b_count
    for organisation in (a, b):
        with tenant_context(organisation):
            Programme.objects.all().delete()
    OrganisationUsage.objects.filter(organisation__in=[a, b]).delete()


def test_task_queued_in_tenant_a_runs_in_schema_a(programmes, worker):
    a, b, a_count, _ = programmes
    with tenant_context(a):
        refresh_organisation_usage.delay()
    usage = wait_for(lambda: OrganisationUsage.objects.filter(organisation=a).first(), 60)
    assert usage is not None, worker.read_text()
    assert usage.schema_name == "testco"
    assert usage.programmes == a_count  # A's programmes, not B's
    assert not OrganisationUsage.objects.filter(organisation=b).exists()


def test_beat_entry_fans_out_over_ready_organisations(programmes, worker):
    a, b, a_count, b_count = programmes
    refresh_usage_for_all_organisations.delay()  # queued from the public schema, as beat does

    def both_done():
        rows = {u.organisation_id: u for u in OrganisationUsage.objects.filter(
            organisation__in=[a, b])}
        return rows if len(rows) == 2 else None

    rows = wait_for(both_done, 60)
    assert rows is not None, worker.read_text()
    assert (rows[a.pk].schema_name, rows[a.pk].programmes) == ("testco", a_count)
    assert (rows[b.pk].schema_name, rows[b.pk].programmes) == ("otherco", b_count)
    # Neither the public site nor the template schema got a task.
    assert not OrganisationUsage.objects.filter(
        organisation__schema_name__in=["public", "tenant_template"]).exists()
