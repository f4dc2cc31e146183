import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tenants.models import Organisation

from ..conftest import public_client, tenant_client


def png(size=(8, 8)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#1d6f42").save(buffer, format="PNG")
    return SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


VALID = {"name": "Test Company", "locale": "fr", "time_zone": "Europe/Paris",
         "brand_colour": "#AA3300"}


@pytest.mark.django_db
def test_owner_changes_branding_and_logo_is_served_only_on_its_host(
        org_a, org_b, owner_a, owner_b, media_root):
    client = tenant_client(org_a, owner_a)
    response = client.post("/settings/", {**VALID, "logo": png()})
    assert response.status_code == 302
    org_a.refresh_from_db()
    assert org_a.brand_colour == "#aa3300"
    assert org_a.locale == "fr"
    url = org_a.logo.url
    assert url.startswith("/media/testco/branding/logo-")
    page = client.get("/").content.decode()
    assert "--brand: #aa3300" in page
    assert url in page
    assert client.get(url).status_code == 200
    # B cannot fetch A's file through B's host, whatever path it tries.
    client_b = tenant_client(org_b, owner_b)
    assert client_b.get(url).status_code == 404
    assert client_b.get(url.replace("/media/testco/", "/media/otherco/../testco/")
                        ).status_code in (400, 404)


@pytest.mark.django_db
def test_bad_settings_name_their_fields_and_change_nothing(org_a, owner_a, media_root):
    def script():
        return SimpleUploadedFile("logo.svg", b"<svg onload='alert(1)'></svg>",
                                  content_type="image/svg+xml")

    response = tenant_client(org_a, owner_a).post("/settings/", {
        "name": "", "locale": "de", "time_zone": "Mars/Olympus", "brand_colour": "red",
        "logo": script()})
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) >= {"name", "locale", "time_zone"}
    org_a_after = Organisation.objects.get(pk=org_a.pk)
    assert org_a_after.name == "Test Company"
    assert not org_a_after.logo
    svg_only = tenant_client(org_a, owner_a).post("/settings/", {**VALID, "logo": script()})
    assert "Upload a PNG, JPEG or WebP image." in svg_only.content.decode()


@pytest.mark.django_db
def test_only_owners_reach_settings(org_a, manager_a):
    assert tenant_client(org_a, manager_a).get("/settings/").status_code == 404
    assert tenant_client(org_a, manager_a).post("/settings/", VALID).status_code == 404


@pytest.mark.django_db
def test_live_address_check(org_a):
    client = public_client()
    assert "Available: free-one.localhost" in client.get(
        "/signup/check-address/", {"slug": "free-one"}).content.decode()
    assert "already taken" in client.get("/signup/check-address/",
                                         {"slug": org_a.slug}).content.decode()
    assert "reserved" in client.get("/signup/check-address/", {"slug": "api"}).content.decode()
    signup = client.get("/signup/").content.decode()
    assert 'hx-get="/signup/check-address/"' in signup
    assert 'id="slug-check"' in signup


# ---- who may join internal campaigns -------------------------------------------------------

@pytest.mark.django_db
def test_provisioning_allows_the_owners_domain_never_a_webmail_one():
    from tenants.services import organisation_provision

    acme = organisation_provision(name="Acme", slug="acme-domains",
                                  owner_email="Lea@Acme-Corp.example")
    solo = organisation_provision(name="Solo", slug="solo-domains",
                                  owner_email="solo.founder@gmail.com")
    assert acme.allowed_email_domains == ["acme-corp.example"]
    assert solo.allowed_email_domains == []


@pytest.mark.django_db
def test_owner_sets_the_allowed_domains_and_colleagues_get_in(org_a, owner_a):
    from django_tenants.utils import tenant_context

    from engagement.models import Campaign, OutboundEmail

    from ..factories import make_campaign

    org_a.allowed_email_domains = []
    org_a.save(update_fields=["allowed_email_domains"])
    client = tenant_client(org_a, owner_a)
    # An empty list is shown pre-filled with the owner's own domain.
    page = client.get("/settings/").content.decode()
    assert "E-mail domains of your people" in page
    assert 'name="allowed_email_domains" value="testco.test"' in page
    saved = client.post("/settings/", {**VALID, "allowed_email_domains":
                                       "@TestCo.test, testco-lyon.example\ntestco.test"})
    assert saved.status_code == 302
    org_a.refresh_from_db()
    assert org_a.allowed_email_domains == ["testco.test", "testco-lyon.example"]
    # A colleague at one of them proves their address and joins an internal campaign.
    with tenant_context(org_a):
        campaign = make_campaign(visibility=Campaign.Visibility.INTERNAL)
    colleague = tenant_client(org_a)
    assert colleague.post(f"/c/{campaign.code}/verify/",
                          {"email": "nina@testco-lyon.example"}).status_code == 302
    with tenant_context(org_a):
        assert OutboundEmail.objects.filter(to_email="nina@testco-lyon.example").exists()


@pytest.mark.django_db
def test_bad_domains_are_refused_naming_the_field(org_a, owner_a):
    org_a.allowed_email_domains = ["testco.test"]
    org_a.save(update_fields=["allowed_email_domains"])
    response = tenant_client(org_a, owner_a).post("/settings/", {
        **VALID, "allowed_email_domains": "testco.test, gmail.com, not a domain"})
    assert response.status_code == 400
    errors = response.context["form"].errors["allowed_email_domains"]
    assert any("“gmail.com” is a public e-mail service" in e for e in errors)
    assert any("“not” is not an e-mail domain" in e for e in errors)
    page = response.content.decode()
    assert 'id="id_allowed_email_domains_errors"' in page
    org_a.refresh_from_db()
    assert org_a.allowed_email_domains == ["testco.test"]


# ---- sign-up: the address follows the name -------------------------------------------------

@pytest.mark.django_db
def test_sign_up_shows_the_real_address_and_derives_it(org_a):
    client = public_client()
    page = client.get("/signup/").content.decode()
    assert "&lt;address&gt;" not in page and "<address>" not in page
    assert ('Your space will be at <strong id="slug-host" data-domain=".localhost:8000">'
            'your-organisation.localhost:8000</strong>') in page
    assert 'data-derive-slug="id_slug"' in page
    assert '<script src="/static/js/organiser.js" defer></script>' in page
    refused = client.post("/signup/", {"name": "Acme", "slug": "acme-co"}).content.decode()
    assert "acme-co.localhost:8000</strong>" in refused
    assert "Available: free-one.localhost:8000" in client.get(
        "/signup/check-address/", {"slug": "free-one"}).content.decode()
