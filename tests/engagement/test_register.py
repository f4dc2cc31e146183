"""The personal data register: what is held, why, for how long (the organisation's live
periods), who sees it (roles, consultants by name, staff), the sub-processors and the
counts, in French and English; 404 to outsiders."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.roles import Role
from engagement.models import ConsentRecord, Participant
from tenants.models import ConsultantAccess, ConsultantAssignment, User

from ..conftest import make_member, tenant_client


def _get(client, language: str):
    client.cookies["django_language"] = language
    response = client.get("/privacy/register/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.fixture
def people(org_a):
    with tenant_context(org_a):
        kept = Participant.objects.create(email="a@people.test", first_name="Alix",
                                          consent_to_contact=True)
        Participant.objects.create(email="b@people.test", first_name="Bao")
        Participant.objects.create(email="", first_name="", erased_at=timezone.now())
        ConsentRecord.objects.create(participant=kept, given=True, source="join_form",
                                     wording_version="v1", wording="Oui", language="fr")
    return org_a


def test_register_in_english_shows_the_live_periods_roles_consultants_and_counts(
        people, owner_a, settings):
    org_a = people
    org_a.participant_retention_months = 18
    org_a.report_retention_months = 48
    org_a.save(update_fields=["participant_retention_months", "report_retention_months"])
    consultant = User.objects.create_user(email="claire@fullmobs.test", is_consultant=True,
                                          full_name="Claire Conseil")
    ConsultantAssignment.objects.create(consultant=consultant, organisation=org_a)
    ConsultantAccess.objects.create(consultant=consultant, organisation=org_a,
                                    path="/campaigns/")
    page = _get(tenant_client(org_a, owner_a), "en")
    assert "Personal data register" in page
    assert "18 months after the person&#x27;s last action" in page
    assert "48 months after they are made" in page
    for text in ("Participants&#x27; identity and contact", "Companions&#x27; first names",
                 "Survey answers", "E-mails sent", "Members&#x27; accounts",
                 "Consultants&#x27; access"):
        assert text in page, text
    assert "Owner" in page and "Manager" in page and "Viewer" in page
    assert "The name and e-mail address of every participant." in page
    assert "Names and e-mail addresses only of people who agreed to be contacted" in page
    assert "Claire Conseil" in page
    for item in settings.SUBPROCESSORS:
        assert item["name"] in page
        assert item["purpose"]["en"].replace("'", "&#x27;") in page
    assert "Stripe" in page and "Ireland" in page
    assert "Participants whose data is held: <strong>2</strong>" in page
    assert "Participants erased or anonymised: <strong>1</strong>" in page
    assert "Participants who agreed to hear about future actions: <strong>1</strong>" in page
    assert "Consents given or withdrawn, as recorded: <strong>1</strong>" in page
    # Owners read the visits and reach the closure.
    assert "/campaigns/" in page and "/members/access-log/" in page
    assert "/settings/closure/" in page
    assert "Legitimate interest" in page and "Consent" in page


def test_register_in_french(people, owner_a, settings):
    org_a = people
    org_a.kind = "local_authority"
    org_a.save(update_fields=["kind"])
    page = _get(tenant_client(org_a, owner_a), "fr")
    assert "Registre des données personnelles" in page
    assert f"{org_a.participant_retention_months} mois" in page
    assert "Mission de service public" in page
    for item in settings.SUBPROCESSORS:
        assert item["purpose"]["fr"].replace("'", "&#x27;") in page
        assert item["country"]["fr"] in page
    assert "Irlande" in page


@pytest.mark.parametrize("role", [Role.MANAGER, Role.VIEWER])
def test_members_read_it_without_the_visits_or_the_closure(org_a, role):
    page = _get(tenant_client(org_a, make_member(org_a, role)), "en")
    assert "Personal data register" in page
    assert "/members/access-log/" not in page
    assert "/settings/closure/" not in page


def test_the_menu_links_to_it(org_a, viewer_a):
    client = tenant_client(org_a, viewer_a)
    assert b'href="/privacy/register/"' in client.get("/").content


def test_outsiders_get_404(org_a, owner_b, client):
    assert tenant_client(org_a, owner_b).get("/privacy/register/").status_code == 404
    anonymous = tenant_client(org_a).get("/privacy/register/")
    assert anonymous.status_code == 302  # to the login page, as every page of a space


def test_an_owner_chooses_the_legal_bases(org_a, owner_a):
    client = tenant_client(org_a, owner_a)
    page = _get(client, "en")
    assert '<select name="organising"' in page
    response = client.post("/privacy/register/", {
        "organising": "contract", "pledge_messages": "consent", "impact": "public_task"})
    assert response.status_code == 302
    org_a.refresh_from_db()
    assert org_a.legal_bases == {"organising": "contract", "pledge_messages": "consent",
                                 "impact": "public_task"}
    page = _get(client, "en")
    assert '<option value="contract" selected>' in page
    wrong = client.post("/privacy/register/", {"organising": "whim", "pledge_messages":
                                               "consent", "impact": "public_task"})
    assert wrong.status_code == 400
    assert b'name="organising"' in wrong.content and b"errorlist" in wrong.content
    org_a.refresh_from_db()
    assert org_a.legal_bases["organising"] == "contract"


@pytest.mark.parametrize("role", [Role.MANAGER, Role.VIEWER])
def test_only_owners_choose_the_legal_bases(org_a, role):
    client = tenant_client(org_a, make_member(org_a, role))
    assert "<select" not in _get(client, "en")
    assert client.post("/privacy/register/", {"organising": "contract"}).status_code == 404
    org_a.refresh_from_db()
    assert org_a.legal_bases == {}
