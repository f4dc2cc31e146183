"""A participant's rights, the services: the export holds everything about the person and
nothing about anyone else, in their language; erasure blanks their personal data in one go,
keeps the anonymous facts, and changes no figure."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from engagement.models import (
    Channel,
    ConsentRecord,
    Invitation,
    OutboundEmail,
    Participant,
    Pledge,
    PrivacyLog,
    ProgrammeSurveyQuestion,
    SurveyAnswer,
    Team,
)
from engagement.services.privacy import (
    participant_erase,
    participant_export,
    participant_export_csv,
)
from methodology.models import Lever
from reports.levers import lever_analysis
from reports.metrics import (
    campaign_metrics,
    default_period,
    period_metrics,
    programme_metrics,
    team_metrics,
)

from ..factories import (
    ParticipantFactory,
    ProgrammeFactory,
    make_campaign_with_slot,
    make_pledge,
)

SECRET_WORDS = ("Zoéline", "Quarteroni", "zoeline.q@example.org", "13007", "Usine Nord",
                "Gaspard et Lou", "Les gants étaient trop petits")


def person_with_everything(*, language: str = "fr"):
    """A person with one row of every kind the organisation keeps about someone, a friend
    who joined through their invitation, and an e-mail invitation to their address sent
    before they joined. Returns (person, friend, campaign)."""
    programme = ProgrammeFactory()
    campaign, slot = make_campaign_with_slot(programme, days=-10, hours=3)
    team = Team.objects.create(name="Logistique")
    person = Participant.objects.create(
        email="zoeline.q@example.org", first_name="Zoéline", last_name="Quarteroni",
        language=language, team=team, site="Usine Nord", postcode="13007", age_band="35-44",
        consent_to_contact=True)
    ConsentRecord.objects.create(participant=person, given=True, source="join_form",
                                 campaign=campaign, wording_version="2026-11",
                                 wording="Me tenir au courant", language="fr")
    lever = Lever.objects.order_by("code").first()
    own = Invitation.objects.create(campaign=campaign, inviter=person,
                                    channel=Channel.LINK_SHARE, lever_code=lever.code,
                                    invitee_email="someone.else@example.org")
    organiser_invite = Invitation.objects.create(
        campaign=campaign, inviter=ParticipantFactory(), channel=Channel.EMAIL,
        lever_code=lever.code, invitee_email="Zoeline.Q@example.org")
    make_pledge(slot, person, hours=3, companions=2, companion_names="Gaspard et Lou",
                attendance=Pledge.Attendance.ATTENDED, invitation=organiser_invite,
                checked_in_at=timezone.now() - timedelta(days=10))
    friend = ParticipantFactory(first_name="Friendly", referred_by=person)
    make_pledge(slot, friend, hours=3, attendance=Pledge.Attendance.ATTENDED, invitation=own)
    text = ProgrammeSurveyQuestion.objects.create(
        programme=programme, moment="after_action", position=0, kind="text",
        text_fr="Qu'avez-vous pensé ?", text_en="What did you think?")
    scale = ProgrammeSurveyQuestion.objects.create(
        programme=programme, moment="after_action", position=1, kind="scale",
        text_fr="Note ?", text_en="Rating?")
    yes_no = ProgrammeSurveyQuestion.objects.create(
        programme=programme, moment="after_action", position=2, kind="yes_no",
        text_fr="Reviendrez-vous ?", text_en="Will you come again?")
    SurveyAnswer.objects.create(participant=person, campaign=campaign, question=text,
                                answer="Les gants étaient trop petits")
    SurveyAnswer.objects.create(participant=person, campaign=campaign, question=scale,
                                answer="4")
    SurveyAnswer.objects.create(participant=person, campaign=campaign, question=yes_no,
                                answer="yes")
    OutboundEmail.objects.create(participant=person, campaign=campaign, kind="thank_you",
                                 dedupe_key=f"thanks-{person.pk}", to_email=person.email,
                                 subject="Merci Zoéline", body="Bonjour Zoéline Quarteroni",
                                 status=OutboundEmail.Status.SENT, sent_at=timezone.now())
    OutboundEmail.objects.create(campaign=campaign, kind="invitation",
                                 dedupe_key=f"invite-{person.pk}",
                                 to_email="zoeline.q@example.org", subject="Rejoignez-nous",
                                 body="Bonjour, zoeline.q@example.org",
                                 last_error="550 zoeline.q@example.org unknown")
    OutboundEmail.objects.create(participant=person, campaign=campaign, kind="reminder_d1",
                                 dedupe_key=f"later-{person.pk}", to_email=person.email,
                                 subject="Demain, Zoéline", body="À demain")
    return person, friend, campaign


def section(export, key):
    return next(s for s in export["sections"] if s["key"] == key)


@pytest.mark.django_db
def test_the_export_holds_everything_about_the_person_in_french(org_a):
    with tenant_context(org_a):
        person, _friend, campaign = person_with_everything(language="fr")
        export = participant_export(participant=person)
    json.dumps(export)  # JSON-able as it stands
    assert export["language"] == "fr"
    identity = section(export, "identity")
    assert identity["title"] == "Qui vous êtes"
    row = identity["rows"][0]
    assert row["Adresse e-mail"] == "zoeline.q@example.org"
    assert row["Code postal"] == "13007" and row["Équipe"] == "Logistique"
    assert row["Langue"] == "Français"
    assert row["Personnes venues par votre lien"] == 1
    pledge = section(export, "pledges")["rows"][0]
    assert pledge["Campagne"] == campaign.title
    assert pledge["Statut"] == "Confirmé" and pledge["Présence"] == "Présent"
    assert pledge["Heures données"] == "3" and pledge["Accompagnants"] == 2
    assert pledge["Prénoms des accompagnants"] == "Gaspard et Lou"
    invitation = section(export, "invitations")["rows"][0]
    lever = Lever.objects.order_by("code").first()
    assert invitation["Canal"] == "Lien partagé"
    assert invitation["Levier"] == lever.name_fr  # a name, never the code
    assert invitation["Personnes venues par cette invitation"] == 1
    answers = {a["Question"]: a["Réponse"] for a in section(export, "survey_answers")["rows"]}
    assert answers == {"Qu'avez-vous pensé ?": "Les gants étaient trop petits",
                       "Note ?": "4", "Reviendrez-vous ?": "oui"}
    consent = section(export, "consents")["rows"][0]
    assert consent["Choix"] == "donné" and consent["Texte affiché"] == "Me tenir au courant"
    subjects = {e["Objet"] for e in section(export, "emails")["rows"]}
    # With the invitation e-mailed to their address before they joined.
    assert subjects == {"Merci Zoéline", "Demain, Zoéline", "Rejoignez-nous"}


@pytest.mark.django_db
def test_the_export_names_nobody_else_and_no_catalogue_code(org_a):
    with tenant_context(org_a):
        person, friend, _campaign = person_with_everything(language="en")
        export = participant_export(participant=person)
        lever = Lever.objects.order_by("code").first()
    text = json.dumps(export, ensure_ascii=False)
    assert "someone.else@example.org" not in text  # whom they invited is the invitee's
    assert friend.email not in text and "Friendly" not in text
    assert f'"{lever.code}"' not in text and '"link_share"' not in text
    assert section(export, "identity")["title"] == "Who you are"
    assert section(export, "invitations")["rows"][0]["Lever"] == lever.name_en


@pytest.mark.django_db
def test_the_csv_export_is_a_zip_of_one_file_per_section_in_the_persons_language(org_a):
    with tenant_context(org_a):
        person, _friend, _campaign = person_with_everything(language="fr")
        data = participant_export_csv(participant=person, actor=PrivacyLog.Actor.PERSON)
        logged = list(PrivacyLog.objects.values_list("kind", "actor", "count"))
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    assert names == ["1-identity.csv", "2-pledges.csv", "3-invitations.csv",
                     "4-survey_answers.csv", "5-consents.csv", "6-emails.csv"]
    identity = archive.read("1-identity.csv").decode("utf-8-sig")
    assert identity.startswith("Adresse e-mail,Prénom,Nom")
    assert "zoeline.q@example.org" in identity
    assert logged == [("export", "person", 1)]


@pytest.mark.django_db
def test_erasure_blanks_the_personal_data_and_keeps_the_facts(org_a):
    with tenant_context(org_a):
        person, friend, campaign = person_with_everything()
        pk = person.pk
        participant_erase(participant=person, actor=PrivacyLog.Actor.PERSON)
        person = Participant.objects.get(pk=pk)
        assert person.erased_at is not None and person.unsubscribed_at is not None
        assert person.email == f"erased-{pk}@erased.invalid"
        assert (person.first_name, person.last_name, person.site, person.postcode,
                person.age_band) == ("", "", "", "", "")
        assert not person.consent_to_contact
        assert person.team.name == "Logistique"  # a segment, not a person
        pledge = person.pledges.get()
        assert pledge.companion_names == "" and pledge.companions == 2
        assert pledge.hours_given == Decimal(3)
        assert pledge.attendance == Pledge.Attendance.ATTENDED
        assert friend.__class__.objects.get(pk=friend.pk).referred_by_id == pk
        answers = {a.question.kind: a.answer for a in person.survey_answers.all()}
        assert answers == {"text": "", "scale": "4", "yes_no": "yes"}
        assert set(Invitation.objects.filter(campaign=campaign)
                   .values_list("invitee_email", flat=True)) == {""}
        for email in OutboundEmail.objects.filter(campaign=campaign):
            assert (email.subject, email.body, email.last_error) == ("", "", "")
            assert email.to_email == f"erased-{pk}@erased.invalid"
        # What was waiting in the outbox never goes out.
        assert OutboundEmail.objects.get(kind="reminder_d1").status == "skipped"
        # The consents stay, as proof, and the withdrawal is recorded.
        records = list(ConsentRecord.objects.filter(participant=person)
                       .values_list("given", "wording"))
        assert records[0] == (True, "Me tenir au courant")
        assert records[-1][0] is False
        log = list(PrivacyLog.objects.values_list("kind", "actor", "count"))
        assert log == [("erasure", "person", 1)]


@pytest.mark.django_db
def test_erasure_by_the_schedule_counts_as_retention_and_twice_does_nothing(org_a):
    with tenant_context(org_a):
        person, _friend, _campaign = person_with_everything()
        participant_erase(participant=person, actor=PrivacyLog.Actor.SCHEDULE)
        participant_erase(participant=person, actor=PrivacyLog.Actor.SCHEDULE)
        assert list(PrivacyLog.objects.values_list("kind", "actor")) == [
            ("retention_erasure", "schedule")]
        # Not the person's choice: no withdrawal is recorded in their name.
        assert list(person.consents.values_list("given", flat=True)) == [True]
        assert person.erased_at is not None and not person.consent_to_contact


@pytest.mark.django_db
def test_figures_are_the_same_before_and_after_erasure(org_a):
    with tenant_context(org_a):
        person, _friend, campaign = person_with_everything()
        def figures():
            return (campaign_metrics(campaign), programme_metrics(campaign.programme),
                    period_metrics(*default_period()), team_metrics(person.team),
                    lever_analysis(campaign=campaign, segment="team"))

        before = figures()
        participant_erase(participant=person, actor=PrivacyLog.Actor.ORGANISER)
        after = figures()
    assert before == after
    # Not an empty comparison: the person, their companions and their friend are counted.
    assert before[0]["participants"]["with_companions"] == 4
    assert before[0]["hours"]["attended"] == 6
