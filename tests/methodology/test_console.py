"""The authoring console (public site, consultants only) and the tenant-side library."""

import re

import pytest
from django_tenants.utils import tenant_context

from engagement.models import Programme
from methodology import document
from methodology.models import Template
from methodology.selectors import latest_published, version_document
from methodology.services import draft_create, template_create

from ..conftest import public_client, tenant_client


def _yaml_of(slug: str) -> str:
    return document.dump_yaml(version_document(latest_published(Template.objects.get(slug=slug))))


@pytest.mark.django_db
def test_console_is_for_consultants_only(owner_a, consultant):
    assert public_client().get("/console/").status_code == 302  # log in first
    assert public_client(owner_a).get("/console/").status_code == 404
    page = public_client(consultant).get("/console/")
    assert page.status_code == 200
    assert "Family beach clean-up" in page.content.decode()
    # Nothing of the console exists on a tenant host.
    assert tenant_client(owner_a.memberships.first().organisation, owner_a).get(
        "/console/").status_code == 404


@pytest.mark.django_db
def test_consultant_creates_edits_previews_publishes_and_diffs(consultant):
    client = public_client(consultant)
    text = _yaml_of("values-day").replace("slug: values-day", "slug: team-values-day")
    created = client.post("/console/new/", {"document": text})
    assert created.status_code == 302
    assert created["Location"] == "/console/team-values-day/v1/edit/"

    # An edit with a hole: saved, but listed as to fix, and publication is refused.
    broken = text.replace("en: Values day", "en: ''", 1).replace(
        "{organisation_name}", "{company}", 1)
    assert broken.count("{company}") == 1 and "en: Values day" not in broken
    saved = client.post("/console/team-values-day/v1/edit/", {"document": broken})
    assert saved.status_code == 200
    assert "Unknown placeholder(s): {company}" in saved.content.decode()
    assert "title.en" in saved.content.decode()
    refused = client.post("/console/team-values-day/v1/publish/", {"confirm": "final"})
    assert refused.status_code == 400
    assert "Publication refused" in refused.content.decode()

    fixed = client.post("/console/team-values-day/v1/edit/", {"document": text,
                                                               "preview": "1"})
    assert fixed["Location"] == "/console/team-values-day/v1/"
    assert client.post("/console/team-values-day/v1/publish/",
                       {"confirm": "final"}).status_code == 302
    preview = client.get("/console/team-values-day/v1/").content.decode()
    assert "Published versions never change." in preview

    # A published version is not editable; "edit" makes v2.
    assert client.get("/console/team-values-day/v1/edit/").status_code == 302
    assert client.post("/console/team-values-day/new-draft/")["Location"] == \
        "/console/team-values-day/v2/edit/"
    changed = text.replace("en: Values day", "en: Values week", 1)
    assert changed != text
    client.post("/console/team-values-day/v2/edit/", {"document": changed})
    client.post("/console/team-values-day/v2/publish/", {"confirm": "final",
                                                        "one_language_checked": "1"})
    diff = client.get("/console/team-values-day/diff/?a=1&b=2").content.decode()
    assert "Values week" in diff
    assert "changed" in diff


@pytest.mark.django_db
def test_console_names_the_field_of_a_yaml_or_catalogue_error(consultant):
    client = public_client(consultant)
    response = client.post("/console/new/", {"document": "slug: [unclosed"})
    assert response.status_code == 400
    assert "The YAML could not be read" in response.content.decode()
    text = _yaml_of("values-day").replace("slug: values-day", "slug: other-day").replace(
        "code: pledges_made", "code: smiles_counted")
    response = client.post("/console/new/", {"document": text})
    assert response.status_code == 400
    page = response.content.decode()
    assert "indicators[" in page and "is not in the impact indicator catalogue" in page
    assert not Template.objects.filter(slug="other-day").exists()


@pytest.mark.django_db
def test_tenant_users_read_published_versions_only(org_a, owner_a, consultant):
    doc = version_document(latest_published(Template.objects.get(slug="values-day")))
    doc["slug"] = "secret-draft"
    doc["title"] = {"fr": "Brouillon secret", "en": "Secret draft"}
    template_create(doc=doc, user=consultant)
    client = tenant_client(org_a, owner_a)
    library = client.get("/methodology/").content.decode()
    assert "Family beach clean-up" in library
    assert "Secret draft" not in library
    assert client.get("/methodology/secret-draft/").status_code == 404
    assert client.get("/api/v1/templates/secret-draft/").status_code == 404
    slugs = [t["slug"] for t in client.get("/api/v1/templates/").json()]
    assert "secret-draft" not in slugs and "beach-clean-up" in slugs


@pytest.mark.django_db
def test_library_filters_by_audience_and_theme_with_htmx(org_a, owner_a):
    client = tenant_client(org_a, owner_a)
    citizens = client.get("/methodology/", {"audience": "citizens"},
                          HTTP_HX_REQUEST="true").content.decode()
    assert "Municipal" in citizens or "greening" in citizens.lower()
    assert "Family beach clean-up" not in citizens
    assert "<html" not in citizens  # a fragment for HTMX
    road = client.get("/methodology/", {"theme": "road_safety"}).content.decode()
    assert "<html" in road
    api = client.get("/api/v1/templates/", {"audience": "customers"}).json()
    assert {t["slug"] for t in api} == {"beach-clean-up", "plastic-bag-awareness"}


@pytest.mark.django_db
def test_manager_instantiates_from_the_page_and_viewer_cannot(org_a, manager_a, viewer_a):
    client = tenant_client(org_a, manager_a)
    bad = client.post("/methodology/beach-clean-up/", {
        "name": "Beach", "starts_on": "2027-06-01", "action_date": "2027-06-20",
        "ends_on": "2027-05-01", "participant_target": 80})
    assert bad.status_code == 400
    assert "The end date must be on or after the start date." in bad.content.decode()
    ok = client.post("/methodology/beach-clean-up/", {
        "name": "Beach", "starts_on": "2027-05-01", "action_date": "2027-06-20",
        "ends_on": "2027-09-01", "participant_target": 80})
    assert ok.status_code == 302
    with tenant_context(org_a):
        programme = Programme.objects.get(name="Beach")
    assert ok["Location"] == f"/programmes/{programme.pk}/"
    viewer = tenant_client(org_a, viewer_a)
    assert "Start a programme from this template" not in viewer.get(
        "/methodology/beach-clean-up/").content.decode()
    assert viewer.post("/methodology/beach-clean-up/", {
        "name": "V", "starts_on": "2027-05-01", "action_date": "2027-06-20",
        "ends_on": "2027-09-01", "participant_target": 80}).status_code == 404


@pytest.mark.django_db
def test_checklist_highlights_overdue_steps_and_updates_status_with_htmx(
        org_a, manager_a, viewer_a):
    client = tenant_client(org_a, manager_a)
    client.post("/methodology/values-day/", {
        "name": "Past due", "starts_on": "2020-01-01", "action_date": "2020-03-01",
        "ends_on": "2030-01-01", "participant_target": 50})
    with tenant_context(org_a):
        programme = Programme.objects.get(name="Past due")
        step = programme.steps.order_by("position").first()
    page = client.get(f"/programmes/{programme.pk}/").content.decode()
    assert 'class="overdue' in page
    assert "overdue" in page
    row = client.post(f"/programmes/{programme.pk}/steps/{step.pk}/", {"status": "done"},
                      HTTP_HX_REQUEST="true")
    assert row.status_code == 200
    fragment = row.content.decode()
    assert fragment.startswith("<tr") and 'value="done" selected' in fragment
    assert 'class="overdue' not in fragment
    assert tenant_client(org_a, viewer_a).post(
        f"/programmes/{programme.pk}/steps/{step.pk}/", {"status": "todo"}).status_code == 404


@pytest.mark.django_db
def test_programme_page_offers_the_newer_version_and_applies_it(org_a, manager_a, consultant):
    client = tenant_client(org_a, manager_a)
    client.post("/methodology/chalet-building/", {
        "name": "Chalets", "starts_on": "2027-01-01", "action_date": "2027-03-01",
        "ends_on": "2027-06-01", "participant_target": 50})
    with tenant_context(org_a):
        programme = Programme.objects.get(name="Chalets")
    assert "is available" not in client.get(f"/programmes/{programme.pk}/").content.decode()
    template = Template.objects.get(slug="chalet-building")
    draft = draft_create(template=template, user=consultant)
    doc = version_document(draft)
    doc["phases"][0]["steps"][0]["title"]["en"] = "A better first step"
    from methodology.services import draft_update, version_publish

    draft_update(version=draft, doc=doc)
    version_publish(version=draft)
    page = client.get(f"/programmes/{programme.pk}/").content.decode()
    assert re.search(r"Version \d+ of this methodology, of .+, is available", page)
    diff = client.get(f"/programmes/{programme.pk}/upgrade/").content.decode()
    assert "A better first step" in diff
    # The form names the version it showed; a stale or repeated submit applies nothing.
    assert client.post(f"/programmes/{programme.pk}/upgrade/", {"version": "99"}
                       )["Location"] == f"/programmes/{programme.pk}/upgrade/"
    assert client.post(f"/programmes/{programme.pk}/upgrade/",
                       {"version": draft.number}).status_code == 302
    assert "A better first step" in client.get(f"/programmes/{programme.pk}/").content.decode()
    assert client.post(f"/programmes/{programme.pk}/upgrade/",
                       {"version": draft.number}).status_code == 404  # nothing newer now


@pytest.mark.django_db
def test_api_reads_library_and_creates_programme_and_updates_steps(
        org_a, org_b, manager_a, viewer_a, owner_b):
    client = tenant_client(org_a, manager_a)
    levers = client.get("/api/v1/levers/").json()
    assert {"personal_invitation", "social_proof"} <= {lv["code"] for lv in levers}
    assert client.get("/api/v1/indicators/trees_planted/").json()["sdg"] == 15
    detail = client.get("/api/v1/templates/road-safety-prevention/").json()
    assert detail["document"]["phases"][0]["code"] == "frame"
    assert client.get("/api/v1/templates/road-safety-prevention/versions/").json()[0][
        "number"] == detail["number"]
    bad = client.post("/api/v1/programmes/from-template/", {
        "version": detail["id"], "name": "R", "starts_on": "2027-09-01",
        "action_date": "2027-10-01", "ends_on": "2027-08-01"}, content_type="application/json")
    assert bad.status_code == 400 and "ends_on" in bad.json()["errors"]
    created = client.post("/api/v1/programmes/from-template/", {
        "version": detail["id"], "name": "Road", "starts_on": "2027-09-01",
        "action_date": "2027-10-01", "ends_on": "2027-12-01"}, content_type="application/json")
    assert created.status_code == 201, created.content
    programme_id = created.json()["id"]
    assert created.json()["template_version"]["slug"] == "road-safety-prevention"
    steps = client.get(f"/api/v1/programmes/{programme_id}/steps/").json()
    assert steps and steps[0]["title"]["fr"]
    patched = client.patch(f"/api/v1/programmes/{programme_id}/steps/{steps[0]['id']}/",
                           {"status": "done"}, content_type="application/json")
    assert patched.json()["status"] == "done" and patched.json()["completed_at"]
    invalid = client.patch(f"/api/v1/programmes/{programme_id}/steps/{steps[0]['id']}/",
                           {"status": "finished"}, content_type="application/json")
    assert invalid.status_code == 400 and "status" in invalid.json()["errors"]
    assert tenant_client(org_a, viewer_a).patch(
        f"/api/v1/programmes/{programme_id}/steps/{steps[0]['id']}/", {"status": "todo"},
        content_type="application/json").status_code == 403
    # Another organisation sees neither the programme nor its steps.
    other = tenant_client(org_b, owner_b)
    assert other.get(f"/api/v1/programmes/{programme_id}/steps/").status_code == 404


@pytest.mark.django_db
def test_library_and_console_speak_french(org_a, owner_a, consultant):
    client = tenant_client(org_a, owner_a)
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    page = client.get("/methodology/").content.decode()
    assert "Bibliothèque méthodologique" in page
    assert "Nettoyage de plage en famille" in page
    console = public_client(consultant)
    console.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert "Console méthodologique" in console.get("/console/").content.decode()
