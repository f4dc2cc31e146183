"""Data of one organisation is invisible from another's host, through pages and API."""

import pytest
from django_tenants.utils import tenant_context

from engagement.models import Programme

from ..conftest import PASSWORD, public_client, tenant_client


@pytest.fixture
def programme_a(org_a):
    with tenant_context(org_a):
        return Programme.objects.create(name="Secret beach day", starts_on="2027-05-01",
                                        ends_on="2027-05-02", participant_target=40)


@pytest.mark.django_db
def test_pages_show_only_the_hosts_data(org_a, org_b, owner_a, owner_b, programme_a):
    assert "Secret beach day" in tenant_client(org_a, owner_a).get("/programmes/").content.decode()
    page_b = tenant_client(org_b, owner_b).get("/programmes/")
    assert page_b.status_code == 200
    assert "Secret beach day" not in page_b.content.decode()


@pytest.mark.django_db
def test_api_of_b_neither_lists_nor_finds_as_object(org_a, org_b, owner_a, owner_b,
                                                    programme_a):
    client_b = tenant_client(org_b, owner_b)
    listing = client_b.get("/api/v1/programmes/").json()
    assert listing["count"] == 0
    assert client_b.get(f"/api/v1/programmes/{programme_a.pk}/").status_code == 404
    assert client_b.patch(f"/api/v1/programmes/{programme_a.pk}/", {"name": "x"},
                          content_type="application/json").status_code == 404
    # ...while A's owner sees it.
    client_a = tenant_client(org_a, owner_a)
    assert client_a.get(f"/api/v1/programmes/{programme_a.pk}/").json()["name"] == \
        "Secret beach day"


@pytest.mark.django_db
def test_a_user_of_a_gets_404_on_b_pages_and_api(org_a, org_b, owner_a, programme_a):
    client = tenant_client(org_b, owner_a)  # logged in, but not a member of B
    assert client.get("/").status_code == 404
    assert client.get("/programmes/").status_code == 404
    assert client.get("/members/").status_code == 404
    response = client.get("/api/v1/programmes/")
    assert response.status_code == 404
    assert response.json() == {"message": "Not found.", "errors": {}}


@pytest.mark.django_db
def test_a_user_of_a_cannot_log_into_b(org_a, org_b, owner_a):
    client = tenant_client(org_b)
    response = client.post("/accounts/login/", {"username": owner_a.email, "password": PASSWORD})
    assert response.status_code == 200  # the form again, with the usual message
    assert "correct email address and password" in response.content.decode().replace(
        "e-mail", "email")
    assert "_auth_user_id" not in client.session
    # The same credentials work on A.
    client_a = tenant_client(org_a)
    response = client_a.post("/accounts/login/", {"username": owner_a.email,
                                                  "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.django_db
def test_token_of_a_user_of_a_is_refused_on_b(org_a, org_b, owner_a):
    token = public_client().post("/api/v1/auth/token/",
                                 {"username": owner_a.email, "password": PASSWORD}).json()["token"]
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    assert tenant_client(org_a).get("/api/v1/me/", **auth).json()["role"] == "owner"
    assert tenant_client(org_b).get("/api/v1/me/", **auth).status_code == 404


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_login(org_a):
    client = tenant_client(org_a)
    response = client.get("/programmes/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/programmes/"
    assert client.get("/api/v1/programmes/").status_code in (401, 403)


@pytest.mark.django_db
def test_unknown_host_gets_the_404_page():
    from django.test import Client

    response = Client(HTTP_HOST="nobody-here.localhost").get("/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.django_db
def test_template_schema_is_not_reachable():
    from django.test import Client

    response = Client(HTTP_HOST="tenant-template.localhost").get("/accounts/login/")
    assert response.status_code == 404
