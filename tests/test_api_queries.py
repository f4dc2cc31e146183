"""Every list of the API reads the same number of times for a few rows as for many (no
query per row): engagement, reports, methodology and the organisations' own lists. (The
metrics routes answer figures computed by a fixed set of queries, not rows.)"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.roles import Role
from engagement.models import (
    Channel,
    ImpactRecord,
    Invitation,
    ProgrammeIndicator,
    ProgrammeStep,
    Team,
)
from methodology.models import Audience, ImpactIndicator, Lever, TemplateVersion
from reports.models import Report
from tenants.models import Organisation, User

from .conftest import PASSWORD, make_member, public_client, tenant_client
from .factories import (
    CampaignFactory,
    ParticipantFactory,
    PledgeFactory,
    ProgrammeFactory,
    SlotFactory,
    make_campaign,
)


def selects(queries) -> int:
    # django-tenants adds "SET search_path" statements; only reads matter here.
    return sum(1 for q in queries.captured_queries if q["sql"].startswith("SELECT"))


def rows(response) -> list:
    body = response.json()
    return body["results"] if isinstance(body, dict) and "results" in body else body


def assert_flat(client, url: str, grow, *, organisation=None) -> None:
    """The list at ``url`` reads as often before and after ``grow()`` adds rows."""
    client.get(url)  # the session and access are cached from here on
    with CaptureQueriesContext(connection) as few:
        before = client.get(url)
    if organisation is None:
        grow()
    else:
        with tenant_context(organisation):
            grow()
    with CaptureQueriesContext(connection) as many:
        after = client.get(url)
    assert before.status_code == after.status_code == 200, after.content
    assert len(rows(after)) >= len(rows(before)) + 3, url
    assert selects(many) == selects(few), url


def _campaigns(n: int) -> None:
    for _ in range(n):
        campaign = make_campaign(programme=ProgrammeFactory())
        slot = campaign.slots.get()
        PledgeFactory(slot=slot, companions=1)
        PledgeFactory(slot=slot)
        SlotFactory(campaign=campaign)


def _programmes(n: int) -> None:
    versions = list(TemplateVersion.objects.filter(status=TemplateVersion.Status.PUBLISHED)
                    .order_by("pk")[:n])
    for version in versions:
        ProgrammeFactory(template_version=version)
    for _ in range(n - len(versions)):
        ProgrammeFactory()


def _steps(programme, first: int, n: int) -> None:
    for position in range(first, first + n):
        ProgrammeStep.objects.create(
            programme=programme, key=f"step-{position}", phase_code="prepare",
            phase_title_fr="Préparer", phase_title_en="Prepare", position=position,
            title_fr=f"Étape {position}", title_en=f"Step {position}", owner_role="manager",
            due_offset_days=-position, due_at=timezone.now())


def _participants(n: int) -> None:
    for _ in range(n):
        ParticipantFactory(team=Team.objects.create(name=f"Team {Team.objects.count()}"),
                           consent_to_contact=True)


def _pledges(n: int) -> None:
    for _ in range(n):
        PledgeFactory(participant=ParticipantFactory(consent_to_contact=False))


def _invitations(organiser, n: int) -> None:
    for _ in range(n):
        campaign = make_campaign()
        invitation = Invitation.objects.create(campaign=campaign, organiser=organiser,
                                               channel=Channel.EMAIL, lever_code="social_proof",
                                               invitee_email="someone@example.test")
        PledgeFactory(slot=campaign.slots.get(), invitation=invitation)


def _impact_records(user, n: int) -> None:
    for _ in range(n):
        campaign = CampaignFactory()
        indicator = ProgrammeIndicator.objects.create(
            programme=campaign.programme, code="waste_kg", position=1, unit="kg",
            label_fr="Déchets", label_en="Waste", sdg=12)
        ImpactRecord.objects.create(campaign=campaign, indicator=indicator,
                                    value=Decimal("3.5"), recorded_by=user)


def _reports(user, n: int) -> None:
    for _ in range(n):
        Report.objects.create(scope=Report.Scope.CAMPAIGN, campaign=CampaignFactory(),
                              title="Impact report", requested_by=user)
        Report.objects.create(scope=Report.Scope.PROGRAMME, programme=ProgrammeFactory(),
                              title="Impact report", requested_by=user)


# ---- engagement -------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "grow"), [
    ("/api/v1/campaigns/", _campaigns),
    ("/api/v1/programmes/", _programmes),
    ("/api/v1/slots/", lambda n: [SlotFactory() for _ in range(n)]),
    ("/api/v1/participants/", _participants),
    ("/api/v1/pledges/", _pledges),
])
def test_engagement_lists(org_a, owner_a, url, grow):
    with tenant_context(org_a):
        grow(2)
    assert_flat(tenant_client(org_a, owner_a), url, lambda: grow(12), organisation=org_a)


@pytest.mark.django_db
def test_campaign_list_as_a_viewer_and_filtered(org_a, viewer_a):
    with tenant_context(org_a):
        _campaigns(2)
    assert_flat(tenant_client(org_a, viewer_a), "/api/v1/campaigns/?status=open",
                lambda: _campaigns(12), organisation=org_a)


@pytest.mark.django_db
def test_programme_steps(org_a, owner_a):
    with tenant_context(org_a):
        programme = ProgrammeFactory()
        _steps(programme, 0, 2)
    assert_flat(tenant_client(org_a, owner_a), f"/api/v1/programmes/{programme.pk}/steps/",
                lambda: _steps(programme, 2, 12), organisation=org_a)


@pytest.mark.django_db
def test_campaign_invitations(org_a, manager_a):
    with tenant_context(org_a):
        _invitations(manager_a, 2)
    assert_flat(tenant_client(org_a, manager_a), "/api/v1/campaign-invitations/",
                lambda: _invitations(manager_a, 12), organisation=org_a)


@pytest.mark.django_db
def test_impact_records(org_a, owner_a):
    with tenant_context(org_a):
        _impact_records(owner_a, 2)
    assert_flat(tenant_client(org_a, owner_a), "/api/v1/impact-records/",
                lambda: _impact_records(owner_a, 12), organisation=org_a)


# ---- reports ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_reports(org_a, viewer_a, manager_a):
    with tenant_context(org_a):
        _reports(manager_a, 2)
    assert_flat(tenant_client(org_a, viewer_a), "/api/v1/reports/",
                lambda: _reports(manager_a, 12), organisation=org_a)


# ---- methodology ------------------------------------------------------------------------


def _levers(first: int, n: int) -> None:
    Lever.objects.bulk_create(Lever(
        code=f"test-lever-{i}", name_fr="Levier", name_en="Lever", description_fr="",
        description_en="", audiences=[Audience.EMPLOYEES]) for i in range(first, first + n))


def _indicators(first: int, n: int) -> None:
    ImpactIndicator.objects.bulk_create(ImpactIndicator(
        code=f"test-indicator-{i}", unit="kg", label_fr="Poids", label_en="Weight", sdg=12)
        for i in range(first, first + n))


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "add"), [("/api/v1/levers/", _levers),
                                          ("/api/v1/indicators/", _indicators)])
def test_methodology_catalogue(org_a, viewer_a, url, add):
    add(0, 2)
    assert_flat(tenant_client(org_a, viewer_a), url, lambda: add(2, 12))


@pytest.mark.django_db
def test_methodology_templates(org_a, viewer_a):
    """The library is the seeded one: one audience's templates against all of them."""
    client = tenant_client(org_a, viewer_a)
    counts = {audience: len(client.get(f"/api/v1/templates/?audience={audience}").json())
              for audience in Audience.values}
    audience = min((a for a in counts if counts[a]), key=counts.get)
    with CaptureQueriesContext(connection) as few:
        some = client.get(f"/api/v1/templates/?audience={audience}").json()
    with CaptureQueriesContext(connection) as many:
        every = client.get("/api/v1/templates/").json()
    assert len(every) >= len(some) + 3
    assert selects(many) == selects(few)
    slug = every[0]["slug"]
    with CaptureQueriesContext(connection) as versions:
        assert client.get(f"/api/v1/templates/{slug}/versions/").status_code == 200
    with CaptureQueriesContext(connection) as one:
        assert client.get(f"/api/v1/templates/{slug}/").status_code == 200
    assert selects(versions) <= selects(one) + 1  # the template's lookup


# ---- tenants ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_members(org_a, owner_a):
    def grow():
        for n in range(12):
            make_member(org_a, Role.VIEWER, email=f"viewer{n}@example.test")

    make_member(org_a, Role.MANAGER)
    assert_flat(tenant_client(org_a, owner_a), "/api/v1/members/", grow)


@pytest.mark.django_db
def test_organisations_for_staff(org_a, org_b):
    staff = User.objects.create_user(email="staff@fullmobs.test", password=PASSWORD,
                                     is_staff=True)

    def grow():
        # Rows only: these organisations need no schema to be listed.
        Organisation.objects.bulk_create(Organisation(
            schema_name=f"listed_{n}", slug=f"listed-{n}", name=f"Listed {n}",
            trial_ends_at=timezone.now()) for n in range(12))

    assert_flat(public_client(staff), "/api/v1/organisations/", grow)
