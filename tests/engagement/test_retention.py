"""Retention: each person's last action kept current, one warning a month before their
data is anonymised, the anonymisation itself (figures unchanged), old report files deleted;
the settings that set both periods, and the daily pass on a real worker."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django_tenants.utils import tenant_context

from config.broker import ensure_configured_broker
from engagement import links
from engagement.models import (
    OutboundEmail,
    Participant,
    Pledge,
    PrivacyLog,
    ProgrammeSurveyQuestion,
    SurveyAnswer,
)
from engagement.services import pledge_check_in, pledge_create
from engagement.services.activity import participant_page_opened, participant_touch
from engagement.services.retention import (
    months_added,
    months_between,
    participants_retention_apply,
    retention_erase_due,
    retention_warnings_send,
)
from engagement.services.surveys import survey_answer_record
from reports.metrics import campaign_metrics
from reports.models import Report
from reports.retention import report_files_delete_expired
from tenants.models import Organisation

from ..conftest import PYTHON, child_env, running, tenant_client, wait_for
from ..factories import (
    ParticipantFactory,
    ProgrammeFactory,
    make_campaign,
    make_campaign_with_slot,
    make_pledge,
)

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)


def inactive(months: int, days: int = 0, **fields) -> Participant:
    """Someone whose last action was ``months`` months (and ``days`` days) before NOW."""
    fields.setdefault("language", "fr")
    return ParticipantFactory(
        last_active_at=months_added(NOW, -months) - timedelta(days=days), **fields)


def warnings() -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(kind="retention_warning").order_by("pk"))


def own_page(body: str) -> Participant | None:
    """The person whose own page the e-mail's link opens (a signed token)."""
    token = re.search(r"/me/([^/\s]+)/", body)
    return links.participant_from_token(token.group(1)) if token else None


def logged(kind: str) -> list[int]:
    return list(PrivacyLog.objects.filter(kind=kind).values_list("count", flat=True))


# ---- month arithmetic ---------------------------------------------------------------------

def test_months_are_calendar_months_clamped_to_the_month_end():
    march_31 = datetime(2026, 3, 31, 9, 0, tzinfo=UTC)
    assert months_added(march_31, -1).date().isoformat() == "2026-02-28"
    assert months_added(march_31, -24).date().isoformat() == "2024-03-31"
    assert months_added(march_31, 11).date().isoformat() == "2027-02-28"
    assert months_between(months_added(NOW, -36), NOW) == 36
    assert months_between(months_added(NOW, -36) + timedelta(hours=1), NOW) == 35


# ---- last action ----------------------------------------------------------------------------

@pytest.mark.django_db
def test_joining_pledging_checking_in_answering_and_opening_the_page_are_actions(org_a):
    with tenant_context(org_a):
        long_ago = timezone.now() - timedelta(days=400)
        campaign = make_campaign(capacity=5, starts_in=timedelta(days=3))
        ana = ParticipantFactory(last_active_at=long_ago, retention_warned_at=long_ago
                                 + timedelta(days=1))
        before = timezone.now()
        pledge = pledge_create(slot=campaign.slots.get(), participant=ana)
        ana.refresh_from_db()
        assert ana.last_active_at >= before and ana.retention_warned_at is None

        # Check-in (an organiser's, on the day) and survey answers.
        Participant.objects.filter(pk=ana.pk).update(last_active_at=long_ago)
        Pledge.objects.filter(pk=pledge.pk).update(status=Pledge.Status.CONFIRMED)
        pledge_check_in(pledge=pledge, by_user=None, now=campaign.slots.get().starts_at)
        ana.refresh_from_db()
        assert ana.last_active_at == campaign.slots.get().starts_at

        Participant.objects.filter(pk=ana.pk).update(last_active_at=long_ago)
        question = ProgrammeSurveyQuestion.objects.create(
            programme=campaign.programme, moment="after_action", position=0, kind="scale",
            text_fr="Note ?", text_en="Rating?")
        survey_answer_record(participant=ana, campaign=campaign, answers={question: "4"})
        ana.refresh_from_db()
        assert ana.last_active_at >= before
        assert SurveyAnswer.objects.filter(participant=ana).count() == 1

        # Opening one's page counts at most once a day: one conditional UPDATE, no more.
        moment = timezone.now()
        Participant.objects.filter(pk=ana.pk).update(last_active_at=moment - timedelta(hours=3))
        assert not participant_page_opened(participant_id=ana.pk, now=moment)
        assert participant_page_opened(participant_id=ana.pk, now=moment + timedelta(days=1))
        # An erased person acts no more.
        Participant.objects.filter(pk=ana.pk).update(erased_at=moment)
        assert not participant_touch(participant_id=ana.pk, now=moment + timedelta(days=9))


@pytest.mark.django_db
def test_the_signed_link_counts_as_an_action_once_a_day(org_a):
    with tenant_context(org_a):
        ben = ParticipantFactory(last_active_at=timezone.now() - timedelta(days=700),
                                 retention_warned_at=timezone.now() - timedelta(days=5))
        token = links.participant_token(ben)
    client = tenant_client(org_a)
    assert client.get(f"/me/{token}/").status_code == 200
    with tenant_context(org_a):
        ben.refresh_from_db()
        first = ben.last_active_at
        assert timezone.now() - first < timedelta(minutes=1)
        assert ben.retention_warned_at is None  # the warning is withdrawn
    client.get(f"/me/{token}/")
    with tenant_context(org_a):
        ben.refresh_from_db()
        assert ben.last_active_at == first  # not written again the same day


# ---- warnings and anonymisation ------------------------------------------------------------

@pytest.mark.django_db
def test_default_24_months_one_warning_in_the_persons_language(org_a):
    assert org_a.participant_retention_months == 24
    with tenant_context(org_a):
        due_fr = inactive(23, days=2, first_name="Chloé", language="fr")  # ends in 28 days
        due_en = inactive(25, first_name="Dan", language="en")  # over already
        recent = inactive(22, first_name="Eve")
        gone = inactive(30, erased_at=NOW - timedelta(days=3))
        assert retention_warnings_send(now=NOW) == 2
        sent = {email.participant_id: email for email in warnings()}
        assert set(sent) == {due_fr.pk, due_en.pk}
        french, english = sent[due_fr.pk], sent[due_en.pk]
        # Anonymised 30 days after the warning at the earliest (the end of the period
        # when later, which a daily run never sees).
        assert "15 juillet 2026" in french.subject and "anonymisées" in french.subject
        assert "24 mois" in french.body and own_page(french.body) == due_fr
        assert "July 15, 2026" in english.subject or "15 July 2026" in english.subject
        assert "24 months" in english.body and own_page(english.body) == due_en
        assert org_a.name in english.body
        assert all(e.status == OutboundEmail.Status.QUEUED for e in (french, english))
        warned = Participant.objects.filter(retention_warned_at=NOW)
        assert set(warned.values_list("pk", flat=True)) == {due_fr.pk, due_en.pk}
        assert logged(PrivacyLog.Kind.RETENTION_WARNING) == [2]
        # Names are never logged: counts only.
        assert not PrivacyLog.objects.filter(kind__icontains="Chlo").exists()

        # Idempotent: a second run (the next day too) sends and logs nothing more.
        assert retention_warnings_send(now=NOW) == 0
        assert retention_warnings_send(now=NOW + timedelta(days=1)) == 0
        assert len(warnings()) == 2 and logged(PrivacyLog.Kind.RETENTION_WARNING) == [2]
        # Nobody is anonymised before 30 days after their warning.
        assert retention_erase_due(now=NOW + timedelta(days=29)) == 0
        recent.refresh_from_db()
        gone.refresh_from_db()
        assert recent.retention_warned_at is None and gone.retention_warned_at is None


@pytest.mark.django_db
def test_a_claimed_warning_is_sent_once_even_if_two_runs_race(org_a):
    """The dedupe key per person and cycle decides: a run that saw the person unwarned
    before another's commit still queues no second e-mail."""
    with tenant_context(org_a):
        person = inactive(24, days=1, language="en")
        assert retention_warnings_send(now=NOW) == 1
        # As if a concurrent run had read the row before this one's claim.
        Participant.objects.filter(pk=person.pk).update(retention_warned_at=None)
        retention_warnings_send(now=NOW)
        assert len(warnings()) == 1


@pytest.mark.django_db
def test_an_organisation_set_to_6_months_warns_then_anonymises_figures_unchanged(org_a):
    Organisation.objects.filter(pk=org_a.pk).update(participant_retention_months=6)
    org_a.refresh_from_db()
    with tenant_context(org_a):
        programme = ProgrammeFactory()
        campaign, slot = make_campaign_with_slot(programme, days=-300, hours=3)
        fay = inactive(6, days=-10, first_name="Fay", last_name="Martin", site="Lyon",
                       email="fay.martin@example.test")
        make_pledge(slot, fay, hours=3, attendance=Pledge.Attendance.ATTENDED)
        keeper = inactive(4)  # inside 6 months − 30 days: nothing yet
        figures = campaign_metrics(campaign)

        result = participants_retention_apply(now=NOW)
        assert result == {"anonymised": 0, "warned": 1}
        email = warnings()[0]
        assert email.participant_id == fay.pk and "6 mois" in email.body

        later = NOW + timedelta(days=31)
        assert participants_retention_apply(now=later) == {"anonymised": 1, "warned": 0}
        fay.refresh_from_db()
        assert fay.erased_at == later
        assert "fay" not in fay.email.lower() and not fay.first_name and not fay.site
        assert logged(PrivacyLog.Kind.RETENTION_ERASURE) == [1]
        assert PrivacyLog.objects.get(kind=PrivacyLog.Kind.RETENTION_ERASURE).actor == "schedule"
        assert campaign_metrics(campaign) == figures
        assert Pledge.objects.get(participant=fay).hours_given == Decimal(3)
        # Twice is the same as once.
        assert participants_retention_apply(now=later) == {"anonymised": 0, "warned": 0}
        assert logged(PrivacyLog.Kind.RETENTION_ERASURE) == [1]
        keeper.refresh_from_db()
        assert keeper.erased_at is None and keeper.retention_warned_at is None


@pytest.mark.django_db
def test_someone_active_again_after_the_warning_is_not_anonymised(org_a):
    with tenant_context(org_a):
        gil = inactive(24, days=5)
        assert retention_warnings_send(now=NOW) == 1
        # Gil opens the link of the e-mail a week later.
        participant_page_opened(participant_id=gil.pk, now=NOW + timedelta(days=7))
        gil.refresh_from_db()
        assert gil.retention_warned_at is None
        assert participants_retention_apply(now=NOW + timedelta(days=40)) == {
            "anonymised": 0, "warned": 0}
        gil.refresh_from_db()
        assert gil.erased_at is None
        # Two years on, a new cycle: a new warning (a new dedupe key), not the old one.
        again = months_added(NOW + timedelta(days=7), 24) - timedelta(days=20)
        assert retention_warnings_send(now=again) == 1
        assert len(warnings()) == 2


@pytest.mark.django_db
def test_unsubscribed_people_still_get_the_warning(org_a):
    """It is about their own data, not the organisation's actions."""
    with tenant_context(org_a):
        inactive(24, days=1, unsubscribed_at=NOW - timedelta(days=400))
        assert retention_warnings_send(now=NOW) == 1
        assert warnings()[0].status == OutboundEmail.Status.QUEUED


# ---- report files ---------------------------------------------------------------------------

def _report(title: str, made: datetime) -> Report:
    programme = ProgrammeFactory()
    report = Report.objects.create(scope="programme", programme=programme, title=title,
                                   status=Report.Status.READY, pages=3,
                                   requested_at=made, finished_at=made)
    report.file.save(f"{uuid.uuid4().hex}.pdf", ContentFile(b"%PDF-1.7 test"))
    return report


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_old_report_files_are_deleted_and_the_page_says_so(
        org_a, owner_a, lang, django_capture_on_commit_callbacks):
    Organisation.objects.filter(pk=org_a.pk).update(report_retention_months=12)
    org_a.refresh_from_db()
    with tenant_context(org_a):
        old = _report("Old report", months_added(NOW, -13))
        fresh = _report("Fresh report", months_added(NOW, -11))
        old_name = old.file.name
        assert default_storage.exists(old_name)
        with django_capture_on_commit_callbacks(execute=True):
            assert report_files_delete_expired(now=NOW) == 1
        assert not default_storage.exists(old_name)
        assert default_storage.exists(fresh.file.name)
        old.refresh_from_db()
        assert old.file_deleted_at == NOW and not old.file
        assert logged(PrivacyLog.Kind.REPORT_FILE_DELETED) == [1]
        assert report_files_delete_expired(now=NOW) == 0  # idempotent
        assert logged(PrivacyLog.Kind.REPORT_FILE_DELETED) == [1]
        # The page reads "kept 13 months": the file's making to its deletion.
        Report.objects.filter(pk=old.pk).update(
            file_deleted_at=months_added(old.finished_at, 13))

    client = tenant_client(org_a, owner_a)
    page = client.get("/reports/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    expected = {"en": "(kept 13 months)", "fr": "(conservé 13 mois)"}[lang]
    deleted = {"en": "File deleted on", "fr": "Fichier supprimé le"}[lang]
    assert expected in page and deleted in page
    assert f"/reports/{old.pk}/download" not in page
    assert page.count("report_download") == 0
    assert client.get(f"/reports/{old.pk}/download/").status_code == 404
    assert client.get(f"/reports/{fresh.pk}/download/").status_code == 200


# ---- settings -------------------------------------------------------------------------------

VALID = {"name": "Test Company", "locale": "fr", "time_zone": "Europe/Paris",
         "brand_colour": "#AA3300"}


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_owners_set_both_retention_periods(org_a, owner_a, lang):
    client = tenant_client(org_a, owner_a)
    page = client.get("/settings/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    help_text = {"en": "A month before, they get an e-mail",
                 "fr": "Un mois avant, elle reçoit un e-mail"}[lang]
    assert help_text in page
    assert 'name="participant_retention_months" value="24"' in page
    assert 'name="report_retention_months" value="36"' in page

    response = client.post("/settings/", {**VALID, "participant_retention_months": 5,
                                          "report_retention_months": 121},
                           HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 400
    body = response.content.decode()
    errors = {"en": ("Keep participants' data between 6 and 72 months.",
                     "Keep report files between 1 and 120 months."),
              "fr": ("Conservez les données des participants entre 6 et 72 mois.",
                     "Conservez les fichiers des rapports entre 1 et 120 mois.")}[lang]
    assert 'id="id_participant_retention_months_errors"' in body
    assert 'id="id_report_retention_months_errors"' in body
    for error in errors:
        assert error.replace("'", "&#x27;") in body
    org_a.refresh_from_db()
    assert org_a.participant_retention_months == 24

    response = client.post("/settings/", {**VALID, "participant_retention_months": 6,
                                          "report_retention_months": 12})
    assert response.status_code == 302
    org_a.refresh_from_db()
    assert (org_a.participant_retention_months, org_a.report_retention_months) == (6, 12)
    # Left empty (an older form): unchanged.
    assert client.post("/settings/", VALID).status_code == 302
    org_a.refresh_from_db()
    assert (org_a.participant_retention_months, org_a.report_retention_months) == (6, 12)


@pytest.mark.django_db
def test_only_owners_see_the_settings(org_a, manager_a):
    assert tenant_client(org_a, manager_a).get("/settings/").status_code == 404


# ---- the daily pass on a real worker ----------------------------------------------------------

@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """A real worker (no mail server: the warnings stay queued in the outbox)."""
    with django_db_blocker.unblock():
        ensure_configured_broker()
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    cmd = [PYTHON, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
           "--loglevel", "INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"]
    with running(cmd, child_env(), log) as process:
        ready = wait_for(lambda: "ready" in log.read_text() or process.poll() is not None, 90)
        assert ready and process.poll() is None, log.read_text()
        yield log


@pytest.mark.worker
def test_the_beat_fan_out_warns_and_anonymises_on_a_real_worker(committed, worker):
    from engagement.retention import apply_retention_for_all_organisations

    organisation = Organisation.objects.get(slug="otherco")
    now = timezone.now()
    tag = uuid.uuid4().hex[:6]
    with tenant_context(organisation):
        to_warn = ParticipantFactory(
            email=f"warn-{tag}@example.test", language="en",
            last_active_at=months_added(now, -organisation.participant_retention_months)
            + timedelta(days=10))
        to_erase = ParticipantFactory(
            email=f"erase-{tag}@example.test",
            last_active_at=months_added(now, -organisation.participant_retention_months)
            - timedelta(days=40), retention_warned_at=now - timedelta(days=31))
        kept = ParticipantFactory(email=f"kept-{tag}@example.test",
                                  last_active_at=now - timedelta(days=30))
        logs_before = PrivacyLog.objects.count()
    try:
        apply_retention_for_all_organisations.delay()

        def done():
            with tenant_context(organisation):
                return (Participant.objects.filter(pk=to_erase.pk,
                                                   erased_at__isnull=False).exists()
                        and OutboundEmail.objects.filter(
                            participant=to_warn, kind="retention_warning").exists())

        assert wait_for(done, 60), worker.read_text()
        with tenant_context(organisation):
            to_warn.refresh_from_db()
            kept.refresh_from_db()
            assert to_warn.retention_warned_at is not None and to_warn.erased_at is None
            assert kept.retention_warned_at is None and kept.erased_at is None
            email = OutboundEmail.objects.get(participant=to_warn, kind="retention_warning")
            assert "will be anonymised on" in email.subject
            kinds = set(PrivacyLog.objects.order_by("-pk")[:PrivacyLog.objects.count()
                                                             - logs_before]
                        .values_list("kind", flat=True))
            assert {"retention_warning", "retention_erasure"} <= kinds
    finally:
        with tenant_context(organisation):
            OutboundEmail.objects.filter(participant__in=[to_warn, to_erase, kept]).delete()
            Participant.objects.filter(pk__in=[to_warn.pk, to_erase.pk, kept.pk]).delete()
