"""The OpenAPI schema tells the truth: schemathesis calls every operation it describes.

The schema is read from the application itself (``/api/schema/`` on an organisation's host,
and on the public site), and every operation is called through the WSGI application, in
this test's transaction, as a manager of the test organisation (an API token), with a
bounded number of generated requests: valid ones and invalid ones. schemathesis's default
checks apply: no server error, only documented status codes and content types, bodies that
match the documented schema, invalid input refused.
"""

from __future__ import annotations

import sys
from datetime import timedelta

import pytest
import schemathesis
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import tenant_context
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from psycopg.pq import TransactionStatus
from rest_framework.authtoken.models import Token
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from core.roles import Role

from .conftest import host_of, make_member

# Generated requests per operation and mode (valid, invalid): enough to reach every
# documented answer of this API, small enough for CI (the whole module takes about a minute
# on two cores).
EXAMPLES = 6
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
# Two default checks do not fit and are proven elsewhere:
# - ignored_auth: the manager's token is sent as a header of every call, which the check
#   cannot take away; refusals without or with a wrong token are the isolation matrix's
#   (tests/test_isolation_matrix.py: anonymous 401/403, outsiders 404, tokens included);
# - positive_data_acceptance: a schema cannot say that a referenced id must exist in this
#   organisation or that a slot must end after it starts; such refusals are 400s naming the
#   field, which the schema documents.
EXCLUDED_CHECKS = [ignored_auth, positive_data_acceptance]


def seed(organisation, manager) -> None:
    """A few records with small ids, so that generated ids sometimes name a real one."""
    from engagement.models import ProgrammeIndicator

    from .factories import CampaignFactory, ParticipantFactory, ProgrammeFactory, SlotFactory

    with tenant_context(organisation):
        programme = ProgrammeFactory(name="Beach")
        ProgrammeIndicator.objects.create(programme=programme, code="waste_kg", position=1,
                                          unit="kg", label_fr="Déchets", label_en="Waste", sdg=12)
        start = timezone.now() + timedelta(days=10)
        campaign = CampaignFactory(programme=programme, title="Beach day", starts_at=start,
                                   mobilisation_deadline=start - timedelta(days=2))
        SlotFactory(campaign=campaign, capacity=10)
        ParticipantFactory(email="ann@people.test", first_name="Ann")


def _caller(operation, mode, calls: list, *, base_url: str, headers: dict[str, str]):
    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(max_examples=EXAMPLES, deadline=None, database=None,
                         derandomize=True, phases=[Phase.explicit, Phase.generate],
                         suppress_health_check=list(HealthCheck))
    def call(case):
        calls.append(case)
        # A request that fails in the database must not poison the next ones: each runs in
        # its own savepoint, rolled back when the transaction was left in error.
        with transaction.atomic():
            response = case.call(base_url=base_url, headers=headers)
            if connection.connection.info.transaction_status == TransactionStatus.INERROR:
                transaction.set_rollback(True)
        case.validate_response(response, excluded_checks=EXCLUDED_CHECKS)
    return call


def run_operations(schema, *, base_url: str, headers: dict[str, str]) -> tuple[int, int, list]:
    operations = examples = 0
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in MODES:
            calls: list = []
            call = _caller(operation, mode, calls, base_url=base_url, headers=headers)
            try:
                call()
            except Unsatisfiable:
                pass  # nothing of this operation can be made invalid (no parameter, no body)
            except (AssertionError, FailureGroup) as error:
                failures.append(f"{operation.label} ({mode.value}): {error}")
            examples += len(calls)
    return operations, examples, failures


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The WSGI handler closes the database connection after each request (Django's test
    client unhooks that too): keep it, it holds this test's transaction."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.django_db
def test_the_organisation_api_answers_as_its_schema_says(org_a):
    manager = make_member(org_a, Role.MANAGER)
    seed(org_a, manager)
    token = Token.objects.create(user=manager).key
    host = host_of(org_a)
    app = get_wsgi_application()
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app,
                                            headers={"Host": host})
    operations, examples, failures = run_operations(
        schema, base_url=f"http://{host}", headers={"Authorization": f"Token {token}"})
    sys.stdout.write(f"\nschemathesis, organisation API: {operations} operations, "
                     f"{examples} requests\n")
    assert operations > 30
    assert not failures, "\n\n".join(failures)


@pytest.mark.django_db
def test_the_public_api_answers_as_its_schema_says():
    from tenants.models import User

    staff = User.objects.create_user(email="staff@fullmobs.test", password="x" * 20,
                                     is_staff=True)
    token = Token.objects.create(user=staff).key
    host = settings.BASE_DOMAIN
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application(),
                                            headers={"Host": host})
    operations, examples, failures = run_operations(
        schema, base_url=f"http://{host}", headers={"Authorization": f"Token {token}"})
    sys.stdout.write(f"\nschemathesis, public API: {operations} operations, {examples} requests\n")
    assert operations >= 2
    assert not failures, "\n\n".join(failures)


# ---- what schemathesis found, held by plain tests ------------------------------------------


@pytest.mark.django_db
def test_an_unknown_api_address_is_a_json_404_on_every_host(org_a, owner_a):
    from .conftest import public_client, tenant_client

    for client, path in ((tenant_client(org_a, owner_a), "/api/v1/campaigns/1.5/"),
                         (public_client(), "/api/v1/nothing-here/")):
        response = client.patch(path, "{}", content_type="application/json")
        assert response.status_code == 404
        assert response.json() == {"message": "Not found.", "errors": {}}


@pytest.mark.django_db
def test_each_host_schema_describes_its_own_api(org_a):
    from .conftest import public_client, tenant_client

    public = public_client().get("/api/schema/?format=json").json()["paths"]
    assert set(public) == {"/api/v1/auth/token/", "/api/v1/organisations/",
                           "/api/v1/portfolio/"}
    tenant = tenant_client(org_a).get("/api/schema/?format=json").json()["paths"]
    assert "/api/v1/programmes/" in tenant and "/api/v1/auth/token/" not in tenant
    listing = tenant["/api/v1/programmes/"]["get"]["responses"]
    assert {"400", "401", "403", "404", "429"} <= set(listing)


@pytest.mark.django_db
def test_templates_refuse_an_unknown_filter_naming_it(org_a, owner_a):
    from .conftest import tenant_client

    response = tenant_client(org_a, owner_a).get("/api/v1/templates/?theme=nothing")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["theme"]
