"""The consultant's portfolio (/console/clients/ and /api/v1/portfolio/ on the public site):
only a consultant sees it, only their own clients, with each client's figures read from
its schema; entering a client's space from it logs the visit."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context
from rest_framework.authtoken.models import Token

from billing.models import ConsultantTime, Subscription
from engagement.models import Campaign
from lab.models import CampaignForecast, Experiment
from methodology.models import EvidenceCell
from reports.models import Commentary, Report
from tenants.models import ConsultantAccess, ConsultantAssignment, Organisation, User
from tenants.services import organisation_provision
from tests.conftest import PASSWORD, public_client, tenant_client
from tests.factories import ProgrammeFactory, make_campaign


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _row(page: str, name: str) -> str:
    match = re.search(r"<tr[^>]*>(?:(?!</tr>).)*" + re.escape(name) + r"(?:(?!</tr>).)*</tr>",
                      page)
    assert match, name
    return match.group(0)


def _cells(row: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)]


@pytest.fixture
def other_consultant(db) -> User:
    return User.objects.create_user(email="other-consultant@fullmobs.test", password=PASSWORD,
                                    is_consultant=True)


@pytest.mark.django_db
def test_only_consultants_see_a_portfolio(owner_a, other_consultant):
    staff = User.objects.create_user(email="staff@fullmobs.test", password=PASSWORD,
                                     is_staff=True)
    for user in (owner_a, staff):
        assert public_client(user).get("/console/clients/").status_code == 404
        token = Token.objects.create(user=user).key
        answer = public_client().get("/api/v1/portfolio/", HTTP_AUTHORIZATION=f"Token {token}")
        assert answer.status_code == 404
    assert public_client().get("/console/clients/").status_code == 302  # to log in
    page = _text(public_client(other_consultant).get("/console/clients/"))
    assert "You accompany no organisation yet." in page


@pytest.mark.django_db
def test_a_consultant_sees_only_their_own_clients(consultant, other_consultant, org_a, org_b):
    ConsultantAssignment.objects.create(consultant=consultant, organisation=org_a)
    ConsultantAssignment.objects.create(consultant=other_consultant, organisation=org_b)
    page = _text(public_client(consultant).get("/console/clients/"))
    assert org_a.name in page and org_b.name not in page
    token = Token.objects.create(user=consultant).key
    listed = public_client().get("/api/v1/portfolio/", HTTP_AUTHORIZATION=f"Token {token}")
    assert [client["slug"] for client in listed.json()["results"]] == [org_a.slug]
    # Another consultant's client cannot be entered from here either.
    assert public_client(consultant).get(f"/accounts/spaces/{org_b.slug}/").status_code == 404


@pytest.mark.django_db
def test_each_client_shows_its_figures(consultant, org_a):
    ConsultantAssignment.objects.create(consultant=consultant, organisation=org_a)
    Subscription.objects.update_or_create(organisation=org_a, defaults={
        "plan": "territory", "options": ["accompaniment_pack"], "stripe_status": "active"})
    Organisation.objects.filter(pk=org_a.pk).update(status=Organisation.Status.ACTIVE)
    ConsultantTime.objects.create(consultant=consultant, organisation=org_a,
                                  worked_on=timezone.localdate(), minutes=90,
                                  description="Workshop")
    ConsultantTime.objects.create(consultant=consultant, organisation=org_a,
                                  worked_on=timezone.localdate() - timedelta(days=40),
                                  minutes=600, description="Last month: not counted")
    today = timezone.localdate()
    with tenant_context(org_a):
        running = ProgrammeFactory(starts_on=today - timedelta(days=5),
                                   ends_on=today + timedelta(days=5))
        ProgrammeFactory(starts_on=today - timedelta(days=50), ends_on=today - timedelta(days=20))
        counts = {s: Campaign.objects.filter(status=s).count() for s in Campaign.Status.values}
        open_one = make_campaign(programme=running)
        finished = [make_campaign(programme=running, status=status,
                                  starts_in=timedelta(days=-3), deadline_in=timedelta(days=-4))
                    for status in (Campaign.Status.SUCCEEDED, Campaign.Status.COMPLETED,
                                   Campaign.Status.FAILED)]
        # The stored forecasts: the open campaign at risk counts, a finished one not.
        CampaignForecast.objects.filter(at_risk=True).delete()
        for campaign in (open_one, finished[2]):
            CampaignForecast.objects.create(
                campaign=campaign, probability=0.2, expected=3, low=1, high=5,
                baseline_share=0.1, linear=2, references=12, at_risk=True, method="test",
                elapsed=0.5, count=1, target=5)
        open_campaigns = counts["open"] + 1
        decided = counts["succeeded"] + counts["completed"] + counts["failed"] + 3
        succeeded = counts["succeeded"] + counts["completed"] + 2
        running_programmes = sum(1 for p in type(running).objects.all()
                                 if p.starts_on <= today <= p.ends_on)
        # Awaiting commentary: ready and recent, no consultant's commentary on its subject.
        awaiting = Report.objects.create(scope=Report.Scope.PROGRAMME, programme=running,
                                         title="Awaiting", status=Report.Status.READY,
                                         finished_at=timezone.now())
        Report.objects.create(scope=Report.Scope.CAMPAIGN, campaign=Campaign.objects.first(),
                              title="Still rendering", status=Report.Status.QUEUED)
        old = Report.objects.create(scope=Report.Scope.PERIOD, period_start=today.replace(
            day=1), period_end=today, title="Old", status=Report.Status.READY,
            finished_at=timezone.now() - timedelta(days=45))
        Report.objects.filter(pk=old.pk).update(requested_at=timezone.now() - timedelta(days=46))
        commented = make_campaign(programme=running)
        Report.objects.create(scope=Report.Scope.CAMPAIGN, campaign=commented, title="Done",
                              status=Report.Status.READY, finished_at=timezone.now())
        Commentary.objects.create(scope="campaign", subject_key=f"campaign:{commented.pk}",
                                  section="summary", text="Well done", author=consultant,
                                  content_language="en")
        open_campaigns += 1
        running_experiments = Experiment.objects.filter(status="running").count()
    connection.set_schema_to_public()
    EvidenceCell.objects.create(kind="company", published=True, success_rate=0.71,
                                organisations=23, decided=40, reached=28)
    EvidenceCell.objects.create(kind="", published=True, success_rate=0.6, organisations=40)
    page = _text(public_client(consultant).get("/console/clients/"))
    cells = _cells(_row(page, org_a.name))
    assert "Needs attention" in cells[0] and "Company" in cells[0]
    assert cells[1] == "Active"
    assert cells[2] == str(running_programmes) and cells[3] == str(open_campaigns)
    assert f"{round(100 * succeeded / decided)}%" in cells[5]
    assert f"of {decided} finished" in cells[5]
    # The campaign at risk, then the open ones whose forecast is not computed yet.
    assert cells[4] == f"1{open_campaigns - 1} not computed yet"
    assert "benchmark 71% (every template, companies, 23 organisations)" in cells[5]
    assert cells[6].startswith(f"{running_experiments} running ·")
    assert cells[7] == "1", awaiting
    # (the no-break spaces read as spaces once the page is normalised)
    assert "1.5 h of 4 h" in cells[8] and "2.5 h left" in cells[8]
    token = Token.objects.create(user=consultant).key
    client = public_client().get("/api/v1/portfolio/",
                                 HTTP_AUTHORIZATION=f"Token {token}").json()["results"][0]
    assert client["open_campaigns"] == open_campaigns
    assert client["reports_awaiting_commentary"] == 1
    assert client["reasons"] == ["at_risk", "commentary"] and client["billing"] == "active"
    assert client["campaigns_at_risk"] == 1
    assert client["campaigns_without_forecast"] == open_campaigns - 1
    assert (client["benchmark_success_rate"], client["benchmark_organisations"]) == (0.71, 23)
    assert client["accompaniment"] == {"included_minutes": 240, "logged_minutes": 90,
                                       "left_minutes": 150, "beyond_minutes": 0}


@pytest.mark.django_db
def test_clients_needing_attention_come_first_and_can_be_filtered(consultant, org_a, org_b):
    ConsultantAssignment.objects.create(consultant=consultant, organisation=org_a)
    ConsultantAssignment.objects.create(consultant=consultant, organisation=org_b)
    for organisation in (org_a, org_b):
        with tenant_context(organisation):
            Report.objects.filter(status=Report.Status.READY).update(
                finished_at=timezone.now() - timedelta(days=90),
                requested_at=timezone.now() - timedelta(days=90))
        Subscription.objects.update_or_create(organisation=organisation, defaults={
            "plan": "territory", "options": [], "stripe_status": "active"})
    connection.set_schema_to_public()
    Organisation.objects.filter(pk=org_b.pk).update(status=Organisation.Status.ACTIVE)
    # Test Company (org_a) pays late: it comes before Other Company despite its name.
    Organisation.objects.filter(pk=org_a.pk).update(status=Organisation.Status.PAST_DUE)
    assert org_b.name < org_a.name
    client = public_client(consultant)
    page = _text(client.get("/console/clients/"))
    assert page.index(org_a.name) < page.index(org_b.name)
    assert "Payment overdue" in _row(page, org_a.name)
    assert "Needs attention" not in _row(page, org_b.name)
    listed = client.get("/api/v1/portfolio/").json()["results"]
    assert [(c["name"], c["billing"], c["needs_attention"]) for c in listed] == [
        (org_a.name, "past_due", True), (org_b.name, "active", False)]
    attention = _text(client.get("/console/clients/?show=attention"))
    assert org_a.name in _text_table(attention) and org_b.name not in _text_table(attention)
    searched = _text(client.get("/console/clients/?q=" + org_b.name[:5].lower()))
    assert org_b.name in _text_table(searched) and org_a.name not in _text_table(searched)


def _text_table(page: str) -> str:
    match = re.search(r"<tbody>.*</tbody>", page)
    return match.group(0) if match else ""


@pytest.mark.django_db
def test_entering_a_client_from_the_portfolio_logs_the_visit(consultant, org_a):
    ConsultantAssignment.objects.create(consultant=consultant, organisation=org_a)
    page = public_client(consultant).get("/console/clients/").content.decode()
    assert f'href="/accounts/spaces/{org_a.slug}/"' in page
    before = ConsultantAccess.objects.filter(consultant=consultant).count()
    handoff = public_client(consultant).get(f"/accounts/spaces/{org_a.slug}/")["Location"]
    assert handoff.startswith(f"http://{org_a.slug}.")
    landed = tenant_client(org_a).get(handoff.split(":8000", 1)[1], follow=True)
    assert landed.status_code == 200
    rows = ConsultantAccess.objects.filter(consultant=consultant, organisation=org_a)
    assert rows.count() == before + 1
    assert timezone.localdate(rows.first().entered_at) == timezone.localdate()


@pytest.mark.django_db
def test_the_page_costs_two_statements_per_client(consultant, org_a):
    ConsultantAssignment.objects.create(consultant=consultant, organisation=org_a)
    client = public_client(consultant)
    client.get("/console/clients/")
    connection.set_schema_to_public()
    with CaptureQueriesContext(connection) as one:
        assert client.get("/console/clients/").status_code == 200
    for n in range(3):
        extra = organisation_provision(
            name=f"Client {n}", slug=f"portfolio-load-{n}", owner_email=f"o{n}@pf.test",
            owner_password=PASSWORD, owner_name="Owner", locale="en",
            status=Organisation.Status.ACTIVE)
        ConsultantAssignment.objects.create(consultant=consultant, organisation=extra)
    connection.set_schema_to_public()
    with CaptureQueriesContext(connection) as many:
        page = client.get("/console/clients/")
    assert "Client 2" in page.content.decode()
    assert len(many) - len(one) <= 2 * 3, [q["sql"] for q in many.captured_queries]
