"""Least privilege inside an organisation.

Who sees a participant's name and e-mail is one rule (tenants.access.sees_participant_identity),
the same on the participants page, the campaign page, the API, the CSV export and the PDF:
owners and managers see everyone; viewers and consultants only people who agreed to be
contacted. Consultants cannot invite (no lasting access from a temporary one). Owners see
who entered their space from Fullmobs and can end an accompaniment.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.roles import Role
from engagement.models import Invitation as CampaignInvitation
from engagement.models import Participant, Pledge
from reports import pdf
from reports.services import report_request
from tenants.access import Access, sees_participant_identity
from tenants.models import (
    ConsultantAccess,
    ConsultantAssignment,
    Invitation,
    Membership,
)

from ..conftest import tenant_client
from ..reports.test_metrics import build_world

JSON = "application/json"
# Who sees the identity of someone who refused contact / agreed to it.
EXPECTED = {"owner": True, "manager": True, "viewer": False, "consultant": False}


@pytest.fixture
def people(org_a, owner_a):
    """The test world; "Ada" agreed to be contacted, "Bob" did not; Bob brings a friend."""
    with tenant_context(org_a):
        world = build_world(owner_a)
        Participant.objects.filter(email="a@example.test").update(
            consent_to_contact=True, first_name="Ada", last_name="Lovelace")
        Participant.objects.filter(email="b@example.test").update(
            consent_to_contact=False, first_name="Bob", last_name="Hidden")
        bob = Participant.objects.get(email="b@example.test")
        Pledge.objects.filter(participant=bob).update(companions=1, companion_names="Zelda")
        CampaignInvitation.objects.create(campaign=world.c2, invitee_email="zoe@example.test",
                                          channel="email", lever_code="personal_invitation",
                                          organiser=owner_a)
    return world


@pytest.fixture
def readers(org_a, owner_a, manager_a, viewer_a, consultant):
    ConsultantAssignment.objects.create(consultant=consultant, organisation=org_a)
    return {"owner": owner_a, "manager": manager_a, "viewer": viewer_a,
            "consultant": consultant}


def test_the_rule():
    owner, manager, viewer = Access("owner"), Access("manager"), Access("viewer")
    consultant = Access("manager", via_consultant=True)
    for access in (owner, manager, viewer, consultant):
        assert sees_participant_identity(access, consented=True)
    assert sees_participant_identity(owner, consented=False)
    assert sees_participant_identity(manager, consented=False)
    assert not sees_participant_identity(viewer, consented=False)
    assert not sees_participant_identity(consultant, consented=False)
    assert not sees_participant_identity(None, consented=True)


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(EXPECTED))
def test_every_surface_shows_the_same_people_to_a_role(org_a, people, readers, role):
    client = tenant_client(org_a, readers[role])
    sees = EXPECTED[role]
    with tenant_context(org_a):
        bob = Participant.objects.get(email="b@example.test")

    # The participants page.
    page = client.get("/participants/").content.decode()
    assert "Ada Lovelace" in page and "a@example.test" in page
    assert ("Bob Hidden" in page) is sees and ("b@example.test" in page) is sees
    assert (f"Participant {bob.pk}" in page) is not sees

    # The campaign page's pledges (names, addresses and companions' first names).
    campaign = client.get(f"/campaigns/{people.c1.pk}/").content.decode()
    assert ("b@example.test" in campaign) is sees and ("Zelda" in campaign) is sees
    assert ("Bob Hidden" in campaign) is sees

    # The API: list, detail, pledges, campaign invitations.
    listed = {row["id"]: row for row in _results(client.get("/api/v1/participants/"))}
    assert listed[bob.pk]["email"] == ("b@example.test" if sees else "")
    assert listed[bob.pk]["first_name"] == ("Bob" if sees else "")
    assert listed[bob.pk]["team"] == "Ops"  # segment attributes stay
    detail = client.get(f"/api/v1/participants/{bob.pk}/").json()
    assert detail["last_name"] == ("Hidden" if sees else "")
    pledges = [row for row in _results(client.get("/api/v1/pledges/"))
               if row["participant"] == bob.pk]
    assert pledges
    assert {row["participant_email"] for row in pledges} == {"b@example.test" if sees else ""}
    assert ("Zelda" in str(pledges)) is sees
    invitations = _results(client.get("/api/v1/campaign-invitations/"))
    assert ("zoe@example.test" in str(invitations)) is sees

    # Searching by a hidden person's address never confirms it.
    found = _results(client.get("/api/v1/participants/", {"search": "b@example.test"}))
    assert bool(found) is sees
    found_page = client.get("/participants/", {"q": "b@example.test"}).content.decode()
    assert ("No participant matches." in found_page) is not sees
    searched = client.get(f"/campaigns/{people.c1.pk}/", {"q": "b@example.test"})
    assert ("Nobody matches this search." in searched.content.decode()) is not sees

    # The CSV export (managers and up, consultants included).
    export = client.get("/dashboard/exports/participants.csv")
    if role == "viewer":
        assert export.status_code == 404
    else:
        text = b"".join(export.streaming_content).decode()
        assert "a@example.test" in text
        assert ("b@example.test" in text) is sees and ("Bob" in text) is sees


def _results(response) -> list[dict]:
    assert response.status_code == 200, response.content[:300]
    data = response.json()
    return data["results"] if isinstance(data, dict) else data


@pytest.mark.django_db
def test_reports_print_figures_never_people(org_a, owner_a, people):
    with tenant_context(org_a):
        html = pdf.report_html(report_request(scope="programme", programme=people.programme,
                                              language="en", user=owner_a))
    for identity in ("a@example.test", "b@example.test", "Ada", "Lovelace", "Bob", "Zelda"):
        assert identity not in html


# ---- invitations: no lasting access from a consultant --------------------------------------


@pytest.mark.django_db
def test_a_consultant_cannot_invite_anyone(org_a, readers):
    client = tenant_client(org_a, readers["consultant"])
    assert "Invite a colleague" not in client.get("/members/").content.decode()
    for role in ("viewer", "manager", "owner"):
        page = client.post("/members/invite/", {"email": f"{role}@friend.example",
                                                "role": role})
        assert page.status_code == 400
        assert "Consultants cannot invite" in page.content.decode()
        api = client.post("/api/v1/invitations/", {"email": f"{role}@friend.example",
                                                   "role": role}, content_type=JSON)
        assert api.status_code == 400
        assert "Consultants cannot invite" in str(api.json())
    assert not Invitation.objects.filter(email__endswith="@friend.example").exists()
    assert mail.outbox == []


# ---- owners see who entered, and end an accompaniment ---------------------------------------


@pytest.mark.django_db
def test_owners_see_who_entered_and_end_an_accompaniment(org_a, org_b, readers, owner_b):
    consultant = readers["consultant"]
    consultant.full_name = "Claire Consultant"
    consultant.save()
    assert tenant_client(org_a, consultant).get("/").status_code == 200  # an entry
    ConsultantAssignment.objects.create(consultant=consultant, organisation=org_b)
    tenant_client(org_b, consultant).get("/")  # an entry elsewhere, not shown to org_a
    # An invitation a consultant sent before this rule: revoked with the assignment.
    pending = Invitation.objects.create(
        organisation=org_a, email="late@friend.example", role=Role.MANAGER,
        invited_by=consultant, token_hash="x" * 64,
        expires_at=timezone.now() + timedelta(days=3))

    owner = tenant_client(org_a, readers["owner"])
    members = owner.get("/members/").content.decode()
    assert 'href="/members/access-log/"' in members
    log = owner.get("/members/access-log/")
    assert log.status_code == 200
    text = log.content.decode()
    assert "Claire Consultant" in text and "End the accompaniment" in text
    assert ConsultantAccess.objects.filter(organisation=org_a).count() == 1
    assert ConsultantAccess.objects.filter(organisation=org_b).count() == 1
    assert text.count("<td><code>/</code></td>") == 1  # org_b's entry is not here

    # Managers, viewers and the consultant neither read the log nor end anything.
    for role in ("manager", "viewer", "consultant"):
        client = tenant_client(org_a, readers[role])
        assert client.get("/members/access-log/").status_code == 404
        assert client.post(f"/members/consultants/{consultant.pk}/end/").status_code == 404
    # Another organisation's owner cannot end org_a's accompaniment (nor see it exists).
    assert tenant_client(org_b, owner_b).post(
        f"/members/consultants/{consultant.pk + 999}/end/").status_code == 404

    ended = owner.post(f"/members/consultants/{consultant.pk}/end/", follow=True)
    assert "can no longer enter your space" in ended.content.decode()
    assert not ConsultantAssignment.objects.filter(organisation=org_a).exists()
    assert ConsultantAssignment.objects.filter(organisation=org_b).exists()
    pending.refresh_from_db()
    assert pending.revoked_at is not None
    # From the next request on, the consultant is an outsider: 404, page and API.
    client = tenant_client(org_a, consultant)
    assert client.get("/").status_code == 404
    assert client.get("/api/v1/participants/").status_code == 404
    # The log stays.
    assert "Claire Consultant" in owner.get("/members/access-log/").content.decode()
    # Ending it again: nothing to end, 404.
    assert owner.post(f"/members/consultants/{consultant.pk}/end/").status_code == 404
    assert not Membership.objects.filter(user=consultant).exists()
