"""Survey reminders on a real worker, through a real SMTP server: a person who has not
answered a survey a week after it went out gets one reminder with the survey link, once
however many schedule runs overlap; who answered, who was sent it too recently, who
unsubscribed and who withdrew consent (for the follow-up) get none."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from engagement.models import (
    Campaign,
    OutboundEmail,
    Participant,
    Programme,
    ProgrammeSurveyQuestion,
    SurveyAnswer,
)
from engagement.services.survey_reminders import survey_reminders_queue
from engagement.tasks import run_engagement_schedule
from tenants.models import Organisation

from ..conftest import free_port
from ..factories import CampaignFactory, ParticipantFactory, ProgrammeFactory
from ..reliability.conftest import SMTPSink, mail_env, smtp_server, wait_until, worker

DOMAIN = "survey-reminder.example"


def _setting_up(now):
    programme = ProgrammeFactory(name="Survey reminders")
    questions = {moment: ProgrammeSurveyQuestion.objects.create(
        programme=programme, moment=moment, position=0, kind="yes_no",
        measure="other-action", text_fr="Autre action ?", text_en="Another action?")
        for moment in ("after_action", "follow_up")}
    recent = CampaignFactory(programme=programme, title="Tree planting",
                             starts_at=now - timedelta(days=9),
                             mobilisation_deadline=now - timedelta(days=12),
                             status=Campaign.Status.COMPLETED)
    old = CampaignFactory(programme=programme, title="Beach clean-up",
                          starts_at=now - timedelta(days=98),
                          mobilisation_deadline=now - timedelta(days=100),
                          status=Campaign.Status.COMPLETED)
    people = {name: ParticipantFactory(email=f"{name}@{DOMAIN}", first_name=name.title(),
                                       language=language, consent_to_contact=True)
              for name, language in (("ana", "fr"), ("bob", "en"), ("cat", "en"),
                                     ("dan", "en"), ("eve", "en"), ("fay", "en"))}
    sent = {"ana": (recent, "thank_you", 8), "bob": (recent, "thank_you", 8),
            "cat": (recent, "thank_you", 2), "dan": (old, "follow_up_survey", 8),
            "eve": (old, "follow_up_survey", 8), "fay": (recent, "thank_you", 8)}
    for name, (campaign, kind, days) in sent.items():
        OutboundEmail.objects.create(
            participant=people[name], campaign=campaign, kind=kind,
            dedupe_key=f"{kind}:campaign:{campaign.pk}:participant:{people[name].pk}",
            to_email=people[name].email, subject="s", body="b", status="sent",
            sent_at=now - timedelta(days=days))
    # Bob answered; Eve withdrew her consent (the follow-up needs it); Fay unsubscribed.
    SurveyAnswer.objects.create(participant=people["bob"], campaign=recent,
                                question=questions["after_action"], answer="yes")
    Participant.objects.filter(pk=people["eve"].pk).update(consent_to_contact=False)
    Participant.objects.filter(pk=people["fay"].pk).update(unsubscribed_at=now)
    return programme, people, recent, old


@pytest.mark.django_db
def test_reminders_go_once_to_who_has_not_answered(org_a):
    now = timezone.now()
    with tenant_context(org_a):
        _programme, people, recent, old = _setting_up(now)
        assert survey_reminders_queue(now=now) == 2
        assert survey_reminders_queue(now=now) == 0  # once
        assert survey_reminders_queue(now=now + timedelta(days=1)) == 0
        rows = {row.participant.first_name: row for row in OutboundEmail.objects.filter(
            kind__in=["survey_reminder", "follow_up_survey_reminder"])}
    assert {name: row.status for name, row in rows.items()} == {
        "Ana": "queued", "Dan": "queued", "Eve": "no_consent", "Fay": "skipped"}
    assert rows["Ana"].kind == "survey_reminder"
    assert rows["Dan"].kind == "follow_up_survey_reminder"
    assert f"/{recent.code}/after_action/" in rows["Ana"].body
    assert f"/{old.code}/follow_up/" in rows["Dan"].body
    assert rows["Ana"].action_url and rows["Ana"].action_url in rows["Ana"].body
    assert "Tree planting" in rows["Ana"].subject and "Bonjour Ana" in rows["Ana"].body
    assert "three-month" in rows["Dan"].subject and "only reminder" in rows["Dan"].body


@pytest.mark.worker
def test_the_schedule_on_a_worker_sends_each_reminder_once(committed, django_db_blocker,
                                                           tmp_path):
    organisation = Organisation.objects.get(slug="testco")
    with tenant_context(organisation):
        programme, people, _recent, _old = _setting_up(timezone.now())
    port = free_port()
    sink = SMTPSink(port)
    log = tmp_path / "worker.log"
    try:
        with django_db_blocker.unblock(), smtp_server(port, sink), \
                worker(mail_env(port), log):
            with tenant_context(organisation):
                run_engagement_schedule.delay()
                run_engagement_schedule.delay()

            def delivered():
                to = [m for m in sink.messages if str(m["To"]).endswith(f"@{DOMAIN}")]
                return len(to) >= 2 and to

            wait_until(delivered, 60, "the survey reminders", log)
            with tenant_context(organisation):
                wait_until(lambda: not OutboundEmail.objects.filter(
                    participant__email__endswith=f"@{DOMAIN}", status="queued").exists(),
                    30, "sent", log)
                run_engagement_schedule.delay()  # a later run sends nothing more
            with tenant_context(organisation):
                wait_until(lambda: OutboundEmail.objects.filter(
                    kind__endswith="survey_reminder", status="sent").count() == 2,
                    30, "both sent", log)
        received = sorted(str(m["To"]) for m in sink.messages
                          if str(m["To"]).endswith(f"@{DOMAIN}"))
        assert received == [f"ana@{DOMAIN}", f"dan@{DOMAIN}"]
    finally:
        with tenant_context(organisation):
            Campaign.objects.filter(programme=programme).delete()
            Programme.objects.filter(pk=programme.pk).delete()
            Participant.objects.filter(email__endswith=f"@{DOMAIN}").delete()
