"""The organisation's privacy settings, register and closure through the API
(``/api/v1/organisation/...``): the same services and limits as their pages, errors naming
the field, owners only where the pages are."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tenants.utils import tenant_context
from rest_framework.authtoken.models import Token

from core.roles import Role
from tenants.models import ConsultantAssignment, Organisation

from ..conftest import PASSWORD, host_of, make_member, tenant_client
from ..factories import ParticipantFactory

PRIVACY = "/api/v1/organisation/privacy/"
REGISTER = "/api/v1/organisation/register/"
CLOSURE = "/api/v1/organisation/closure/"


def token_client(organisation: Organisation, user) -> Client:
    token, _ = Token.objects.get_or_create(user=user)
    return Client(HTTP_HOST=host_of(organisation), HTTP_AUTHORIZATION=f"Token {token.key}")


def test_privacy_read_by_members_and_changed_by_owners(org_a, owner_a, viewer_a, manager_a):
    body = tenant_client(org_a, viewer_a).get(PRIVACY).json()
    assert body["participant_retention_months"] == org_a.participant_retention_months
    codes = {row["code"]: row for row in body["legal_bases"]}
    assert set(codes) == {"organising", "pledge_messages", "impact", "future_actions",
                          "running"}
    assert codes["future_actions"] == {**codes["future_actions"], "basis": "consent",
                                       "chosen": False}

    owner = token_client(org_a, owner_a)
    done = owner.patch(PRIVACY, {"participant_retention_months": 12,
                                 "legal_bases": {"impact": "consent"}},
                       content_type="application/json")
    assert done.status_code == 200, done.content
    org_a.refresh_from_db()
    assert org_a.participant_retention_months == 12
    assert org_a.report_retention_months == 36  # left out: unchanged
    assert org_a.legal_bases["impact"] == "consent"
    assert org_a.legal_bases["organising"] == "legitimate_interest"  # the default kept
    assert {row["code"]: row["basis"] for row in done.json()["legal_bases"]}["impact"] == \
        "consent"

    for user in (viewer_a, manager_a):
        refused = token_client(org_a, user).patch(
            PRIVACY, {"report_retention_months": 2}, content_type="application/json")
        assert refused.status_code == 403
    org_a.refresh_from_db()
    assert org_a.report_retention_months == 36


@pytest.mark.parametrize(("payload", "field"), [
    ({"participant_retention_months": 5}, "participant_retention_months"),
    ({"participant_retention_months": 73}, "participant_retention_months"),
    ({"participant_retention_months": "soon"}, "participant_retention_months"),
    ({"report_retention_months": 0}, "report_retention_months"),
    ({"report_retention_months": 121}, "report_retention_months"),
    ({"legal_bases": {"impact": "whim"}}, "legal_bases"),
    ({"legal_bases": {"future_actions": "contract"}}, "legal_bases"),
    ({"legal_bases": "consent"}, "legal_bases"),
])
def test_privacy_bad_values_name_the_field_and_change_nothing(org_a, owner_a, payload, field):
    response = token_client(org_a, owner_a).patch(
        PRIVACY, {"report_retention_months": 60, **payload}, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    org_a.refresh_from_db()
    assert (org_a.participant_retention_months, org_a.report_retention_months,
            org_a.legal_bases) == (24, 36, {})


def test_register_as_json_names_no_participant(org_a, owner_a, viewer_a, consultant):
    ConsultantAssignment.objects.create(consultant=consultant, organisation=org_a)
    consultant.full_name = "Claire Conseil"
    consultant.save()
    with tenant_context(org_a):
        ParticipantFactory(email="ann.secret@people.test", first_name="Annabelle",
                           last_name="Zyx", consent_to_contact=True)
        ParticipantFactory(email="bob.hidden@people.test", first_name="Bobbington")
    response = tenant_client(org_a, viewer_a).get(REGISTER)
    assert response.status_code == 200
    body = response.json()
    for secret in (b"ann.secret", b"people.test", b"Annabelle", b"Zyx", b"Bobbington",
                   b"bob.hidden"):
        assert secret not in response.content
    assert body["counts"] == {**body["counts"], "held": 2, "consenting": 1}
    assert [row["name"] for row in body["consultants"]] == ["Claire Conseil"]
    assert {row["code"] for row in body["purposes"]} >= {"organising", "future_actions"}
    assert [row["role"] for row in body["roles"]] == ["owner", "manager", "viewer"]
    assert body["subprocessors"] and body["categories"]
    # The page shows the same figures (one selector).
    page = tenant_client(org_a, viewer_a).get("/privacy/register/")
    assert page.status_code == 200 and b"Claire Conseil" in page.content


def test_closure_through_the_api(org_a, owner_a):
    client = token_client(org_a, owner_a)
    assert client.get(CLOSURE).json() == {"closing": False, "requested_at": None,
                                          "due_at": None, "archive": "none",
                                          "archive_url": None}
    wrong_password = client.post(CLOSURE, {"password": "nope", "confirm": org_a.slug},
                                 content_type="application/json")
    assert wrong_password.status_code == 400
    assert list(wrong_password.json()["errors"]) == ["password"]
    wrong_address = client.post(CLOSURE, {"password": PASSWORD, "confirm": "otherco"},
                                content_type="application/json")
    assert wrong_address.status_code == 400
    assert list(wrong_address.json()["errors"]) == ["confirm"]
    missing = client.post(CLOSURE, {}, content_type="application/json")
    assert set(missing.json()["errors"]) == {"password", "confirm"}
    org_a.refresh_from_db()
    assert org_a.closure_requested_at is None

    done = client.post(CLOSURE, {"password": PASSWORD, "confirm": org_a.slug},
                       content_type="application/json")
    assert done.status_code == 201, done.content
    state = done.json()
    assert state["closing"] and state["archive"] == "preparing" and state["due_at"]
    org_a.refresh_from_db()
    assert org_a.closure_requested_by == owner_a
    # The space is read-only for every other write, API or not.
    refused = client.patch(PRIVACY, {"report_retention_months": 2},
                           content_type="application/json")
    assert refused.status_code == 403
    assert "closure" in refused.json()["message"]
    assert client.post("/api/v1/programmes/", {"name": "X"},
                       content_type="application/json").status_code == 403
    assert client.get(CLOSURE).json()["closing"] is True
    assert client.get(CLOSURE + "archive/").status_code == 404  # not prepared yet

    cancelled = client.delete(CLOSURE)
    assert cancelled.status_code == 200
    assert cancelled.json()["closing"] is False
    org_a.refresh_from_db()
    assert org_a.closure_requested_at is None
    assert client.delete(CLOSURE).status_code == 404  # nothing left to cancel
    assert client.patch(PRIVACY, {"report_retention_months": 2},
                        content_type="application/json").status_code == 200


@pytest.mark.parametrize("role", [Role.MANAGER, Role.VIEWER])
def test_closure_is_404_to_other_members(org_a, role):
    client = token_client(org_a, make_member(org_a, role))
    assert client.get(CLOSURE).status_code == 404
    assert client.post(CLOSURE, {"password": PASSWORD, "confirm": org_a.slug},
                       content_type="application/json").status_code == 404
    assert client.delete(CLOSURE).status_code == 404
    assert client.get(CLOSURE + "archive/").status_code == 404
    org_a.refresh_from_db()
    assert org_a.closure_requested_at is None


def test_outsiders_and_consultants(org_a, owner_b, consultant):
    ConsultantAssignment.objects.create(consultant=consultant, organisation=org_a)
    outsider = token_client(org_a, owner_b)
    for url in (PRIVACY, REGISTER, CLOSURE):
        assert outsider.get(url).status_code == 404
    assert outsider.patch(PRIVACY, {"report_retention_months": 2},
                          content_type="application/json").status_code == 404
    assert outsider.delete(CLOSURE).status_code == 404
    # A consultant reads the register and the settings, but neither changes them nor closes.
    accompanying = token_client(org_a, consultant)
    assert accompanying.get(REGISTER).status_code == 200
    assert accompanying.patch(PRIVACY, {"report_retention_months": 2},
                              content_type="application/json").status_code == 403
    assert accompanying.get(CLOSURE).status_code == 404
    assert Client(HTTP_HOST=host_of(org_a)).get(PRIVACY).status_code in (401, 403)


def test_the_export_is_downloaded_with_the_owners_token(org_a, owner_a, tmp_path, settings):
    from tenants.services import closure_archive_path, organisation_closure_request

    settings.MEDIA_ROOT = str(tmp_path)
    organisation_closure_request(organisation=org_a, user=owner_a, confirmation=org_a.slug)
    path = closure_archive_path(org_a)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"PK\x05\x06" + b"\0" * 18)  # an empty zip
    client = token_client(org_a, owner_a)
    state = client.get(CLOSURE).json()
    assert state["archive"] == "ready"
    assert state["archive_url"].endswith("/api/v1/organisation/closure/archive/")
    download = client.get(CLOSURE + "archive/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    assert b"".join(download.streaming_content).startswith(b"PK")
    assert Client(HTTP_HOST=host_of(org_a)).get(CLOSURE + "archive/").status_code in (401, 403)
    viewer = token_client(org_a, make_member(org_a, Role.VIEWER))
    assert viewer.get(CLOSURE + "archive/").status_code == 404


@pytest.mark.django_db
def test_wrong_closure_passwords_are_limited(org_a, owner_a, settings):
    from django.core.cache import cache

    cache.clear()
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES,
                               "closure_password": {"subject": "2/hour"}}
    client = token_client(org_a, owner_a)
    answers = [client.post(CLOSURE,
                           {"password": "wrong", "confirm": org_a.slug},
                           content_type="application/json")
               for _ in range(3)]
    cache.clear()
    assert [a.status_code for a in answers] == [400, 400, 429]
