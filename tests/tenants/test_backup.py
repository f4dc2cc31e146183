"""One organisation's backup and restore: every table row for row, every file byte for byte,
under its own address, under a new one beside the original, and into another database."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.roles import Role
from demo import engagement as engagement_demo
from engagement.models import (
    OutboundEmail,
    Participant,
    PrivacyLog,
    Programme,
    ProgrammeSurveyQuestion,
    SurveyAnswer,
)
from engagement.services import programme_create_from_template
from methodology.models import Template
from methodology.selectors import latest_published
from reports.models import FiguresSnapshot, Report
from reports.services import report_render, report_request
from tenants.libpq import libpq_dsn
from tenants.models import ConsultantAssignment, Membership, Organisation, User
from tenants.services import organisation_provision
from tenants.services.backup import public_keys, public_references
from tests.conftest import PASSWORD, PYTHON, ROOT, child_env, drop_organisation, tenant_client

SLUG = "backupco"
COPY = "backupco-copy"
# Tables the test organisation may leave empty, with the reason.
MAY_BE_EMPTY: set[str] = set()
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff"
       b"\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
    return settings.MEDIA_ROOT


def _cleanup(*slugs: str) -> None:
    for organisation in Organisation.objects.filter(slug__in=slugs):
        drop_organisation(organisation)


@pytest.fixture
def organisation(committed, media, eager):
    _cleanup(SLUG, COPY)
    User.objects.filter(email__endswith="@backupco.test").delete()
    organisation = organisation_provision(
        name="Backup Company", slug=SLUG, owner_email="owner@backupco.test",
        owner_password=PASSWORD, owner_name="Backup Owner", locale="en",
        status=Organisation.Status.ACTIVE)
    _populate(organisation)
    yield organisation
    _cleanup(SLUG, COPY)
    User.objects.filter(email__endswith="@backupco.test").delete()


def _populate(organisation: Organisation) -> None:
    from billing.catalogue import options
    from billing.models import Subscription

    Subscription.objects.create(organisation=organisation, plan="territory",
                                options=sorted(options()), stripe_status="active")
    owner = User.objects.get(email="owner@backupco.test")
    manager = User.objects.create_user(email="manager@backupco.test", password=PASSWORD)
    Membership.objects.create(user=manager, organisation=organisation, role=Role.MANAGER)
    consultant = User.objects.create_user(email="consultant@backupco.test", password=PASSWORD,
                                          is_consultant=True)
    ConsultantAssignment.objects.create(consultant=consultant, organisation=organisation)
    today = timezone.localdate()
    with tenant_context(organisation):
        organisation.logo.save("branding/logo.png", ContentFile(PNG), save=True)
        version = latest_published(Template.objects.get(slug="values-day"))
        programme = programme_create_from_template(
            version=version, name="Values Day", starts_on=today - timedelta(days=50),
            action_date=today + timedelta(days=20), ends_on=today + timedelta(days=65),
            participant_target=100)
        engagement_demo.seed(domain="backupco.test", teams=["Finance", "IT"],
                             team_kind="department", sites=["Lyon"], people=120,
                             seed_value=3)
        from engagement.models import Pledge

        checked = Pledge.objects.filter(attendance="attended").first()
        Pledge.objects.filter(pk=checked.pk).update(checked_in_by=manager,
                                                    checked_in_at=timezone.now())
        person = Participant.objects.order_by("pk").first()
        campaign = checked.slot.campaign
        question = ProgrammeSurveyQuestion.objects.create(
            programme=programme, moment="after_action", position=99, kind="text",
            text_fr="Qu'avez-vous pensé ?", text_en="What did you think?")
        SurveyAnswer.objects.create(participant=person, campaign=campaign, question=question,
                                    answer="Les gants étaient trop petits\tet\nmouillés \\o/")
        OutboundEmail.objects.create(participant=person, campaign=campaign, kind="thank_you",
                                     dedupe_key=f"thanks-{person.pk}", to_email=person.email,
                                     subject="Merci", body="Bonjour backupco.test",
                                     status=OutboundEmail.Status.SENT, sent_at=timezone.now())
        PrivacyLog.objects.create(kind=PrivacyLog.Kind.EXPORT, actor=PrivacyLog.Actor.PERSON)
        FiguresSnapshot.objects.create(
            key="programme-1", format=1, data={"pledges": 3}, version=1,
            computed_at=timezone.now(), expires_at=timezone.now() + timedelta(hours=1),
            duration_ms=12)
        from lab.forecasts.models import CampaignForecast

        CampaignForecast.objects.create(
            campaign=campaign, probability=0.72, expected=48, low=39, high=57,
            baseline_share=0.4, linear=40, references=14, method="reference-class",
            elapsed=0.5, count=24, target=60, curve=[0, 10, 24])
        _populate_outreach_and_alerts(campaign=campaign, person=person, manager=manager,
                                      programme=programme)
        _populate_experiments(campaign=campaign, person=person, manager=manager)
        report = report_request(scope="programme", programme=Programme.objects.first(),
                                language="en", user=owner)
    with tenant_context(organisation):
        report = report_render(report_id=report.pk)
        assert report.status == Report.Status.READY, report.error
        assert report.file


def _populate_outreach_and_alerts(*, campaign, person, manager, programme) -> None:
    """A row in each table of bulk invitations and jobs, campaign history, reminders,
    organiser alerts, e-mail deliverability and team challenges, so the round trip covers
    them."""
    from engagement.models import (
        BulkJob,
        BulkSendHour,
        CampaignEvent,
        CampaignPartner,
        EmailDeliverability,
        EmailEvent,
        InvitationBatch,
        OrganiserAlert,
        OrganiserAlertMute,
        PartnerLink,
        Pledge,
        PledgeReminder,
        TeamChallenge,
    )

    now = timezone.now()
    InvitationBatch.objects.create(campaign=campaign, organiser=manager, audience="team",
                                   audience_label="Finance", channel="email",
                                   lever_code="manager-message", invited=12)
    BulkJob.objects.create(kind="import", status="checked", total=2, processed=2,
                           options={"consent_collected": True},
                           report={"created": 1, "errors": [{"row": 3, "column": "email"}]},
                           source_text="email;first_name\nana@example.test;Ana\tB",
                           created_by=manager, started_at=now)
    BulkSendHour.objects.create(hour=now.replace(minute=0, second=0, microsecond=0),
                                invitations=12)
    CampaignEvent.objects.create(
        campaign=campaign, kind=CampaignEvent.Kind.POSTPONED, by=manager,
        previous_starts_at=campaign.starts_at, new_starts_at=campaign.starts_at,
        previous_deadline=campaign.mobilisation_deadline,
        new_deadline=campaign.mobilisation_deadline, people_told=3)
    email = OutboundEmail.objects.filter(participant=person).first()
    EmailDeliverability.objects.create(email=person.email, soft_bounces=1, last_event_at=now)
    EmailEvent.objects.create(provider="brevo", event_key="evt-1", event_type="deferred",
                              occurred_at=now, outbound_email=email)
    pledge = Pledge.objects.filter(participant=person).first()
    PledgeReminder.objects.create(pledge=pledge, kind="reminder_d1", email=email)
    OrganiserAlert.objects.create(kind="target_reached", campaign=campaign,
                                  dedupe_key=f"target_reached:{campaign.pk}")
    OrganiserAlertMute.objects.create(user=manager)
    challenge = TeamChallenge.objects.create(
        name="Autumn challenge", description_fr="Défi", description_en="Challenge",
        goal=20, starts_on=timezone.localdate(), ends_on=timezone.localdate(),
        programme=programme)
    challenge.campaigns.add(campaign)
    CampaignPartner.objects.create(campaign=campaign, name="Surfrider Bretagne",
                                   website="https://surfrider.example")
    PartnerLink.objects.create(campaign=campaign, token_hash="a" * 64, created_by=manager)


def _populate_experiments(*, campaign, person, manager) -> None:
    """A lever experiment with its variants, one assignment and one stored look."""
    from lab.experiments.models import Assignment, Experiment, ExperimentLook, Variant

    experiment = Experiment.objects.create(
        campaign=campaign, title="Mot du manager", hypothesis="Le mot du manager aide.",
        salt="0123456789abcdef", status="running", launched_at=timezone.now(),
        created_by=manager)
    control = Variant.objects.create(experiment=experiment, name="Habituel", position=1,
                                     is_control=True, lever_code="social_proof",
                                     channel="email", share=0.5)
    Variant.objects.create(experiment=experiment, name="Manager", position=2,
                           lever_code="leader_example", channel="manager", share=0.5,
                           subject_fr="Votre manager", body_fr="Venez : {link}")
    Assignment.objects.create(experiment=experiment, participant=person, variant=control,
                              unit_key=f"person:{person.pk}", hash_value="0.12345678901234567")
    ExperimentLook.objects.create(experiment=experiment, day=timezone.localdate(),
                                  information_fraction=0.25, sums={"1": {"people": 1}},
                                  analysis={"verdict": "not_yet"})


def _snapshot(schema: str, cursor=None) -> dict[str, list]:
    """Every table of the schema (from information_schema) row for row, and the sequences.
    Columns referencing public rows hold their natural key (a user's e-mail): ids differ
    from one database (or one re-creation of the user) to another, the person does not."""
    own = cursor is None
    if own:
        cursor = connection.cursor()
    references = {(table, column): public_keys(cursor, target)
                  for table, column, target in public_references(cursor, schema)}
    assert references, "tenant rows name users: the mapping must be exercised"
    cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                   "AND table_type = 'BASE TABLE' ORDER BY 1", [schema])
    tables = [row[0] for row in cursor.fetchall()]
    found = {}
    for table in tables:
        cursor.execute(f'SELECT t.* FROM "{schema}"."{table}" t ORDER BY 1')
        names = [d.name for d in cursor.description]
        # Django's connection reads json as text, a plain psycopg one parses it.
        as_json = {d.name for d in cursor.description if d.type_code in (114, 3802)}
        found[table] = [
            {name: references[table, name][value]
             if (table, name) in references and value is not None
             else json.loads(value) if name in as_json and isinstance(value, str) else value
             for name, value in zip(names, row, strict=True)}
            for row in cursor.fetchall()]
    cursor.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = %s "
                   "ORDER BY 1", [schema])
    found["<sequences>"] = cursor.fetchall()
    if own:
        cursor.close()
    return found


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_an_organisation_comes_back_row_for_row_and_byte_for_byte(organisation, media,
                                                                 tmp_path):
    schema = organisation.schema_name
    before = _snapshot(schema)
    empty = {t for t, rows in before.items() if not rows} - MAY_BE_EMPTY
    assert not empty, f"the test organisation has no row in {sorted(empty)}"
    files_before = _files(media / schema)
    assert any(name.startswith("reports/") for name in files_before)
    assert any(name.startswith("branding/") for name in files_before)
    public_before = {
        "org": Organisation.objects.filter(pk=organisation.pk).values(
            "name", "kind", "locale", "status", "logo", "allowed_email_domains",
            "participant_retention_months", "created_at", "trial_ends_at").get(),
        "members": sorted(organisation.memberships.values_list("user__email", "role")),
        "consultants": sorted(organisation.consultant_assignments.values_list(
            "consultant__email", flat=True)),
        "domains": sorted(organisation.domains.values_list("domain", "is_primary")),
    }
    archive = tmp_path / "backupco.tar.gz"
    call_command("organisation_backup", SLUG, str(archive))

    # Restoring over the living organisation is refused, naming the address.
    with pytest.raises(CommandError, match="backupco"):
        call_command("organisation_restore", str(archive))

    drop_organisation(organisation)
    shutil.rmtree(media / schema)
    call_command("organisation_restore", str(archive))
    restored = Organisation.objects.get(slug=SLUG)
    assert _snapshot(schema) == before
    assert _files(media / schema) == files_before
    assert {
        "org": Organisation.objects.filter(pk=restored.pk).values(*public_before["org"]).get(),
        "members": sorted(restored.memberships.values_list("user__email", "role")),
        "consultants": sorted(restored.consultant_assignments.values_list(
            "consultant__email", flat=True)),
        "domains": sorted(restored.domains.values_list("domain", "is_primary")),
    } == public_before

    # A copy under a new address beside the original: its own schema, host and files.
    call_command("organisation_restore", str(archive), slug=COPY)
    copy = Organisation.objects.get(slug=COPY)
    assert copy.schema_name == "backupco_copy"
    assert list(copy.domains.values_list("domain", flat=True)) == [
        f"{COPY}.{settings.BASE_DOMAIN}"]
    assert _snapshot("backupco_copy") == before
    assert _files(media / "backupco_copy") == files_before
    owner = User.objects.get(email="owner@backupco.test")
    page = tenant_client(copy, owner).get("/")
    assert page.status_code == 200
    assert "Backup Company" in page.content.decode()
    with tenant_context(copy):
        Participant.objects.all().update(first_name="Copied")
    with tenant_context(restored):
        assert not Participant.objects.filter(first_name="Copied").exists()
    assert _snapshot(schema) == before


def _rewritten(archive: Path, target_path: Path, name: str, change) -> Path:
    with tarfile.open(archive) as source, tarfile.open(target_path, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == name:
                data = change(data)
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    return target_path


def _older(manifest: bytes) -> bytes:
    content = json.loads(manifest)
    content["migrations"] = [m for m in content["migrations"] if m[0] != "reports"]
    return json.dumps(content).encode()


def test_a_damaged_or_older_archive_is_refused_before_anything_is_loaded(organisation,
                                                                         tmp_path):
    archive = tmp_path / "backupco.tar.gz"
    call_command("organisation_backup", SLUG, str(archive))
    damaged = _rewritten(archive, tmp_path / "damaged.tar.gz",
                         "data/engagement_participant.copy", lambda d: d.replace(b"@", b"#", 1))
    with pytest.raises(CommandError, match="Checksum mismatch for data/engagement_participant"):
        call_command("organisation_restore", str(damaged), slug=COPY)
    older = _rewritten(archive, tmp_path / "older.tar.gz", "manifest.json", _older)
    with pytest.raises(CommandError, match="the archive lacks: reports.0001_initial"):
        call_command("organisation_restore", str(older), slug=COPY)
    assert not Organisation.objects.filter(slug=COPY).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'backupco_copy'")
        assert cursor.fetchone() is None


def test_an_organisation_moves_to_another_database(organisation, media, tmp_path):
    schema = organisation.schema_name
    before = _snapshot(schema)
    archive = tmp_path / "backupco.tar.gz"
    call_command("organisation_backup", SLUG, str(archive))
    db = connection.settings_dict
    other = f"{db['NAME']}_other"
    admin = libpq_dsn({**db, "NAME": "postgres"})
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{other}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{other}"')
    try:
        url = child_env()["DATABASE_URL"].rsplit("/", 1)[0] + f"/{other}"
        other_media = tmp_path / "other-media"
        env = child_env(DATABASE_URL=url, MEDIA_ROOT=str(other_media))
        for command in (["migrate_schemas", "--shared"], ["load_methodology"]):
            subprocess.run([PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True,
                           capture_output=True, timeout=600)
        result = subprocess.run(
            [PYTHON, "manage.py", "organisation_restore", str(archive), "--database-url", url],
            cwd=ROOT, env={**env, "DATABASE_URL": child_env()["DATABASE_URL"]},
            capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr
        assert "Created the login owner@backupco.test" in result.stdout
        with psycopg.connect(libpq_dsn({**db, "NAME": other})) as conn, conn.cursor() as cur:
            after = _snapshot(schema, cur)
            cur.execute("SELECT u.email, m.role FROM tenants_membership m JOIN tenants_user u "
                        "ON u.id = m.user_id ORDER BY 1")
            members = cur.fetchall()
        assert after == before
        assert members == [("manager@backupco.test", Role.MANAGER),
                           ("owner@backupco.test", Role.OWNER)]
        assert _files(other_media / schema) == _files(media / schema)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{other}" WITH (FORCE)')
