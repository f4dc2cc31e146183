"""A participant's rights through the API: GET /api/v1/participants/{id}/export/ and
DELETE /api/v1/participants/{id}/ (erasure), managers and owners only, 404 for anyone else;
both in the schema."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from core.roles import Role
from engagement.models import Participant, PrivacyLog

from ..conftest import make_member, tenant_client
from .test_privacy_service import SECRET_WORDS, person_with_everything


def someone(org):
    with tenant_context(org):
        person, _friend, _campaign = person_with_everything(language="en")
    return person


@pytest.mark.django_db
def test_a_manager_exports_then_erases_a_person(org_a, manager_a):
    person = someone(org_a)
    client = tenant_client(org_a, manager_a)
    export = client.get(f"/api/v1/participants/{person.pk}/export/")
    assert export.status_code == 200
    body = export.json()
    assert body["language"] == "en"
    assert body["sections"][0]["rows"][0]["E-mail address"] == person.email
    assert [s["key"] for s in body["sections"]] == [
        "identity", "pledges", "invitations", "survey_answers", "consents", "emails"]
    gone = client.delete(f"/api/v1/participants/{person.pk}/")
    assert gone.status_code == 204 and gone.content == b""
    with tenant_context(org_a):
        assert Participant.objects.get(pk=person.pk).erased_at is not None
        assert list(PrivacyLog.objects.order_by("pk").values_list("kind", "actor")) == [
            ("export", "organiser"), ("erasure", "organiser")]
    # Erased: nothing more to export or erase; the row shows no one.
    assert client.get(f"/api/v1/participants/{person.pk}/export/").status_code == 404
    assert client.delete(f"/api/v1/participants/{person.pk}/").status_code == 404
    row = client.get(f"/api/v1/participants/{person.pk}/").content.decode()
    for word in SECRET_WORDS:
        assert word not in row


@pytest.mark.django_db
def test_viewers_consultants_and_other_organisations_get_404(org_a, org_b, viewer_a,
                                                            consultant):
    from tenants.models import ConsultantAssignment

    person = someone(org_a)
    with tenant_context(org_a):
        hidden = Participant.objects.create(email="hidden@example.org")
    ConsultantAssignment.objects.create(consultant=consultant, organisation=org_a)
    other = make_member(org_b, Role.MANAGER, "manager-b@example.test")
    for client, pk in [(tenant_client(org_a, viewer_a), person.pk),
                       (tenant_client(org_b, other), person.pk),
                       (tenant_client(org_a, consultant), hidden.pk)]:
        assert client.get(f"/api/v1/participants/{pk}/export/").status_code == 404
        assert client.delete(f"/api/v1/participants/{pk}/").status_code == 404
    assert tenant_client(org_a).delete(
        f"/api/v1/participants/{person.pk}/").status_code in (401, 403)
    with tenant_context(org_a):
        assert not Participant.objects.filter(erased_at__isnull=False).exists()
        assert not PrivacyLog.objects.exists()


@pytest.mark.django_db
def test_the_schema_documents_export_and_erasure(org_a, manager_a):
    schema = tenant_client(org_a, manager_a).get("/api/schema/?format=json")
    paths = schema.json()["paths"]
    assert "get" in paths["/api/v1/participants/{id}/export/"]
    erase = paths["/api/v1/participants/{id}/"]["delete"]
    assert "204" in erase["responses"]
    assert "Erased" in erase["responses"]["204"]["description"]
