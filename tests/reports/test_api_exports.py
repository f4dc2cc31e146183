"""The metrics API and the CSV exports: who may use them and what they show."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from billing.models import Subscription
from engagement.models import Participant

from ..conftest import tenant_client
from .test_levers import build_invitations
from .test_metrics import build_world


def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return [line.split(";") for line in text[1:].splitlines()]


@pytest.mark.django_db
def test_members_read_the_metrics(org_a, owner_a, viewer_a):
    with tenant_context(org_a):
        world = build_world(owner_a)
    client = tenant_client(org_a, viewer_a)
    campaign = client.get(f"/api/v1/metrics/campaigns/{world.c1.pk}/")
    assert campaign.status_code == 200
    assert campaign.json()["participants"]["mobilised"] == 5
    programme = client.get(f"/api/v1/metrics/programmes/{world.programme.pk}/").json()
    assert programme["snowball"] == {"generations": 3, "largest_tree": 5,
                                     "viral_coefficient": 0.7143, "brought_pledged": 4,
                                     "brought_attended": 1}
    assert programme["impact"][0]["code"] == "waste_collected"
    period = client.get("/api/v1/metrics/period/?start=1999-01-01&end=1999-12-31")
    assert period.status_code == 200 and period.json()["campaigns"]["total"] == 0
    assert client.get("/api/v1/metrics/period/?start=2000-01-01&end=1999-12-31"
                      ).status_code == 400
    assert client.get("/api/v1/metrics/period/").status_code == 400
    assert client.get("/api/v1/metrics/campaigns/999999/").status_code == 404


@pytest.mark.django_db
def test_another_organisations_user_gets_404(org_a, owner_a, owner_b):
    with tenant_context(org_a):
        world = build_world(owner_a)
    client = tenant_client(org_a, owner_b)
    for url in [f"/api/v1/metrics/campaigns/{world.c1.pk}/",
                f"/api/v1/metrics/programmes/{world.programme.pk}/",
                "/api/v1/metrics/period/?start=2026-01-01&end=2026-12-31",
                "/api/v1/metrics/levers/",
                "/dashboard/exports/participants.csv"]:
        assert client.get(url).status_code == 404, url


@pytest.mark.django_db
def test_lever_api_needs_the_option(org_a, owner_a, viewer_a):
    with tenant_context(org_a):
        programme, campaign = build_invitations(owner_a)
    client = tenant_client(org_a, viewer_a)
    response = client.get(f"/api/v1/metrics/levers/?programme={programme.pk}&segment=team")
    assert response.status_code == 200
    assert [row["segment"] for row in response.json()] == ["Alpha", "Other", "Alpha", "Other"]
    assert client.get(f"/api/v1/metrics/levers/?campaign={campaign.pk}&segment=postcode"
                      ).json()[0]["segment"] == "69001"
    assert client.get("/api/v1/metrics/levers/?segment=email").status_code == 400
    assert client.get("/api/v1/metrics/levers/?campaign=999999").status_code == 404
    Subscription.objects.filter(organisation=org_a).update(options=[])
    refused = client.get("/api/v1/metrics/levers/")
    assert refused.status_code == 403 and "Lever analytics" in refused.json()["message"]


@pytest.mark.django_db
def test_participants_export_respects_consent(org_a, owner_a, manager_a, consultant):
    """A consultant's export names only people who agreed to be contacted (the rule of
    tenants.access, as on pages and in the API); a manager's names everyone."""
    from tenants.models import ConsultantAssignment

    with tenant_context(org_a):
        build_world(owner_a)
        Participant.objects.filter(email="a@example.test").update(
            consent_to_contact=True, first_name="Ada", last_name="=Lovelace", site="Lyon")
        Participant.objects.filter(email="b@example.test").update(
            first_name="Bob", site="Paris", age_band="30-39")
    ConsultantAssignment.objects.create(consultant=consultant, organisation=org_a)
    managed = tenant_client(org_a, manager_a).get("/dashboard/exports/participants.csv")
    assert "b@example.test" in "\n".join(";".join(row) for row in _csv(managed))
    response = tenant_client(org_a, consultant).get("/dashboard/exports/participants.csv")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = _csv(response)
    header = rows[0]
    assert header[:4] == ["Row", "E-mail", "First name", "Last name"]
    by_site = {row[header.index("Site")]: dict(zip(header, row, strict=True))
               for row in rows[1:]}
    # A consented: named (a formula-like name is neutralised for spreadsheets).
    assert by_site["Lyon"]["E-mail"] == "a@example.test"
    assert by_site["Lyon"]["Last name"] == "'=Lovelace"
    # B did not: only the segment attributes remain.
    assert (by_site["Paris"]["E-mail"], by_site["Paris"]["First name"]) == ("", "")
    assert by_site["Paris"]["Age band"] == "30-39" and by_site["Paris"]["Team"] == "Ops"
    text = "\n".join(";".join(row) for row in rows)
    assert "b@example.test" not in text and "Bob" not in text
    assert len(rows) == 1 + 8


@pytest.mark.django_db
def test_pledge_and_impact_exports_are_for_managers(org_a, owner_a, manager_a, viewer_a):
    with tenant_context(org_a):
        build_world(owner_a)
    manager = tenant_client(org_a, manager_a)
    pledges = _csv(manager.get("/dashboard/exports/pledges.csv"))
    assert pledges[0][0] == "Row" and len(pledges) == 1 + 10
    assert "@" not in "".join(";".join(row) for row in pledges)  # participants by id only
    impact = _csv(manager.get("/dashboard/exports/impact.csv"))
    assert impact[1][impact[0].index("Indicator")] == "Waste collected"
    assert impact[1][impact[0].index("Value")] == "120.50"
    assert "waste_collected" not in ";".join(impact[1])  # a name, never a code
    viewer = tenant_client(org_a, viewer_a)
    for name in ("participants", "pledges", "impact"):
        assert viewer.get(f"/dashboard/exports/{name}.csv").status_code == 404


@pytest.mark.django_db
def test_exports_speak_the_readers_language(org_a, owner_a, manager_a):
    """Headers, statuses, yes/no and decimal marks in French for a French reader; no
    catalogue code in any cell."""
    with tenant_context(org_a):
        build_world(owner_a)
    manager = tenant_client(org_a, manager_a)
    pledges = _csv(manager.get("/dashboard/exports/pledges.csv", HTTP_ACCEPT_LANGUAGE="fr"))
    assert pledges[0][:3] == ["Ligne", "Programme", "Campagne (ligne)"]
    statuses = {row[pledges[0].index("Statut")] for row in pledges[1:]}
    assert statuses <= {"Confirmé", "Sur liste d’attente", "Annulé"} and statuses
    impact = _csv(manager.get("/dashboard/exports/impact.csv", HTTP_ACCEPT_LANGUAGE="fr"))
    assert impact[1][impact[0].index("Indicateur")] == "Déchets ramassés"
    assert impact[1][impact[0].index("Valeur")] == "120,50"
    participants = _csv(manager.get("/dashboard/exports/participants.csv",
                                    HTTP_ACCEPT_LANGUAGE="fr"))
    consent = {row[participants[0].index("Accepte d’être contacté")]
               for row in participants[1:]}
    assert consent and consent <= {"Oui", "Non"}
    everything = "".join(";".join(row) for table in (pledges, impact, participants)
                         for row in table)
    for code in ("confirmed", "waitlisted", "waste_collected", "link_share", "yes", "no"):
        assert f";{code};" not in f";{everything};", code
