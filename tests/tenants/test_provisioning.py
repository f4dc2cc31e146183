import re

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import schema_context

from core.errors import DomainError
from core.roles import Role
from tenants import schema_clone
from tenants.models import Domain, Invitation, Membership, Organisation, User
from tenants.services import organisation_provision

from ..conftest import PASSWORD, drop_organisation, public_client, tenant_client


def schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cursor.fetchone() is not None


def tables_of(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [schema]
        )
        return {row[0] for row in cursor.fetchall()}


def _same_check(definition: str) -> str:
    """A CHECK "IN (...)" (or a partial index's condition) as PostgreSQL prints it after a
    migration,
    ``= ANY ((ARRAY['fr'::character varying, ...])::text[])``, and after pg_dump's text is
    read back, ``= ANY (ARRAY[('fr'::character varying)::text, ...])``: one spelling of
    the same rule, so that only a real difference between the schemas fails the test."""
    definition = re.sub(r"\(('(?:[^']|'')*'::character varying)\)::text", r"\1", definition)
    return re.sub(r"\((ARRAY\[[^\]]*\])\)::text\[\]", r"\1", definition)


def structure_of(schema: str) -> dict:
    """Columns, constraints and indexes of a schema, without the schema's name."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type, is_nullable, column_default IS NOT NULL,"
            " is_identity FROM information_schema.columns WHERE table_schema = %s", [schema])
        columns = sorted(cursor.fetchall())
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, contype, "
            "replace(pg_get_constraintdef(c.oid), %s, '') FROM pg_constraint c "
            "JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = %s",
            [f"{schema}.", schema])
        constraints = sorted((t.split(".")[-1], n, ty, _same_check(d))
                             for t, n, ty, d in cursor.fetchall())
        cursor.execute(
            "SELECT indexname, replace(indexdef, %s, '') FROM pg_indexes WHERE schemaname = %s",
            [f"{schema}.", schema])
        indexes = sorted((name, _same_check(d)) for name, d in cursor.fetchall())
    return {"columns": columns, "constraints": constraints, "indexes": indexes}


@pytest.mark.django_db
def test_provisioning_creates_schema_domain_owner_and_invitation(
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        organisation = organisation_provision(
            name="Ville de Test", slug="ville-test", owner_email="Maire@Ville-Test.example",
            kind=Organisation.Kind.LOCAL_AUTHORITY, locale="fr",
        )
    assert organisation.schema_name == "ville_test"
    assert schema_exists("ville_test")
    assert {"engagement_programme", "django_migrations"} <= tables_of("ville_test")
    assert Domain.objects.get(tenant=organisation).domain == f"ville-test.{settings.BASE_DOMAIN}"
    owner = User.objects.get(email="maire@ville-test.example")
    assert Membership.objects.get(organisation=organisation, user=owner).role == Role.OWNER
    assert organisation.status == Organisation.Status.TRIAL
    assert organisation.trial_ends_at is not None
    # No password yet: the owner gets an invitation link to choose one, in French.
    invitation = Invitation.objects.get(organisation=organisation)
    assert invitation.role == Role.OWNER
    assert len(mail.outbox) == 1
    assert "ville-test.localhost" in mail.outbox[0].body
    assert "Votre espace" in mail.outbox[0].subject


@pytest.mark.django_db
def test_owner_logs_in_on_the_new_host():
    organisation_provision(name="Newco", slug="newco", owner_email="boss@newco.example",
                           owner_password=PASSWORD)
    organisation = Organisation.objects.get(slug="newco")
    client = tenant_client(organisation)
    response = client.post("/accounts/login/",
                           {"username": "boss@newco.example", "password": PASSWORD})
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    assert "Newco" in home.content.decode()


@pytest.mark.django_db
def test_clone_has_the_same_structure_as_the_migrated_template():
    organisation_provision(name="Shape", slug="shape-check", owner_email="o@shape.example")
    assert structure_of("shape_check") == structure_of(settings.TENANT_TEMPLATE_SCHEMA)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM shape_check.django_migrations")
        cloned = cursor.fetchone()[0]
        cursor.execute(f"SELECT count(*) FROM {settings.TENANT_TEMPLATE_SCHEMA}.django_migrations")
        assert cloned == cursor.fetchone()[0] > 0
    # The clone is usable through the ORM like any tenant.
    from engagement.models import Programme

    with schema_context("shape_check"):
        Programme.objects.create(name="P", starts_on="2027-01-01", ends_on="2027-02-01")
        assert Programme.objects.count() == 1


@pytest.mark.parametrize("slug", ["www", "api", "admin", "public", "tenant-template"])
@pytest.mark.django_db
def test_reserved_slugs_are_refused(slug):
    with pytest.raises(DomainError) as excinfo:
        organisation_provision(name="X", slug=slug, owner_email="x@example.test")
    assert "slug" in excinfo.value.errors
    assert "reserved" in excinfo.value.errors["slug"][0]


@pytest.mark.django_db
def test_duplicate_and_malformed_slugs_and_fields_are_refused(org_a):
    with pytest.raises(DomainError) as excinfo:
        organisation_provision(name="Again", slug=org_a.slug, owner_email="x@example.test")
    assert "already taken" in excinfo.value.errors["slug"][0]
    with pytest.raises(DomainError) as excinfo:
        organisation_provision(name="", slug="Bad_Slug!", owner_email="not-an-email")
    assert set(excinfo.value.errors) == {"name", "slug", "owner_email"}


@pytest.mark.django_db
def test_missing_template_is_an_error_not_a_slow_path():
    with connection.cursor() as cursor:  # rolled back with the test
        cursor.execute(f"ALTER SCHEMA {settings.TENANT_TEMPLATE_SCHEMA} RENAME TO moved_away")
    with pytest.raises(schema_clone.TemplateSchemaError, match="does not exist"):
        organisation_provision(name="No template", slug="no-template", owner_email="o@x.test")
    assert not Organisation.objects.filter(slug="no-template").exists()
    assert not schema_exists("no_template")


@pytest.mark.django_db
def test_stale_template_is_an_error(monkeypatch):
    expected = schema_clone.expected_tenant_migrations() | {("engagement", "9999_future")}
    monkeypatch.setattr(schema_clone, "expected_tenant_migrations", lambda: expected)
    with pytest.raises(schema_clone.TemplateSchemaError, match="engagement.9999_future"):
        organisation_provision(name="Stale", slug="stale-check", owner_email="o@x.test")
    assert not schema_exists("stale_check")


def test_failure_halfway_leaves_nothing_behind(committed, monkeypatch):
    """With real commits: the schema is created, then the domain step fails."""
    def exploding_create(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Domain.objects, "create", exploding_create)
    try:
        with pytest.raises(RuntimeError, match="disk full"):
            organisation_provision(name="Half", slug="half-made",
                                   owner_email="half@half.example", owner_password=PASSWORD)
        assert not schema_exists("half_made")
        assert not Organisation.objects.filter(slug="half-made").exists()
        assert not User.objects.filter(email="half@half.example").exists()
        assert not Membership.objects.filter(user__email="half@half.example").exists()
    finally:
        leftover = Organisation.objects.filter(slug="half-made").first()
        if leftover:
            drop_organisation(leftover)


@pytest.mark.django_db
def test_management_command_provisions_and_reports_errors(capsys):
    call_command("provision_organisation", "cmd-co", "Command Co", "o@cmd.example",
                 "--kind", "association")
    assert Organisation.objects.get(slug="cmd-co").kind == "association"
    assert "cmd-co.localhost" in capsys.readouterr().out
    with pytest.raises(CommandError, match="already taken"):
        call_command("provision_organisation", "cmd-co", "Again", "o@cmd.example")


@pytest.mark.django_db
def test_an_account_registered_in_advance_does_not_get_a_new_organisation(
        django_capture_on_commit_callbacks):
    """Someone registers the future owner's address first; staff then provision the
    organisation for that address: the squatter must not become its owner."""
    squatter = User.objects.create_user(email="ceo@bigclient.example", password=PASSWORD,
                                        preferred_language="en")
    with django_capture_on_commit_callbacks(execute=True):
        organisation = organisation_provision(name="Big Client", slug="bigclient",
                                              owner_email="CEO@bigclient.example")
    assert not Membership.objects.filter(organisation=organisation).exists()
    client = tenant_client(organisation)
    response = client.post("/accounts/login/", {"username": squatter.email,
                                                "password": PASSWORD})
    assert response.status_code == 200  # refused: no access
    # The mailbox holder gets the invitation; accepting needs the account's password.
    assert "Accept it with your Fullmobs password" in mail.outbox[-1].body
    token = mail.outbox[-1].body.split("/invitations/")[1].split("/")[0]
    wrong = client.post(f"/invitations/{token}/", {"password": "not-the-password"})
    assert "Enter the password of your Fullmobs account" in wrong.content.decode()
    assert client.post(f"/invitations/{token}/", {"password": PASSWORD}).status_code == 302
    assert Membership.objects.get(organisation=organisation).user == squatter


@pytest.mark.django_db
@pytest.mark.parametrize("password", ["guessing-is-not-knowing-42", PASSWORD])
def test_sign_up_with_an_existing_address_never_checks_its_password(org_a, password):
    """Right or wrong, the password typed for an address that has an account is never
    checked (no password oracle): nobody is logged in, the space waits for whoever holds
    the mailbox to accept it from the e-mail."""
    response = public_client().post("/signup/", {
        "name": "Sneaky", "slug": "sneaky", "kind": "company", "locale": "en",
        "full_name": "Someone", "email": "owner@testco.test", "password": password})
    assert response.status_code == 200 and "Check your e-mail" in response.content.decode()
    assert "_auth_user_id" not in response.wsgi_request.session
    organisation = Organisation.objects.get(slug="sneaky")
    assert not Membership.objects.filter(organisation=organisation).exists()
    assert organisation.owner_email_verified_at is None
    invitation = Invitation.objects.get(organisation=organisation, role=Role.OWNER)
    assert invitation.email == "owner@testco.test"


@pytest.mark.django_db
def test_leftover_schema_and_bad_time_zone_are_clear_errors():
    with connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA "leftover"')
    with pytest.raises(DomainError) as excinfo:
        organisation_provision(name="L", slug="leftover", owner_email="l@x.example")
    assert "already taken" in excinfo.value.errors["slug"][0]
    with pytest.raises(DomainError) as excinfo:
        organisation_provision(name="T", slug="tz-check", owner_email="t@x.example",
                               timezone_name="Mars/Olympus")
    assert "time_zone" in excinfo.value.errors
