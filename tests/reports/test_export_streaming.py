"""The CSV exports of a large organisation are streamed, never built in memory: the view
answers before any row is read, and the rows come from a server-side cursor (PostgreSQL's
``DECLARE … CURSOR``, Django's ``iterator(chunk_size)``) while the response is written."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from engagement.models import Participant

from ..conftest import tenant_client

EXPORTS = ("participants", "pledges", "impact", "invitations")


@pytest.mark.django_db
@pytest.mark.parametrize("name", EXPORTS)
def test_each_export_is_a_streamed_response(org_a, manager_a, name):
    response = tenant_client(org_a, manager_a).get(f"/dashboard/exports/{name}.csv")
    assert response.status_code == 200
    assert response.streaming and not hasattr(response, "content")
    assert response["Content-Type"] == "text/csv; charset=utf-8"


@pytest.mark.django_db
def test_participants_are_read_through_a_server_side_cursor_while_streaming(org_a,
                                                                            manager_a):
    with tenant_context(org_a):
        Participant.objects.bulk_create(Participant(email=f"p{n}@example.test")
                                        for n in range(50))
    client = tenant_client(org_a, manager_a)
    with CaptureQueriesContext(connection) as answered:
        response = client.get("/dashboard/exports/participants.csv")
    # The view has answered, and no participant has been read yet.
    assert not [q for q in answered.captured_queries
                if '"engagement_participant"' in q["sql"]]
    lines = iter(response.streaming_content)
    next(lines)  # the header
    next(lines)  # the first person: the rows' query is running now
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_cursors WHERE name LIKE '_django_curs_%%'")
        assert cursor.fetchone()[0] == 1  # a named cursor, read chunk by chunk
    assert len(list(lines)) == 49
