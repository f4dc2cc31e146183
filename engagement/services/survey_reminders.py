"""Survey reminders: a person who was sent a survey (the thank-you's, after the action, or
the follow-up's, 90 days later) and has not answered it gets one reminder,
``REMINDER_DELAY`` after the survey e-mail went out.

Once per person, campaign and survey moment: the outbox's unique ``dedupe_key`` holds it
(``survey_reminder:campaign:…:participant:…``), so overlapping schedule runs queue it
once. The reminder follows the survey's own rules: the after-action one goes like the
thank-you (about an action the person attended), the follow-up one only with the
person's consent to hear from the organisation (like the follow-up survey); nobody who
unsubscribed is written to (``outbox.email_queue``)."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, QuerySet

from methodology.models import SurveyMoment

from .. import links
from ..models import EmailKind, OutboundEmail, ProgrammeSurveyQuestion, SurveyAnswer
from .message_texts import CampaignFacts, participant_email_queue, placeholder_values
from .outbox import already_queued, dedupe_key

# A week after the survey e-mail; surveys sent more than ``WINDOW`` before that are left
# alone (turning the schedule on does not remind every past participant).
REMINDER_DELAY = timedelta(days=7)
WINDOW = timedelta(days=7)
# The survey e-mail's kind → (the reminder's kind, the survey's moment).
REMINDED = {
    EmailKind.THANK_YOU: (EmailKind.SURVEY_REMINDER, SurveyMoment.AFTER_ACTION),
    EmailKind.FOLLOW_UP_SURVEY: (EmailKind.FOLLOW_UP_SURVEY_REMINDER, SurveyMoment.FOLLOW_UP),
}


def _unanswered(kind: EmailKind, moment: str, reminder: EmailKind, *,
                now: datetime) -> QuerySet[OutboundEmail]:
    asked = Exists(ProgrammeSurveyQuestion.objects.filter(
        programme=OuterRef("campaign__programme"), moment=moment))
    answered = Exists(SurveyAnswer.objects.filter(
        participant=OuterRef("participant"), campaign=OuterRef("campaign"),
        question__moment=moment))
    return (OutboundEmail.objects
            .filter(kind=kind, status=OutboundEmail.Status.SENT,
                    participant__isnull=False, campaign__isnull=False,
                    sent_at__lte=now - REMINDER_DELAY,
                    sent_at__gt=now - REMINDER_DELAY - WINDOW)
            .filter(asked).exclude(answered)
            .exclude(already_queued(reminder, campaign="campaign_id",
                                    participant="participant_id"))
            .select_related("participant", "campaign__programme")
            .order_by("campaign_id", "participant_id"))


def survey_reminders_queue(*, now: datetime) -> int:
    """Queue the reminders that are due; returns how many will be sent."""
    queued = 0
    for kind, (reminder, moment) in REMINDED.items():
        facts: dict[int, CampaignFacts] = {}
        for email in _unanswered(kind, moment, reminder, now=now):
            participant, campaign = email.participant, email.campaign
            assert participant is not None and campaign is not None
            campaign_facts = facts.setdefault(campaign.pk, CampaignFacts(campaign))
            values = placeholder_values(campaign_facts, participant=participant,
                                        survey_moment=moment,
                                        link=functools.partial(links.campaign_url, campaign))
            row = participant_email_queue(
                kind=reminder, participant=participant, facts=campaign_facts,
                values=values, extra={"follow_up": moment == SurveyMoment.FOLLOW_UP},
                dedupe_key=dedupe_key(reminder, campaign=campaign.pk,
                                      participant=participant.pk))
            queued += row is not None and row.status == OutboundEmail.Status.QUEUED
    return queued
