import pytest
from django_tenants.utils import tenant_context

from engagement.models import Programme
from reports.models import Report

from ..conftest import tenant_client


@pytest.mark.django_db
def test_reports_api_requests_and_lists_reports(org_a, org_b, manager_a, viewer_a, owner_b,
                                                django_capture_on_commit_callbacks):
    with tenant_context(org_a):
        programme = Programme.objects.create(name="Coast", starts_on="2027-01-01",
                                             ends_on="2027-06-30")
    manager = tenant_client(org_a, manager_a)
    bad = manager.post("/api/v1/reports/", {"scope": "period", "language": "fr"},
                       content_type="application/json")
    assert bad.status_code == 400 and bad.json()["errors"]
    with django_capture_on_commit_callbacks() as callbacks:
        created = manager.post("/api/v1/reports/", {"scope": "programme",
                                                    "programme": programme.pk,
                                                    "language": "en"},
                               content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "queued" and created.json()["download_url"] is None
    assert len(callbacks) == 1  # the rendering task leaves on commit
    listed = tenant_client(org_a, viewer_a).get("/api/v1/reports/").json()
    assert [r["title"] for r in listed["results"]] == ["Impact report: Coast"]
    assert tenant_client(org_a, viewer_a).post(
        "/api/v1/reports/", {"scope": "programme", "programme": programme.pk},
        content_type="application/json").status_code == 403
    report_id = created.json()["id"]
    assert tenant_client(org_b, owner_b).get(f"/api/v1/reports/{report_id}/"
                                             ).status_code == 404
    with tenant_context(org_a):
        assert Report.objects.get(pk=report_id).requested_by == manager_a
