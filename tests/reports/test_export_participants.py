"""The participants CSV is read in one query whatever its size, and writes, byte for byte,
what a row built from each participant's model (the name of their source, yes/no, their
team's name) says."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from engagement.models import Participant, Pledge, Team
from reports import exports
from tenants.access import sees_participant_identity
from tenants.models import ConsultantAssignment

from ..conftest import tenant_client
from .test_metrics import build_world

URL = "/dashboard/exports/participants.csv"


def _streamed(client, **headers) -> tuple[bytes, int]:
    """The whole download and the number of queries it took, streaming included."""
    with CaptureQueriesContext(connection) as queries:
        body = b"".join(client.get(URL, **headers).streaming_content)
    return body, len(queries.captured_queries)


def _people(count: int, team: Team) -> None:
    Participant.objects.bulk_create(
        Participant(email=f"p{n}@example.test", first_name=f"P{n}", team=team if n % 2 else None,
                    source=Participant.Source.choices[n % len(Participant.Source.choices)][0],
                    consent_to_contact=n % 3 == 0)
        for n in range(count))


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_participants(org_a, manager_a):
    client = tenant_client(org_a, manager_a)
    with tenant_context(org_a):
        team = Team.objects.create(name="Ops")
        _people(3, team)
    small, small_queries = _streamed(client)
    with tenant_context(org_a):
        Participant.objects.all().delete()
        _people(30, team)
    large, large_queries = _streamed(client)
    assert small.count(b"\r\n") == 1 + 3 and large.count(b"\r\n") == 1 + 30
    assert large_queries == small_queries


def _by_model(access) -> list[list]:
    """Each row as built from the participant's model instance, one at a time."""
    rows = []
    for person in Participant.objects.select_related("team").order_by("pk"):
        named = sees_participant_identity(access, consented=person.consent_to_contact)
        rows.append([person.pk, person.email if named else "",
                     person.first_name if named else "", person.last_name if named else "",
                     person.team.name if person.team else "", person.site, person.postcode,
                     person.age_band, person.language, person.get_source_display(),
                     exports._yes_no(person.consent_to_contact), person.referred_by_id or "",
                     person.pledges.filter(status=Pledge.Status.CONFIRMED).count()])
    return rows


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "fr"])
def test_rows_are_those_built_from_each_participant(org_a, owner_a, manager_a, consultant,
                                                    language):
    from django.utils import translation

    with tenant_context(org_a):
        build_world(owner_a)  # a team, referrals, confirmed and cancelled pledges
        Participant.objects.filter(email="a@example.test").update(
            consent_to_contact=True, first_name="=Ada", last_name="Lovelace; \"AL\"",
            site="Lyon", postcode="69001", age_band="30-39", language="en",
            source=Participant.Source.WALK_IN)
        Participant.objects.filter(email="b@example.test").update(
            first_name="Bob", source=Participant.Source.INVITATION)
    ConsultantAssignment.objects.create(consultant=consultant, organisation=org_a)
    for user in (manager_a, consultant):
        client = tenant_client(org_a, user)
        body, _ = _streamed(client, HTTP_ACCEPT_LANGUAGE=language)
        access = client.get("/dashboard/").wsgi_request.access
        with tenant_context(org_a), translation.override(language):
            expected = "".join(exports.csv_lines(exports.PARTICIPANT_HEADER,
                                                 _by_model(access))).encode()
            assert any(row[-1] for row in _by_model(access))  # some pledged
            assert any(row[11] for row in _by_model(access))  # some were brought
        assert body == expected, user
