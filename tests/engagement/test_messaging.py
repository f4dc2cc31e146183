"""The outbox: messages in the participant's language, placeholders, unsubscribe, and each
scheduled message exactly once."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from engagement import links
from engagement.models import (
    Campaign,
    Channel,
    ImpactRecord,
    Invitation,
    OutboundEmail,
    Participant,
    Pledge,
    Programme,
    ProgrammeIndicator,
    ProgrammeMessage,
    ProgrammeSurveyQuestion,
)
from engagement.services import (
    campaign_join,
    invitation_create,
    message_schedule,
    outbox,
    pledge_cancel,
    pledge_check_in,
    pledge_create,
    programme_create_from_template,
    reminders,
)
from methodology.models import Template
from methodology.selectors import latest_published
from tenants.models import Organisation

from ..conftest import ROOT
from ..factories import (
    CampaignFactory,
    ParticipantFactory,
    PledgeFactory,
    ProgrammeFactory,
    SlotFactory,
)

PARIS = ZoneInfo("Europe/Paris")
# A Saturday morning, in the programme's time zone.
ACTION = datetime(2027, 6, 12, 9, 30, tzinfo=PARIS)


def make_campaign(*, starts_at: datetime = ACTION, status: str = Campaign.Status.OPEN,
                  target: int = 40, capacity: int = 40, programme: Programme | None = None,
                  deadline: datetime | None = None, title: str = "Beach clean-up",
                  visibility: str = Campaign.Visibility.INTERNAL) -> Campaign:
    campaign = CampaignFactory(
        programme=programme or ProgrammeFactory(name="Shores", starts_on=date(2026, 1, 1),
                                                ends_on=date(2030, 12, 31)),
        title=title, place="Plage du Prado", starts_at=starts_at, participant_target=target,
        mobilisation_deadline=deadline or starts_at - timedelta(days=3), status=status,
        visibility=visibility)
    SlotFactory(campaign=campaign, capacity=capacity)
    return campaign


def person(name: str, language: str = "fr", **fields) -> Participant:
    return ParticipantFactory(email=f"{name.lower()}@example.test", first_name=name,
                              language=language, **fields)


def pledge(campaign: Campaign, participant: Participant, *,
           status: str = Pledge.Status.CONFIRMED, **fields) -> Pledge:
    """A pledge row as it stands on the day (pledge_create refuses past deadlines)."""
    return PledgeFactory(slot=campaign.slots.get(), participant=participant, status=status,
                         **fields)


def emails(**filters) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(**filters).order_by("id"))


def unsubscribe_token(body: str) -> str:
    """The token of the unsubscribe link the body ends with."""
    match = re.search(r"/me/([^/\s]+)/unsubscribe/\Z", body.rstrip())
    assert match, body
    return match.group(1)


REMINDER_FR = ("Bonjour {participant_first_name}, rendez-vous le {action_date} à "
               "{action_time}, {place}. Invitez vos proches : {link} Objectif {target}. "
               "{mystère} {unknown_name} {{double}} {}")
REMINDER_EN = ("Hello {participant_first_name}, see you on {action_date} at {action_time}, "
               "{place}. Bring someone: {link} Target {target}. {mystery}")


@pytest.mark.django_db
def test_programme_message_in_each_participants_language(
        org_a, eager, django_capture_on_commit_callbacks):
    with tenant_context(org_a):
        campaign = make_campaign()
        ProgrammeMessage.objects.create(
            programme=campaign.programme, kind="reminder_d7",
            subject_fr="Rappel : {campaign_title} le {action_date}",
            subject_en="Reminder: {campaign_title} on {action_date}",
            body_fr=REMINDER_FR, body_en=REMINDER_EN)
        camille = person("Camille", "fr")
        alex = person("Alex", "en")
        for someone in (camille, alex):
            pledge(campaign, someone)

        with django_capture_on_commit_callbacks(execute=True):
            assert reminders.reminders_queue(now=ACTION - timedelta(days=6, hours=12)) == 2

        french, english = (emails(participant=p, kind="reminder_d7")[0]
                           for p in (camille, alex))
        assert french.subject == "Rappel : Beach clean-up le samedi 12 juin 2027"
        assert french.body.startswith(
            "Bonjour Camille, rendez-vous le samedi 12 juin 2027 à 09:30, Plage du Prado. "
            "Invitez vos proches : http://testco.localhost")
        # Unknown names and stray braces stay exactly as the programme wrote them.
        assert "Objectif 40. {mystère} {unknown_name} {{double}} {}" in french.body
        assert english.subject == "Reminder: Beach clean-up on Saturday 12 June 2027"
        assert "Hello Alex, see you on Saturday 12 June 2027 at 09:30" in english.body
        assert "Target 40. {mystery}" in english.body
        assert "Ne plus recevoir nos e-mails" in french.body
        assert "Stop receiving our e-mails" in english.body
        # D-7's {link} is the participant's own invitation link (safe to forward).
        invitation = Invitation.objects.get(campaign=campaign, inviter=camille)
        assert links.campaign_url(campaign, invitation_code=invitation.code) in french.body
        for email, someone in ((french, camille), (english, alex)):
            assert links.participant_from_token(unsubscribe_token(email.body)) == someone
        sent = {message.to[0]: message for message in mail.outbox}
        assert set(sent) == {camille.email, alex.email}
        assert sent[camille.email].subject == french.subject
        assert "/unsubscribe/" in sent[camille.email].extra_headers["List-Unsubscribe"]
        assert {e.status for e in emails()} == {"sent"}


@pytest.mark.django_db
def test_pledge_confirmation_and_waiting_list_without_programme_messages(
        org_a, eager, django_capture_on_commit_callbacks):
    with tenant_context(org_a):
        campaign = make_campaign(starts_at=timezone.now() + timedelta(days=10), capacity=3,
                                 visibility=Campaign.Visibility.PUBLIC)
        # Freed places given at once (tests/engagement/test_waitlist.py has the offers).
        Campaign.objects.filter(pk=campaign.pk).update(freed_seats="promote")
        slot = campaign.slots.get()
        with django_capture_on_commit_callbacks(execute=True):
            campaign_join(campaign=campaign, email="lea@example.test", first_name="Léa",
                          language="fr", slot_ids=[slot.pk], companions=2)
            campaign_join(campaign=campaign, email="sam@example.test", first_name="Sam",
                          language="en", slot_ids=[slot.pk])
        lea = Participant.objects.get(email="lea@example.test")
        sam = Participant.objects.get(email="sam@example.test")

        confirmed = emails(kind="pledge_confirmed")
        assert [e.participant for e in confirmed] == [lea]
        body = confirmed[0].body
        assert confirmed[0].subject == "C’est noté : vous participez à « Beach clean-up »"
        # The join's confirmation greets no one by the name typed in a public form.
        assert body.startswith("Bonjour,\n") and "Léa" not in body
        assert "Votre engagement est confirmé, pour vous et 2 accompagnants." in body
        local = timezone.localtime(slot.starts_at, PARIS)
        assert f"à {local:%H:%M}" in body and "Où : Plage du Prado" in body
        manage = re.search(r"annulation si besoin : (\S+)", body).group(1)
        token = re.search(r"/me/([^/]+)/(?:\?a=[^\s]+)?$", manage).group(1)
        assert links.participant_from_token(token) == lea
        invitation = Invitation.objects.get(campaign=campaign, inviter=lea,
                                            channel=Channel.LINK_SHARE)
        assert links.campaign_url(campaign, invitation_code=invitation.code) in body
        assert links.participant_from_token(unsubscribe_token(body)) == lea

        waiting = emails(kind="pledge_waitlisted")
        assert [e.participant for e in waiting] == [sam]
        assert waiting[0].subject == "You’re on the waiting list: Beach clean-up"
        assert "you are on the waiting list" in waiting[0].body
        assert links.participant_from_token(unsubscribe_token(waiting[0].body)) == sam
        assert "{" not in body + waiting[0].body
        assert len(mail.outbox) == 2

        # Léa leaves, Sam moves up and is told (the view wires pledge_promotion_notify).
        promoted = pledge_cancel(pledge=Pledge.objects.get(participant=lea))
        message_schedule.pledge_promotion_notify(pledge_id=promoted[0].pk)
        message_schedule.pledge_promotion_notify(pledge_id=promoted[0].pk)  # the same news, once
        news = emails(kind="pledge_promoted")
        assert [e.participant for e in news] == [sam]
        assert "you are off the waiting list" in news[0].body


@pytest.mark.django_db
def test_email_invitation_to_someone_not_yet_a_participant(
        org_a, owner_a, eager, django_capture_on_commit_callbacks):
    owner_a.full_name = "Dominique Martin"
    owner_a.save(update_fields=["full_name"])
    with tenant_context(org_a):
        campaign = make_campaign()
        with django_capture_on_commit_callbacks(execute=True):
            invitation = invitation_create(
                campaign=campaign, channel=Channel.EMAIL, lever_code="personal_invitation",
                organiser=owner_a, invitee_email="Newcomer@Example.test")
        [email] = emails(kind="invitation")
        # No participant: the organisation's language (testco's is English), no footer.
        assert email.participant is None and email.to_email == "newcomer@example.test"
        assert email.subject == "Dominique invites you: Beach clean-up"
        assert links.campaign_url(campaign, invitation_code=invitation.code) in email.body
        assert "/unsubscribe/" not in email.body
        assert mail.outbox[0].to == ["newcomer@example.test"]


@pytest.mark.django_db
def test_unsubscribed_participants_get_nothing(org_a, eager):
    with tenant_context(org_a):
        campaign = make_campaign()
        gone = person("Gone", unsubscribed_at=timezone.now())
        pledge(campaign, gone)
        assert reminders.reminders_queue(now=ACTION - timedelta(hours=12)) == 1
        [email] = emails(participant=gone)
        assert email.status == "skipped" and mail.outbox == []
        # The row holds the key: running the schedule again does not try again.
        assert reminders.reminders_queue(now=ACTION - timedelta(hours=11)) == 0

    with tenant_context(org_a):
        # Unsubscribing after the message was queued, before the worker got to it.
        late = person("Late")
        email = outbox.email_queue(kind="reminder_d1", dedupe_key="test:late",
                                      to_email=late.email, subject="S", body="B",
                                      participant=late)  # its task waits for the commit
        late.unsubscribed_at = timezone.now()
        late.save(update_fields=["unsubscribed_at"])
        assert outbox.email_deliver(email_id=email.pk, attempt=0) is None
        email.refresh_from_db()
        assert email.status == "skipped" and mail.outbox == []


@pytest.mark.django_db
def test_reminders_d7_and_d1_are_queued_exactly_once(org_a):
    now = ACTION - timedelta(days=6, hours=12)
    with tenant_context(org_a):
        in_a_week = make_campaign(starts_at=now + timedelta(days=6, hours=12))
        tomorrow = make_campaign(starts_at=now + timedelta(hours=20),
                                 status=Campaign.Status.SUCCEEDED)
        in_three_days = make_campaign(starts_at=now + timedelta(days=3))
        failed = make_campaign(starts_at=now + timedelta(hours=20),
                               status=Campaign.Status.FAILED)
        week = pledge(in_a_week, person("Week"))
        day = pledge(tomorrow, person("Day"))
        pledge(in_a_week, person("Waiting"), status=Pledge.Status.WAITLISTED)
        pledge(in_a_week, person("Cancelled"), status=Pledge.Status.CANCELLED)
        pledge(in_three_days, person("Between"))
        pledge(failed, person("Failed"))

        assert reminders.reminders_queue(now=now) == 2
        assert reminders.reminders_queue(now=now) == 0
        assert reminders.reminders_queue(now=now + timedelta(minutes=5)) == 0
        assert {(e.kind, e.dedupe_key) for e in emails()} == {
            ("reminder_d7", f"reminder_d7:pledge:{week.pk}"),
            ("reminder_d1", f"reminder_d1:pledge:{day.pk}"),
        }
        # Six days later the week-ahead pledge is due its D-1, and only that.
        assert reminders.reminders_queue(now=now + timedelta(days=6)) == 1
        assert emails(kind="reminder_d1", participant=week.participant)


@pytest.fixture
def crowd(committed):
    organisation = Organisation.objects.get(slug="testco")
    with tenant_context(organisation):
        campaign = make_campaign(title="Crowd")
        for n in range(30):
            pledge(campaign, person(f"Crowd{n}"))
    yield organisation, campaign
    with tenant_context(organisation):
        programme = campaign.programme
        campaign.delete()
        programme.delete()
        Participant.objects.filter(email__startswith="crowd").delete()


def test_reminders_queued_concurrently_go_out_once(crowd, eager):
    organisation, campaign = crowd
    start = threading.Barrier(2)

    def run(_n) -> int:
        try:
            with tenant_context(organisation):
                start.wait(timeout=10)
                return reminders.reminders_queue(now=ACTION - timedelta(hours=12))
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        queued = list(pool.map(run, range(2)))
    assert sum(queued) == 30
    with tenant_context(organisation):
        rows = emails(campaign=campaign)
        assert len(rows) == len({row.dedupe_key for row in rows}) == 30
        assert {row.status for row in rows} == {"sent"}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        f"crowd{n}@example.test" for n in range(30))


def completed_campaign(*, ended: datetime, with_survey: bool = True) -> Campaign:
    campaign = make_campaign(starts_at=ended - timedelta(hours=3),
                             status=Campaign.Status.COMPLETED)
    if with_survey:
        for moment in ("after_action", "follow_up"):
            ProgrammeSurveyQuestion.objects.create(
                programme=campaign.programme, moment=moment, position=0, kind="scale",
                text_fr="Note ?", text_en="Rating?")
    return campaign


@pytest.mark.django_db
def test_thank_you_waits_for_the_impact_then_the_follow_up_survey_at_d90(
        org_a, eager, django_capture_on_commit_callbacks):
    ended = datetime(2027, 6, 12, 17, 0, tzinfo=PARIS)
    with tenant_context(org_a):
        campaign = completed_campaign(ended=ended)
        # They agreed to hear about future actions (the follow-up survey needs it).
        mia, noa = person("Mia", consent_to_contact=True), person("Noa", "en",
                                                                 consent_to_contact=True)
        pledge(campaign, mia, attendance=Pledge.Attendance.ATTENDED,
               hours_given=Decimal("2.50"))
        pledge(campaign, noa, attendance=Pledge.Attendance.ATTENDED,
               hours_given=Decimal("6.00"), companions=1)
        pledge(campaign, person("Absent"), attendance=Pledge.Attendance.NO_SHOW)

        # Just after the end, no figures yet: the thank-you waits for them.
        assert message_schedule.after_action_queue(now=ended + timedelta(minutes=5)) == 0
        waste = ProgrammeIndicator.objects.create(
            programme=campaign.programme, code="waste_collected_kg", position=0, unit="kg",
            label_fr="Déchets ramassés", label_en="Waste collected", sdg=12)
        trees = ProgrammeIndicator.objects.create(
            programme=campaign.programme, code="trees_planted", position=1, unit="trees",
            label_fr="Arbres plantés", label_en="Trees planted", sdg=15)
        ImpactRecord.objects.create(campaign=campaign, indicator=waste,
                                    value=Decimal("85.50"))
        ImpactRecord.objects.create(campaign=campaign, indicator=trees, value=Decimal(12))
        with django_capture_on_commit_callbacks(execute=True):
            assert message_schedule.after_action_queue(now=ended + timedelta(minutes=10)) == 2
        assert message_schedule.after_action_queue(now=ended + timedelta(minutes=15)) == 0

        french = emails(kind="thank_you", participant=mia)[0]
        assert "Vous avez donné 2,5 heures" in french.body
        assert ("Le bilan de l’action : Déchets ramassés : 85,5 kg ; Arbres plantés : 12."
                in french.body)
        assert re.search(rf"/me/[^/]+/survey/{campaign.code}/after_action/", french.body)
        english = emails(kind="thank_you", participant=noa)[0]
        assert "You gave 6 hours" in english.body
        assert "Waste collected: 85.5 kg; Trees planted: 12." in english.body
        assert not emails(participant__first_name="Absent")

        # Day 90 after the end: the follow-up survey, once.
        follow_up_time = ended + timedelta(days=90, minutes=5)
        assert message_schedule.follow_up_surveys_queue(now=follow_up_time - timedelta(days=1)) == 0
        with django_capture_on_commit_callbacks(execute=True):
            assert message_schedule.follow_up_surveys_queue(now=follow_up_time) == 2
        assert message_schedule.follow_up_surveys_queue(now=follow_up_time) == 0
        follow_up = emails(kind="follow_up_survey", participant=mia)[0]
        assert re.search(rf"/me/[^/]+/survey/{campaign.code}/follow_up/", follow_up.body)
        assert len(mail.outbox) == 4


@pytest.mark.django_db
def test_thank_you_without_figures_a_day_later_and_no_follow_up_without_questions(
        org_a, eager):
    ended = datetime(2027, 6, 12, 17, 0, tzinfo=PARIS)
    with tenant_context(org_a):
        campaign = completed_campaign(ended=ended, with_survey=False)
        pledge(campaign, person("Ines"), attendance=Pledge.Attendance.ATTENDED,
               hours_given=Decimal(3), companions=2)
        assert message_schedule.after_action_queue(now=ended + timedelta(hours=23)) == 0
        assert message_schedule.after_action_queue(now=ended + timedelta(hours=25)) == 1
        [email] = emails(kind="thank_you")
        assert "Le bilan de l’action : 3 personnes mobilisées, 3 heures données." in email.body
        assert "/survey/" not in email.body  # the programme asks no questions
        assert message_schedule.follow_up_surveys_queue(now=ended + timedelta(days=91)) == 0
        # Campaigns that ended before the window are left alone.
        old = completed_campaign(ended=ended - timedelta(days=30))
        pledge(old, person("Olga"), attendance=Pledge.Attendance.ATTENDED)
        assert message_schedule.after_action_queue(now=ended + timedelta(hours=25)) == 0


@pytest.mark.django_db
def test_every_placeholder_of_a_library_programme_is_filled(
        org_a, owner_a, eager, django_capture_on_commit_callbacks):
    version = latest_published(Template.objects.get(slug="beach-clean-up"))
    with tenant_context(org_a):
        programme = programme_create_from_template(
            version=version, name="Summer shores", starts_on=date(2026, 1, 1),
            ends_on=date(2030, 12, 31), action_date=ACTION.date())
        campaign = make_campaign(programme=programme,
                                 starts_at=timezone.now() + timedelta(days=6, hours=12),
                                 deadline=timezone.now() + timedelta(days=2))
        # They agreed to hear about future actions (the impact recap needs it).
        fr, en = (person("Chloé", "fr", consent_to_contact=True),
                  person("Jo", "en", consent_to_contact=True))
        pledges = [pledge_create(slot=campaign.slots.get(), participant=p) for p in (fr, en)]
        with django_capture_on_commit_callbacks(execute=True):
            invitation_create(campaign=campaign, channel=Channel.EMAIL,
                              lever_code="personal_invitation", inviter=fr,
                              invitee_email="friend@example.test")
            reminders.reminders_queue(now=timezone.now())
            reminders.reminders_queue(now=timezone.now() + timedelta(days=6))
            Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SUCCEEDED)
            for pledge_ in pledges:
                pledge_check_in(pledge=pledge_, by_user=owner_a)
            Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.COMPLETED)
            campaign.refresh_from_db()
            ended = campaign.ends_at
            assert message_schedule.after_action_queue(
                now=ended + timedelta(days=1, minutes=1)) == 2
            assert message_schedule.impact_recap_queue(campaign=campaign) == 2
            assert message_schedule.follow_up_surveys_queue(
                now=ended + timedelta(days=90, hours=1)) == 2

        sent = emails()
        assert {e.kind for e in sent} == {"invitation", "reminder_d7", "reminder_d1",
                                          "thank_you", "impact_recap", "follow_up_survey"}
        for email in sent:
            assert "{" not in email.subject + email.body, (email.kind, email.body)
        invitation = emails(kind="invitation")[0]
        assert invitation.subject == "Chloé invites you to a family beach clean-up"
        assert emails(kind="reminder_d1", participant=fr)[0].subject.startswith(
            "C’est demain")
        assert len(mail.outbox) == len(sent) == 11


@pytest.mark.parametrize("name", sorted(
    f"{path.stem}_{lang}.txt"
    for path in (ROOT / "engagement" / "templates" / "engagement" / "email").glob("*.txt")
    if not path.name.startswith("_") for lang in ("fr", "en")))
def test_greetings_read_well_without_a_first_name(name):
    from django.template.loader import render_to_string
    from django.utils import translation

    kind, lang = name.removesuffix(".txt").rsplit("_", 1)
    with translation.override(lang):
        # (The group awaiting approval is always one with companions.)
        text = render_to_string(f"engagement/email/{kind}.txt",
                                {"participant_first_name": "", "companions": 2})
    assert "Hello ," not in text and "Bonjour ," not in text
    greeting = "Bonjour," if name.endswith("_fr.txt") else "Hello,"
    assert greeting in text
