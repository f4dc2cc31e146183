import re

import pytest
from django.core import mail

from core.roles import Role
from tenants.models import (
    ConsultantAccess,
    ConsultantAssignment,
    Invitation,
    Membership,
    User,
)

from ..conftest import PASSWORD, tenant_client


@pytest.mark.django_db
def test_viewer_cannot_invite_page_or_api(org_a, viewer_a):
    client = tenant_client(org_a, viewer_a)
    members = client.get("/members/")
    assert members.status_code == 200
    assert "Invite a colleague" not in members.content.decode()
    assert client.get("/members/invite/").status_code == 404
    assert client.post("/members/invite/", {"email": "x@y.test", "role": "viewer"}
                       ).status_code == 404
    response = client.post("/api/v1/invitations/", {"email": "x@y.test", "role": "viewer"},
                           content_type="application/json")
    assert response.status_code == 403
    assert not Invitation.objects.filter(email="x@y.test").exists()


@pytest.mark.django_db
def test_manager_invites_and_the_colleague_joins_by_the_link(
        org_a, manager_a, django_capture_on_commit_callbacks):
    client = tenant_client(org_a, manager_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/members/invite/", {"email": "New.Colleague@Example.test",
                                                    "role": "manager"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testco\.localhost\S*/invitations/(\S+)/", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    token = link.group(1)

    newcomer = tenant_client(org_a)
    page = newcomer.get(f"/invitations/{token}/")
    assert page.status_code == 200
    assert "new.colleague@example.test" in page.content.decode()
    short = newcomer.post(f"/invitations/{token}/", {"full_name": "Nour", "password": "short"})
    assert short.status_code == 200
    assert "too short" in short.content.decode()
    response = newcomer.post(f"/invitations/{token}/", {"full_name": "Nour",
                                                        "password": PASSWORD})
    assert response.status_code == 302
    user = User.objects.get(email="new.colleague@example.test")
    assert Membership.objects.get(user=user, organisation=org_a).role == Role.MANAGER
    assert newcomer.get("/").status_code == 200  # logged in
    # The link works once.
    assert tenant_client(org_a).get(f"/invitations/{token}/").status_code == 404


@pytest.mark.django_db
def test_only_owners_invite_owners(org_a, manager_a, owner_a):
    response = tenant_client(org_a, manager_a).post(
        "/api/v1/invitations/", {"email": "boss2@x.test", "role": "owner"},
        content_type="application/json")
    assert response.status_code == 400
    assert "role" in response.json()["errors"]
    ok = tenant_client(org_a, owner_a).post(
        "/api/v1/invitations/", {"email": "boss2@x.test", "role": "owner"},
        content_type="application/json")
    assert ok.status_code == 201


@pytest.mark.django_db
def test_invitation_link_of_a_is_useless_on_b(org_a, org_b, manager_a,
                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tenant_client(org_a, manager_a).post("/members/invite/",
                                             {"email": "z@x.test", "role": "viewer"})
    token = re.search(r"/invitations/(\S+)/", mail.outbox[0].body).group(1)
    assert tenant_client(org_b).get(f"/invitations/{token}/").status_code == 404


@pytest.mark.django_db
def test_consultant_access_is_logged_once_per_session(org_a, org_b):
    consultant = User.objects.create_user(email="c@fullmobs.test", password=PASSWORD,
                                          is_consultant=True)
    # Not assigned to A yet: 404.
    assert tenant_client(org_a, consultant).get("/").status_code == 404
    ConsultantAssignment.objects.create(consultant=consultant, organisation=org_a)
    client = tenant_client(org_a, consultant)
    home = client.get("/")
    assert home.status_code == 200
    assert "as consultant" in home.content.decode()
    client.get("/programmes/")
    entries = ConsultantAccess.objects.filter(consultant=consultant)
    assert entries.count() == 1
    assert entries.get().organisation == org_a
    # Still no access to B.
    assert tenant_client(org_b, consultant).get("/").status_code == 404
    # A token client (no session) is logged too.
    ConsultantAccess.objects.all().delete()
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=consultant)
    api = tenant_client(org_a).get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.json()["via_consultant"] is True
    assert ConsultantAccess.objects.filter(consultant=consultant).count() == 1


@pytest.mark.django_db
def test_non_consultant_with_assignment_row_gets_nothing(org_a):
    user = User.objects.create_user(email="not-c@x.test", password=PASSWORD)
    ConsultantAssignment.objects.create(consultant=user, organisation=org_a)
    assert tenant_client(org_a, user).get("/").status_code == 404


@pytest.mark.django_db
def test_password_reset_mails_members_only(org_a, org_b, owner_a):
    tenant_client(org_a).post("/accounts/password-reset/", {"email": owner_a.email})
    assert len(mail.outbox) == 1
    assert org_a.absolute_url("/accounts/reset/") in mail.outbox[0].body
    # Asking on B's host for A's owner sends nothing, and the page says the same thing.
    response = tenant_client(org_b).post("/accounts/password-reset/", {"email": owner_a.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
