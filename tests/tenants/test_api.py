import pytest

from tenants.models import Organisation, User

from ..conftest import PASSWORD, public_client, tenant_client


@pytest.mark.django_db
def test_schema_and_offline_docs(org_a, owner_a):
    client = tenant_client(org_a, owner_a)
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/programmes/" in paths
    assert "/api/v1/invitations/" in paths
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()
    assert "/static/drf_spectacular_sidecar/" in html


@pytest.mark.django_db
def test_errors_are_json_with_message_and_fields(org_a, manager_a):
    client = tenant_client(org_a, manager_a)
    response = client.post("/api/v1/programmes/", {"name": "", "starts_on": "2027-05-02",
                                                   "ends_on": "2027-05-01"},
                           content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["message"]
    assert set(body["errors"]) == {"name"}
    backwards = client.post("/api/v1/programmes/", {"name": "B", "starts_on": "2027-05-02",
                                                    "ends_on": "2027-05-01"},
                            content_type="application/json").json()
    assert list(backwards["errors"]) == ["ends_on"]
    created = client.post("/api/v1/programmes/", {"name": "Good", "starts_on": "2027-05-01",
                                                  "ends_on": "2027-05-02"},
                          content_type="application/json")
    assert created.status_code == 201
    assert created.json()["name"] == "Good"


@pytest.mark.django_db
def test_viewer_reads_but_cannot_write(org_a, viewer_a):
    client = tenant_client(org_a, viewer_a)
    assert client.get("/api/v1/programmes/").status_code == 200
    response = client.post("/api/v1/programmes/", {"name": "X", "starts_on": "2027-05-01",
                                                   "ends_on": "2027-05-02"},
                           content_type="application/json")
    assert response.status_code == 403
    assert response.json()["message"]


@pytest.mark.django_db
def test_provisioning_api_is_for_staff_only(owner_a, django_capture_on_commit_callbacks):
    payload = {"name": "Api Co", "slug": "api-co", "owner_email": "o@apico.example",
               "kind": "company", "locale": "en"}
    assert public_client(owner_a).post("/api/v1/organisations/", payload,
                                       content_type="application/json").status_code == 403
    staff = User.objects.create_user(email="staff@fullmobs.test", password=PASSWORD,
                                     is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = public_client(staff).post("/api/v1/organisations/", payload,
                                             content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["url"] == "http://api-co.localhost:8000/"
    assert Organisation.objects.filter(slug="api-co").exists()
    again = public_client(staff).post("/api/v1/organisations/", payload,
                                      content_type="application/json")
    assert again.status_code == 400
    assert "slug" in again.json()["errors"]
    reserved = public_client(staff).post("/api/v1/organisations/", {**payload, "slug": "www"},
                                         content_type="application/json")
    assert "reserved" in reserved.json()["errors"]["slug"][0]
