"""Demo: behaviour change. Three earlier editions of the organisation's first programme
(about 380, 330 and 270 days ago), whose participants answered the survey right after the
action and 90 days later (the paired measures of the programme's template), with the
survey e-mails that asked them; some came back for the next edition or the recent one,
first brought by different levers. The recent finished campaign gets its after-action
answers only (its follow-up is not due yet). Idempotent: does nothing once the earlier
editions exist."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from engagement.models import (
    Campaign,
    Invitation,
    OutboundEmail,
    Participant,
    Pledge,
    Programme,
    ProgrammeSurveyQuestion,
    Slot,
    SurveyAnswer,
)
from engagement.services.outbox import dedupe_key

EDITIONS = [  # (days ago, title fr, title en, attendees)
    (380, "Nettoyage des berges — première édition", "Riverbank clean-up — first edition", 46),
    (330, "Nettoyage des berges — deuxième édition", "Riverbank clean-up — second edition",
     34),
    (270, "Nettoyage des berges — troisième édition", "Riverbank clean-up — third edition",
     30),
]
LEVERS = ["personal_invitation", "personal_invitation", "leader_example", "team_challenge",
          "social_proof", ""]


def seed(*, company: bool) -> None:
    programme = Programme.objects.order_by("created_at").first()
    if not company or programme is None or Campaign.objects.filter(
            title=EDITIONS[0][1]).exists():
        return
    rng = random.Random(15)  # noqa: S311 (demo data, not secrets)
    people = list(Participant.objects.order_by("pk")[:120])
    if len(people) < 113:  # the three editions' people
        return
    with transaction.atomic():
        now = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
        first, second, third = (_edition(programme, now - timedelta(days=days), fr, en)
                                for days, fr, en, _n in EDITIONS)
        inviter = people[0]
        first_people = people[1:1 + EDITIONS[0][3]]
        # A third of each edition's people come back for the next one, 50 and 60 days
        # later: the returns the dashboards show (within 90 days, and within a year for
        # the first edition, the only one a year old).
        second_people = first_people[::3] + people[60:60 + EDITIONS[1][3] - 16]
        third_people = second_people[1::3] + people[94:94 + EDITIONS[2][3] - 11]
        for campaign, group in ((first, first_people), (second, second_people),
                                (third, third_people)):
            for person in group:
                _attend(campaign, person, rng, lever=rng.choice(LEVERS), inviter=inviter)
            _answers(campaign, group, rng, follow_up=True)
        recent = (Campaign.objects.filter(programme=programme, status="completed")
                  .exclude(pk__in=[first.pk, second.pk, third.pk])
                  .order_by("-starts_at").first())
        if recent is not None:
            attendees = list(Participant.objects.filter(
                pledges__slot__campaign=recent, pledges__attendance="attended").distinct())
            _answers(recent, attendees, rng, follow_up=False)


def _edition(programme, starts_at, title_fr, title_en) -> Campaign:
    deadline = starts_at - timedelta(days=7)
    campaign = Campaign.objects.create(
        programme=programme, title=title_fr, place="Parc des Berges",
        content_language="fr", translations={"en": {"title": title_en}},
        starts_at=starts_at, ends_at=starts_at + timedelta(hours=3),
        participant_target=30, mobilisation_deadline=deadline,
        status=Campaign.Status.COMPLETED, closed_at=deadline,
        created_at=starts_at - timedelta(days=30))
    Slot.objects.create(campaign=campaign, starts_at=starts_at,
                        ends_at=starts_at + timedelta(hours=3), capacity=80)
    return campaign


def _attend(campaign, person, rng, *, lever: str, inviter) -> None:
    slot = campaign.slots.get()
    invitation = Invitation.objects.create(
        campaign=campaign, inviter=inviter, channel="email", lever_code=lever,
        invitee_email=person.email, sent_at=campaign.created_at) if lever else None
    Pledge.objects.create(
        slot=slot, participant=person, invitation=invitation, status="confirmed",
        attendance="attended", hours_given=Decimal(str(slot.hours)),
        created_at=campaign.starts_at - timedelta(days=rng.randint(8, 25)),
        confirmed_at=campaign.starts_at - timedelta(days=8), checked_in_at=slot.starts_at)
    Slot.objects.filter(pk=slot.pk).update(confirmed_seats=slot.confirmed_seats + 1)


def _answer(rng, kind: str, moment: str, before: str | None) -> str:
    if kind == "scale":
        if before is None:
            return str(rng.choice([2, 3, 3, 4, 4, 5]))
        return str(min(5, max(1, int(before) + rng.choice([-1, 0, 0, 1, 1, 1]))))
    if kind == "yes_no":
        if before is None:
            return "yes" if rng.random() < 0.3 else "no"
        return "yes" if (before == "yes" and rng.random() < 0.85) or rng.random() < 0.45 \
            else "no"
    return rng.choice(["Très bonne ambiance.", "Plus de sacs la prochaine fois.",
                       "Merci aux bénévoles de l'association."])


def _answers(campaign, people, rng, *, follow_up: bool) -> None:
    questions = list(ProgrammeSurveyQuestion.objects.filter(programme=campaign.programme))
    asked = [("after_action", "thank_you", timedelta(days=1), 0.75)]
    if follow_up:
        asked.append(("follow_up", "follow_up_survey", timedelta(days=90), 0.7))
    for person in people:
        given: dict[str, str] = {}
        for moment, kind, delay, share in asked:
            sent_at = campaign.ends_at + delay
            OutboundEmail.objects.create(
                participant=person, campaign=campaign, kind=kind,
                dedupe_key=dedupe_key(kind, campaign=campaign.pk, participant=person.pk),
                to_email=person.email, subject="—", body="—", status="sent",
                sent_at=sent_at, created_at=sent_at, language=person.language)
            if rng.random() > share or (moment == "follow_up" and not given):
                continue
            for question in (q for q in questions if q.moment == moment):
                if question.kind == "text" and rng.random() < 0.6:
                    continue
                answer = _answer(rng, question.kind, moment, given.get(question.measure)
                                 if moment == "follow_up" and question.measure else None)
                SurveyAnswer.objects.create(participant=person, campaign=campaign,
                                            question=question, answer=answer,
                                            answered_at=sent_at + timedelta(hours=5))
                if moment == "after_action" and question.measure:
                    given[question.measure] = answer
