"""My spaces (public site): each space's state, read per organisation in its own schema."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from billing.models import ConsultantTime
from engagement.models import Campaign
from tenants.models import ConsultantAccess, ConsultantAssignment, Organisation
from tenants.services import organisation_provision

from ..conftest import public_client, tenant_client


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _row(page: str, name: str) -> str:
    match = re.search(r"<tr>(?:(?!</tr>).)*" + re.escape(name) + r"(?:(?!</tr>).)*</tr>", page)
    assert match, name
    return match.group(0)


@pytest.mark.django_db
def test_a_consultant_sees_each_client_space_state(consultant, org_a, org_b):
    ConsultantAssignment.objects.create(consultant=consultant, organisation=org_a)
    ConsultantAssignment.objects.create(consultant=consultant, organisation=org_b)
    ConsultantAccess.objects.create(consultant=consultant, organisation=org_a, path="/")
    ConsultantTime.objects.create(consultant=consultant, organisation=org_a,
                                  worked_on=timezone.localdate(), minutes=90,
                                  description="Workshop")
    Organisation.objects.filter(pk=org_b.pk).update(status=Organisation.Status.SUSPENDED)
    with tenant_context(org_a):
        open_campaigns = Campaign.objects.filter(status=Campaign.Status.OPEN).count()
    page = _text(public_client(consultant).get("/accounts/"))
    assert "Open campaigns" in page and "Pledges this month" in page
    assert "Your last visit" in page and "Accompaniment logged" in page
    row_a = _row(page, "Test Company")
    assert "Active" in row_a and "Company" in row_a and "90 minutes" in row_a
    assert f'<td class="num">{open_campaigns}</td>' in row_a
    assert timezone.localdate().strftime("%d/%m/%Y") in row_a
    row_b = _row(page, "Other Company")
    assert "Read-only (unpaid)" in row_b and "Never" in row_b


@pytest.mark.django_db
def test_my_spaces_costs_one_query_per_space(consultant, org_a, django_assert_max_num_queries):
    ConsultantAssignment.objects.create(consultant=consultant, organisation=org_a)
    client = public_client(consultant)
    client.get("/accounts/")  # warm the session and caches
    with CaptureQueriesContext(connection) as one:
        assert client.get("/accounts/").status_code == 200
    for n in range(3):
        extra = organisation_provision(
            name=f"Space {n}", slug=f"space-load-{n}", owner_email=f"o{n}@space.test",
            owner_password="correct-horse-battery-42", owner_name="Owner", locale="en",
            status=Organisation.Status.ACTIVE)
        ConsultantAssignment.objects.create(consultant=consultant, organisation=extra)
    connection.set_schema_to_public()
    with CaptureQueriesContext(connection) as many:
        page = client.get("/accounts/")
    assert "Space 2" in page.content.decode()
    # Three more spaces: two more statements each, switching to the space's schema and
    # reading its counts; nothing else grows with the number of spaces.
    assert len(many) - len(one) <= 2 * 3, [q["sql"] for q in many.captured_queries]
    extra = [q["sql"] for q in many.captured_queries
             if not q["sql"].startswith("SET search_path")]
    assert sum("count(*)" in sql for sql in extra) == 4


@pytest.mark.django_db
def test_members_see_their_spaces_without_the_consultant_columns(owner_a):
    page = _text(public_client(owner_a).get("/accounts/"))
    assert "Test Company" in page and "Open campaigns" in page
    assert "Your last visit" not in page


@pytest.mark.django_db
def test_a_client_space_links_back_to_the_console_for_consultants(consultant, org_a, owner_a):
    ConsultantAssignment.objects.create(consultant=consultant, organisation=org_a)
    page = _text(tenant_client(org_a, consultant).get("/methodology/"))
    assert re.search(r'href="[^"]*/console/"[^>]*>Methodology console<', page)
    assert "Methodology console" not in _text(tenant_client(org_a, owner_a).get("/methodology/"))
