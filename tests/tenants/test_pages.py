import pytest
from django.core import signing

from tenants.handoff import make_handoff_url
from tenants.models import Organisation

from ..conftest import PASSWORD, public_client, tenant_client


@pytest.mark.django_db
def test_landing_and_signup_land_logged_in_on_the_new_space():
    client = public_client()
    assert "Start a free 30-day trial" in client.get("/").content.decode()
    response = client.post("/signup/", {
        "name": "Green Town", "slug": "green-town", "kind": "local_authority",
        "locale": "en", "full_name": "Ana Lopez", "email": "ana@greentown.example",
        "password": PASSWORD,
    })
    assert response.status_code == 302
    handoff = response["Location"]
    assert handoff.startswith("http://green-town.localhost:8000/accounts/handoff/")
    tenant = tenant_client(Organisation.objects.get(slug="green-town"))
    landed = tenant.get(handoff.split(":8000", 1)[1], follow=True)
    assert landed.status_code == 200
    assert "Green Town" in landed.content.decode()
    assert "Your role: Owner" in landed.content.decode()
    # The handoff link worked once.
    again = tenant_client(Organisation.objects.get(slug="green-town"))
    assert again.get(handoff.split(":8000", 1)[1]).status_code == 302
    assert again.get("/").status_code == 302  # to login: not logged in


@pytest.mark.django_db
def test_signup_errors_name_the_field_and_create_nothing(org_a):
    response = public_client().post("/signup/", {
        "name": "Copy", "slug": org_a.slug, "kind": "company", "locale": "en",
        "full_name": "X", "email": "x@copy.example", "password": "123",
    })
    assert response.status_code == 200
    page = response.content.decode()
    assert "already taken" in page
    assert "too short" in page
    assert not Organisation.objects.filter(name="Copy").exists()


@pytest.mark.django_db
def test_handoff_is_bound_to_its_organisation(org_a, org_b, owner_a):
    url = make_handoff_url(owner_a, org_a)
    path = url.split(":8000", 1)[1]
    assert tenant_client(org_b).get(path, follow=True).redirect_chain[-1][0].startswith(
        "/accounts/login/")
    forged = path.replace(path.split("/")[3], signing.dumps({"u": owner_a.pk}, salt="other"))
    assert tenant_client(org_a).get(forged).status_code == 302
    assert tenant_client(org_a).get(path).url == "/"


@pytest.mark.django_db
def test_my_spaces_lists_memberships_and_enters_with_handoff(org_a, org_b, owner_a):
    client = public_client(owner_a)
    page = client.get("/accounts/").content.decode()
    assert org_a.name in page
    assert org_b.name not in page
    assert client.get(f"/accounts/spaces/{org_a.slug}/")["Location"].startswith(
        "http://testco.localhost:8000/accounts/handoff/")
    assert client.get(f"/accounts/spaces/{org_b.slug}/").status_code == 404


@pytest.mark.django_db
def test_language_switch_to_french(org_a, owner_a):
    client = tenant_client(org_a, owner_a)
    response = client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert '<html lang="fr">' in page
    assert "Programmes récents" in page
    assert "Votre rôle" in page
    english = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert english.status_code == 302
    assert "Recent programmes" in client.get("/").content.decode()


@pytest.mark.django_db
def test_french_sign_up_page_and_404():
    client = public_client()
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert "Créer mon espace" in client.get("/signup/").content.decode()
    from django.test import Client

    missing = Client(HTTP_HOST="nowhere.localhost", HTTP_ACCEPT_LANGUAGE="fr").get("/")
    assert "Page introuvable" in missing.content.decode()


@pytest.mark.django_db
def test_programme_form_errors_and_viewer_cannot_create(org_a, manager_a, viewer_a):
    client = tenant_client(org_a, manager_a)
    bad = client.post("/programmes/", {"name": "Backwards", "starts_on": "2027-05-02",
                                       "ends_on": "2027-05-01", "participant_target": 10})
    assert bad.status_code == 400
    assert "The end date must be on or after the start date." in bad.content.decode()
    ok = client.post("/programmes/", {"name": "Forwards", "starts_on": "2027-05-01",
                                      "ends_on": "2027-05-02", "participant_target": 10})
    assert ok.status_code == 302
    viewer = tenant_client(org_a, viewer_a)
    assert "New programme" not in viewer.get("/programmes/").content.decode()
    assert viewer.post("/programmes/", {"name": "Nope", "starts_on": "2027-05-01",
                                        "ends_on": "2027-05-02"}).status_code == 404


@pytest.mark.django_db
def test_static_assets_are_local(org_a, owner_a):
    page = tenant_client(org_a, owner_a).get("/").content.decode()
    assert "/static/vendor/htmx/htmx.min.js" in page
    assert "/static/vendor/pico/pico.min.css" in page
    assert "https://" not in page
