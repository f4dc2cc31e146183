"""The value of time: hours valued in euros at the organisation's hour value, or at a
skill's rate for skills-based volunteering — the same amounts on the dashboard, through
the API, in the pledges CSV and in the PDF report; the settings and skills pages; the
statement of skills-based volunteering."""

from __future__ import annotations

import csv
import io
import re
import subprocess
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.errors import DomainError
from engagement.models import (
    Campaign,
    Participant,
    Pledge,
    Programme,
    Skill,
    Team,
    TimeValuation,
)
from engagement.services import pledge_check_in, pledge_mark_no_show
from engagement.services.value import (
    skill_create,
    skill_delete,
    skill_update,
    slot_set_skill,
    time_valuation_update,
)
from reports.figures import campaign_figures
from reports.services import report_render, report_request

from ..conftest import make_member, tenant_client
from ..factories import (
    CampaignFactory,
    ParticipantFactory,
    PledgeFactory,
    ProgrammeFactory,
    SlotFactory,
)
from .test_dashboard_reading import visible_text

# Counted by hand. Hour value 15.00 €; skill Accounting 48.50 €/h, Legal 60.10 €/h.
# - "Audit day" (over), its slot marked Accounting: Ana gave 3 h (145.50 €); Cy gave
#   1.25 h with her own skill Legal (75.125 → 75.13 €); Dee did not come (0).
# - "Park clean-up" (over), ordinary: Ben gave 2.5 h (37.50 €).
# Total 258.13 €; skills-based 4.25 h, 220.63 €.
AMOUNT, SKILLS_HOURS, SKILLS_AMOUNT = 258.13, 4.25, 220.63


def _build() -> Programme:
    time_valuation_update(hour_value=Decimal("15.00"), basis="salary_cost",
                          workforce_size=40)
    accounting = skill_create(name="Accounting", hourly_rate=Decimal("48.50"))
    legal = skill_create(name="Legal", hourly_rate=Decimal("60.10"))
    now = timezone.now()
    programme = ProgrammeFactory(name="Valued", starts_on=(now - timedelta(days=60)).date(),
                                 ends_on=(now + timedelta(days=60)).date())

    def campaign(title, days):
        start = now - timedelta(days=days)
        created = CampaignFactory(programme=programme, title=title, starts_at=start,
                                  mobilisation_deadline=start - timedelta(days=2),
                                  status=Campaign.Status.COMPLETED)
        return SlotFactory(campaign=created, capacity=20)

    audit, park = campaign("Audit day", 20), campaign("Park clean-up", 10)
    slot_set_skill(slot=audit, skill=accounting)
    people = {name: ParticipantFactory(email=f"{name}@example.test",
                                       first_name=name.capitalize(), last_name="Doe")
              for name in ("ana", "ben", "cy", "dee")}

    def pledge(slot, name, hours, **fields):
        # Attendance recorded as on the day, through the service that keeps the rate.
        made = PledgeFactory(slot=slot, participant=people[name], **fields)
        if Decimal(hours):
            pledge_check_in(pledge=made, hours=Decimal(hours), now=slot.starts_at)
        else:
            pledge_mark_no_show(pledge=made)

    pledge(audit, "ana", "3")
    pledge(audit, "cy", "1.25", skill=legal)
    pledge(audit, "dee", "0")
    pledge(park, "ben", "2.5")
    return programme


def _csv(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def _pdf_text(data: bytes, tmp_path) -> str:
    path = Path(tmp_path, "file.pdf")
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-raw", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    return re.sub(r"[ \t\r\n]+", " ", text)


def _euros(pattern: str, text: str) -> float:
    match = re.search(pattern, text)
    assert match, (pattern, text[:3000])
    return float(match[1].replace(",", "").replace("\xa0", "").replace("\u202f", ""))


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"


@pytest.mark.django_db
def test_dashboard_api_csv_and_pdf_give_the_same_value(org_a, owner_a, tmp_path):
    with tenant_context(org_a):
        programme = _build()
        report = report_render(report_id=report_request(
            scope="programme", programme=programme, language="en", user=owner_a).pk)
        assert report.status == "ready", report.error
        pdf = report.file.open("rb").read()
    client = tenant_client(org_a, owner_a)

    page = visible_text(client.get(f"/dashboard/programmes/{programme.pk}/",
                                   HTTP_ACCEPT_LANGUAGE="en").content.decode())
    api = client.get(f"/api/v1/metrics/programmes/{programme.pk}/").json()["value"]
    rows = [row for row in _csv(client.get("/dashboard/exports/pledges.csv",
                                           HTTP_ACCEPT_LANGUAGE="en"))
            if row["Programme"] == "Valued"]
    text = _pdf_text(pdf, tmp_path)

    pattern = r"€([\d,.]+) value of the hours given \(€15\.00 an hour"
    assert _euros(pattern, page) == AMOUNT
    assert api["amount"] == AMOUNT
    assert round(sum(float(row["Value of the hours given (€)"]) for row in rows), 2) == AMOUNT
    assert _euros(pattern, text) == AMOUNT
    assert api["skills_based_hours"] == SKILLS_HOURS
    assert api["skills_based_amount"] == SKILLS_AMOUNT
    assert api["hour_value"] == 15.0 and api["currency"] == "EUR"
    assert f"{SKILLS_HOURS} hours of skills-based volunteering, valued €{SKILLS_AMOUNT}" in page
    assert {row["Skill (skills-based volunteering)"] for row in rows} == {
        "Accounting", "Legal", ""}
    audit = next(row["Campaign (row)"] for row in rows if row["Campaign"] == "Audit day")
    assert f'href="/value/statement.pdf?campaign={audit}"' in client.get(
        f"/dashboard/campaigns/{audit}/").content.decode()


@pytest.mark.django_db
def test_french_dashboard_writes_euros_the_french_way(org_a, owner_a):
    with tenant_context(org_a):
        programme = _build()
    page = visible_text(tenant_client(org_a, owner_a).get(
        f"/dashboard/programmes/{programme.pk}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode())
    assert "258,13\xa0€ valeur des heures données (15,00\xa0€ de l’heure" in page


@pytest.mark.django_db
def test_a_changed_rate_values_the_hours_given_afterwards_only(org_a, manager_a, tmp_path):
    org_a.allowed_email_domains = ["example.test"]  # the statement lists employees
    org_a.save(update_fields=["allowed_email_domains"])
    with tenant_context(org_a):
        programme = _build()
        audit = Campaign.objects.get(programme=programme, title="Audit day")
        slot = audit.slots.get()
        assert campaign_figures(audit).data["value"]["amount"] == 145.50 + 75.13
        skill_update(skill=Skill.objects.get(name="Accounting"), name="Accounting",
                     hourly_rate=Decimal("50"))
        # The hours given before keep their rate: the figures and the statement stand.
        assert campaign_figures(audit).data["value"]["amount"] == 145.50 + 75.13
        eve = PledgeFactory(slot=slot, participant=ParticipantFactory(first_name="Eve"))
        pledge_check_in(pledge=eve, hours=Decimal(2), now=slot.starts_at)
        assert campaign_figures(audit).data["value"]["amount"] == 145.50 + 75.13 + 100
        assert Pledge.objects.get(pk=eve.pk).hour_rate == Decimal("50.00")
    # The statement prints the rate each row was valued at, one subtotal per rate.
    text = _pdf_text(tenant_client(org_a, manager_a).get(
        f"/value/statement.pdf?campaign={audit.pk}", HTTP_ACCEPT_LANGUAGE="en").content,
        tmp_path)
    assert "€48.50" in text and "€50.00" in text and "valued €320.63" in text
    with tenant_context(org_a):
        slot_set_skill(slot=slot, skill=None)
        time_valuation_update(hour_value=Decimal("20"), basis="minimum_wage")
        # Ana's and Eve's hours are ordinary now (20 €/h); Cy keeps her own skill.
        assert campaign_figures(audit).data["value"]["amount"] == 60 + 40 + 75.13


@pytest.mark.django_db
def test_hours_given_before_rates_were_kept_take_the_rate_of_today(org_a):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("engagement.migrations.0020_pledge_hour_rate")
    with tenant_context(org_a):
        skill = skill_create(name="Design", hourly_rate=Decimal("40"))
        slot = SlotFactory(skill=skill)
        given = PledgeFactory(slot=slot, attendance="attended", hours_given=Decimal(1))
        own = PledgeFactory(slot=SlotFactory(), skill=skill, attendance="attended",
                            hours_given=Decimal(1))
        ordinary = PledgeFactory(slot=SlotFactory(), attendance="attended",
                                 hours_given=Decimal(1))
        pending = PledgeFactory(slot=slot)
        migration.snapshot_rates(apps, None)
        rates = dict(Pledge.objects.values_list("pk", "hour_rate"))
        assert rates == {given.pk: Decimal("40.00"), own.pk: Decimal("40.00"),
                         ordinary.pk: None, pending.pk: None}


@pytest.mark.django_db
def test_without_settings_hours_are_valued_at_the_minimum_wage(org_a):
    with tenant_context(org_a):
        slot = SlotFactory(campaign=CampaignFactory(status=Campaign.Status.COMPLETED))
        PledgeFactory(slot=slot, attendance="attended", hours_given=Decimal("2"))
        value = campaign_figures(slot.campaign).data["value"]
    assert value == {"amount": 24.04, "skills_based_hours": 0.0, "skills_based_amount": 0.0,
                     "hour_value": 12.02, "currency": "EUR"}


@pytest.mark.django_db
def test_bad_values_are_refused_naming_the_field(org_a):
    with tenant_context(org_a):
        for value, basis, workforce, field in (
                (Decimal("0"), "minimum_wage", None, "hour_value"),
                (Decimal("12.345"), "minimum_wage", None, "hour_value"),
                (Decimal("99999"), "minimum_wage", None, "hour_value"),
                (Decimal("12"), "guess", None, "basis"),
                (Decimal("12"), "other", None, "basis_note"),
                (Decimal("12"), "minimum_wage", 0, "workforce_size")):
            with pytest.raises(DomainError) as refused:
                time_valuation_update(hour_value=value, basis=basis, workforce_size=workforce)
            assert field in refused.value.errors
        assert not TimeValuation.objects.exists()
        skill = skill_create(name="Design", hourly_rate=Decimal("40"))
        with pytest.raises(DomainError) as refused:
            skill_create(name=" design ", hourly_rate=Decimal("41"))
        assert "name" in refused.value.errors
        with pytest.raises(DomainError) as refused:
            skill_create(name="Law", hourly_rate=Decimal("-1"))
        assert "hourly_rate" in refused.value.errors
        slot_set_skill(slot=SlotFactory(), skill=skill)
        with pytest.raises(DomainError) as refused:
            skill_delete(skill=skill)
        assert "skill" in refused.value.errors
        assert Skill.objects.filter(pk=skill.pk).exists()


@pytest.mark.django_db
def test_the_value_page_managers_change_viewers_read_outsiders_never_see(
        org_a, org_b, manager_a, viewer_a, owner_b):
    manager = tenant_client(org_a, manager_a)
    response = manager.post("/value/settings/", {
        "hour_value": "18.50", "basis": "salary_cost", "basis_note": "",
        "workforce_size": "250"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    manager.post("/value/skills/", {"name": "Coaching", "hourly_rate": "55"})
    page = manager.get("/value/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "€18.50" in page and "Coaching" in page and "€55.00" in page
    refused = manager.post("/value/settings/", {"hour_value": "0", "basis": "minimum_wage"},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400
    assert "Ensure this value is greater than or equal to 0.01." in refused.content.decode()

    viewer = tenant_client(org_a, viewer_a)
    page = viewer.get("/value/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "€18.50" in page and 'action="/value/settings/"' not in page
    assert viewer.post("/value/settings/", {"hour_value": "1", "basis": "minimum_wage"}
                       ).status_code == 404
    assert viewer.get("/value/csrd.csv").status_code == 404
    assert viewer.get("/value/statement.pdf").status_code == 404
    outsider = tenant_client(org_a, owner_b)
    assert outsider.get("/value/").status_code == 404
    assert outsider.get("/api/v1/metrics/csrd/?start=2026-01-01&end=2026-12-31"
                        ).status_code == 404
    with tenant_context(org_a):
        assert TimeValuation.objects.get().hour_value == Decimal("18.50")


@pytest.mark.django_db
def test_statement_of_skills_based_volunteering(org_a, manager_a, tmp_path):
    # Ana and Cy are employees: their addresses are at the organisation's domain.
    org_a.allowed_email_domains = ["example.test"]
    org_a.save(update_fields=["allowed_email_domains"])
    with tenant_context(org_a):
        _build()
        audit = Campaign.objects.get(title="Audit day")
    client = tenant_client(org_a, manager_a)
    response = client.get(f"/value/statement.pdf?campaign={audit.pk}",
                          HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content, tmp_path)
    assert "Statement of skills-based volunteering" in text
    assert f"{SKILLS_HOURS} hours given as skills-based volunteering, valued €{SKILLS_AMOUNT}" \
        in text
    assert "Ana Doe" in text and "Cy Doe" in text and "Ben Doe" not in text
    assert "€48.50" in text and "€60.10" in text and "238 bis" in text
    french = _pdf_text(client.get(f"/value/statement.pdf?campaign={audit.pk}",
                                  HTTP_ACCEPT_LANGUAGE="fr").content, tmp_path)
    assert "Attestation de mécénat de compétences" in french
    assert "220,63 €" in french.replace("\xa0", " ").replace("\u202f", " ")
    start = (timezone.now() - timedelta(days=30)).date().isoformat()
    end = timezone.now().date().isoformat()
    period = _pdf_text(client.get(f"/value/statement.pdf?start={start}&end={end}",
                                  HTTP_ACCEPT_LANGUAGE="en").content, tmp_path)
    assert f"valued €{SKILLS_AMOUNT}" in period
    assert client.get("/value/statement.pdf?campaign=x").status_code == 404


@pytest.mark.django_db
def test_a_viewer_gets_no_statement(org_a):
    with tenant_context(org_a):
        _build()
        audit = Campaign.objects.get(title="Audit day")
    viewer = make_member(org_a, "viewer")
    assert tenant_client(org_a, viewer).get(
        f"/value/statement.pdf?campaign={audit.pk}").status_code == 404


def _workforce(org_a):
    """Internal "Solidarity day" (this year), the organisation's domain testco.test: six
    people of the Lyon site (team Finance) give 2 h each; in Paris one employee and one
    person of an imported list (another domain) give 3 h each; five people of Marseille
    give 1 h each. Not the workforce: an outsider invited to the internal action (site
    Lyon, 4 h) and a public action's citizen. Hour value 20 €, workforce 80."""
    org_a.allowed_email_domains = ["testco.test"]
    org_a.save(update_fields=["allowed_email_domains"])
    with tenant_context(org_a):
        time_valuation_update(hour_value=Decimal("20"), basis="minimum_wage",
                              workforce_size=80)
        finance = Team.objects.create(name="Finance")
        start = timezone.now() - timedelta(days=1)
        internal = SlotFactory(campaign=CampaignFactory(
            title="Solidarity day", starts_at=start,
            mobilisation_deadline=start - timedelta(days=2),
            visibility=Campaign.Visibility.INTERNAL, status=Campaign.Status.COMPLETED))
        public = SlotFactory(campaign=CampaignFactory(
            title="Beach", starts_at=start, mobilisation_deadline=start - timedelta(days=2),
            visibility=Campaign.Visibility.PUBLIC, status=Campaign.Status.COMPLETED))

        def given(hours, slot=internal, **person):
            person.setdefault("email", f"{ParticipantFactory.build().email.split('@')[0]}"
                                       "@testco.test")
            PledgeFactory(slot=slot, attendance="attended", hours_given=Decimal(hours),
                          participant=ParticipantFactory(**person))

        for _index in range(6):
            given(2, site="Lyon", team=finance)
        given(3, site="Paris", email="paul@TestCo.test")
        given(3, site="Paris", email="pia@home.example", source=Participant.Source.IMPORT)
        for _index in range(5):
            given(1, site="Marseille")
        given(4, site="Lyon", email="guest@partner.example")
        given(5, slot=public, site="Lyon", email="citizen@home.example")
        PledgeFactory(slot=internal, attendance="no_show",
                      participant=ParticipantFactory(email="absent@testco.test"))


@pytest.mark.django_db
def test_csrd_figures_count_the_own_workforce_and_hide_small_groups(org_a, manager_a):
    _workforce(org_a)
    year = timezone.localdate().year
    query = f"start={year}-01-01&end={year}-12-31"
    client = tenant_client(org_a, manager_a)
    api = client.get(f"/api/v1/metrics/csrd/?{query}").json()
    assert api["workforce_size"] == 80 and api["hour_value"] == 20.0
    assert api["total"] == {"employees": 13, "share_of_workforce": 0.1625, "hours": 23.0,
                            "hours_per_employee": 1.77, "amount": 460.0,
                            "skills_based_hours": 0.0, "skills_based_amount": 0.0}
    # Paris (two) is not shown; nor is Marseille (five), else the total minus Lyon and
    # Marseille would give Paris away. Finance leaves seven people out: shown.
    assert [(g["dimension"], g["name"], g["employees"], g["hours"]) for g in api["groups"]] \
        == [("site", "Lyon", 6, 12.0), ("team", "Finance", 6, 12.0)]
    assert api["hidden_groups"] == 2

    response = client.get(f"/value/csrd.csv?{query}", HTTP_ACCEPT_LANGUAGE="fr")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = _csv(response)
    assert [(row["Ventilation"], row["Groupe"], row["Salariés ayant participé"],
             row["Part de l’effectif (%)"], row["Heures données"],
             row["Heures par salarié participant"], row["Valeur des heures données (€)"])
            for row in rows] == [
        ("Toute l’organisation", "", "13", "16,25", "23,0", "1,77", "460,0"),
        ("Site", "Lyon", "6", "7,5", "12,0", "2,0", "240,0"),
        ("Équipe", "Finance", "6", "7,5", "12,0", "2,0", "240,0")]
    page = visible_text(client.get(f"/value/?{query}", HTTP_ACCEPT_LANGUAGE="en"
                                   ).content.decode())
    assert "13 employees took part" in page and "of the workforce (80 employees)" in page
    assert "€460.00 value of the employees' hours, own workforce" in page


@pytest.mark.django_db
def test_csrd_groups_never_give_a_small_one_away_by_subtraction(org_a):
    from reports.csrd import _shown

    def rows(*sizes):
        return [{"name": f"g{index}", "people": size} for index, size in enumerate(sizes)]

    # One group hidden, nobody else left out: the smallest shown goes too.
    assert [row["name"] for row in _shown(rows(6, 5, 2), 13)] == ["g0"]
    # What is left out makes five people or more: nothing more to hide.
    assert [row["name"] for row in _shown(rows(6, 5, 3, 2), 16)] == ["g0", "g1"]
    # People in no group count in what is left out (4 + 1 would give 1 + 4 away).
    assert [row["name"] for row in _shown(rows(8, 4), 13)] == ["g0"]
    assert [row["name"] for row in _shown(rows(8, 6), 15)] == ["g0"]
    # Every group shown covers everyone: nothing to subtract.
    assert [row["name"] for row in _shown(rows(8, 6), 14)] == ["g0", "g1"]
    # A lone group over everyone who is left out by fewer than five: hidden.
    assert _shown(rows(7), 9) == []


@pytest.mark.django_db
def test_csrd_period_is_checked(org_a, manager_a):
    client = tenant_client(org_a, manager_a)
    refused = client.get("/api/v1/metrics/csrd/?start=2026-12-31&end=2026-01-01")
    assert refused.status_code == 400 and "end" in refused.json()["errors"]
    assert client.get("/api/v1/metrics/csrd/").status_code == 400
