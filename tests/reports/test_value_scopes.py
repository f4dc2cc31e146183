"""What each value figure covers, said on the page and kept apart: the value page's
valued hours are the period dashboard's; the statement and the CSRD figures count the
organisation's own people and each person's own hours (not their companions'); only a
company sees the CSRD and mécénat parts; French dates put "1er" on the first of the
month and the French statement is named in French."""

from __future__ import annotations

import re
import subprocess
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone, translation
from django_tenants.utils import tenant_context

from core.formatting import long_date
from engagement.models import Campaign
from engagement.services import pledge_check_in
from engagement.services.value import skill_create, slot_set_skill, time_valuation_update
from reports.csrd import csrd_figures
from reports.metrics import period_metrics
from reports.statement import skills_statement
from tenants.access import resolve_access
from tenants.models import Organisation

from ..conftest import tenant_client
from ..factories import CampaignFactory, ParticipantFactory, PledgeFactory, SlotFactory


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"


def _world(org_a, organiser):
    """Organisation domain testco.test, hour value 20 €, skill Coding 50 €/h. An internal
    campaign yesterday, its 3-hour slot marked Coding: Eve (employee) came with two
    companions, checked in by an organiser (9 h given, 3 of them hers); Jo (employee)
    came alone (3 h). A public campaign the same day, same skill: a citizen gave 3 h."""
    org_a.allowed_email_domains = ["testco.test"]
    org_a.save(update_fields=["allowed_email_domains"])
    with tenant_context(org_a):
        time_valuation_update(hour_value=Decimal("20"), basis="minimum_wage",
                              workforce_size=100)
        coding = skill_create(name="Coding", hourly_rate=Decimal("50"))
        start = timezone.now() - timedelta(days=1)

        def slot(title, visibility):
            made = SlotFactory(campaign=CampaignFactory(
                title=title, starts_at=start, mobilisation_deadline=start - timedelta(days=2),
                visibility=visibility, status=Campaign.Status.COMPLETED),
                starts_at=start, ends_at=start + timedelta(hours=3), capacity=20)
            slot_set_skill(slot=made, skill=coding)
            return made

        internal = slot("Code day", Campaign.Visibility.INTERNAL)
        public = slot("Open code", Campaign.Visibility.PUBLIC)
        def came(slot_, email, companions=0):
            person = ParticipantFactory(email=email, first_name=email[:3].capitalize(),
                                        last_name="Doe", consent_to_contact=True)
            pledge = PledgeFactory(slot=slot_, participant=person, companions=companions)
            pledge_check_in(pledge=pledge, by_user=organiser, now=start)
            return pledge

        came(internal, "eve@testco.test", companions=2)
        came(internal, "jo@testco.test")
        came(public, "citizen@home.example")
        return internal, public


def _period() -> tuple[date, date]:
    today = timezone.localdate()
    return today - timedelta(days=30), today


@pytest.mark.django_db
def test_statement_and_csrd_count_own_people_and_own_hours(org_a, manager_a):
    _world(org_a, manager_a)
    start, end = _period()
    with tenant_context(org_a):
        # The companions' hours stay in every valued hour (the dashboards' basis) ...
        assert period_metrics(start, end)["hours"]["attended"] == 15.0
        statement = skills_statement(access=resolve_access(manager_a, org_a),
                                     start=start, end=end)
        # ... not in an employee's: Eve 3 h (not 9), Jo 3 h; the citizen is no employee.
        assert [row["hours"] for row in statement.rows] == [Decimal("3"), Decimal("3")]
        assert statement.hours == Decimal("6") and statement.amount == Decimal("300.00")
        assert all("citizen" not in str(row["employee"]).lower() for row in statement.rows)
        csrd = csrd_figures(start, end)["total"]
        assert csrd["employees"] == 2 and csrd["hours"] == 6.0
        assert csrd["hours_per_employee"] == 3.0 and csrd["amount"] == 300.0


@pytest.mark.django_db
def test_value_page_valued_hours_are_the_period_dashboards(org_a, manager_a):
    _world(org_a, manager_a)
    start, end = _period()
    with tenant_context(org_a):
        metrics = period_metrics(start, end)
    client = tenant_client(org_a, manager_a)
    page = client.get(f"/value/?start={start}&end={end}",
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    hours = re.search(r'data-figure="all-hours">([^<]+)<', page)[1]
    amount = re.search(r'data-figure="all-amount">([^<]+)<', page)[1]
    assert float(hours.replace(",", "")) == metrics["hours"]["attended"] == 15.0
    assert float(amount.replace("€", "").replace(",", "")) == metrics["value"]["amount"]
    # Each box says what it covers; no claim that every figure is the same.
    assert "hours given, all volunteering" in page
    assert "hours given by employees, own workforce" in page
    assert "show the same amounts" not in page


@pytest.mark.django_db
def test_a_local_authority_sees_no_csrd_nor_statement(org_a, manager_a):
    _world(org_a, manager_a)
    org_a.kind = Organisation.Kind.LOCAL_AUTHORITY
    org_a.save(update_fields=["kind"])
    client = tenant_client(org_a, manager_a)
    page = client.get("/value/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    for word in ("CSRD", "salariés"):
        assert word not in page, page[page.index(word) - 300:page.index(word) + 50]
    assert "mécénat" not in page.lower() and "Toutes les heures de bénévolat" in page
    assert 'name="workforce_size"' not in page
    assert client.get("/value/statement.pdf").status_code == 404
    assert client.get("/value/csrd.csv").status_code == 404
    assert client.get("/api/v1/metrics/csrd/?start=2026-01-01&end=2026-12-31"
                      ).status_code == 404


@pytest.mark.django_db
def test_french_first_of_the_month_and_the_french_statement_name(org_a, manager_a, tmp_path):
    with translation.override("fr"):
        assert long_date(date(2026, 1, 1)) == "1er janvier 2026"
        assert long_date(date(2026, 1, 2)) == "2 janvier 2026"
    with translation.override("en"):
        assert long_date(date(2026, 1, 1)) == "1 January 2026"
    _world(org_a, manager_a)
    client = tenant_client(org_a, manager_a)
    page = client.get("/value/?start=2026-01-01&end=2026-12-31",
                      HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "du 1er janvier 2026 au 31 décembre 2026" in page
    response = client.get("/value/statement.pdf?start=2026-01-01&end=2026-12-31",
                          HTTP_ACCEPT_LANGUAGE="fr")
    assert 'filename="attestation-mecenat-competences-20260101-20261231.pdf"' in \
        response["Content-Disposition"]
    path = Path(tmp_path, "s.pdf")
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-raw", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "1er janvier 2026" in text
    english = client.get("/value/statement.pdf?start=2026-01-01&end=2026-12-31",
                         HTTP_ACCEPT_LANGUAGE="en")
    assert "skills-based-volunteering-20260101" in english["Content-Disposition"]
