"""Survey answers: a participant answers the questions of a campaign's survey (after the
action, and the follow-up weeks later)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from methodology.models import QuestionKind

from ..models import Campaign, Participant, ProgrammeSurveyQuestion, SurveyAnswer
from .activity import participant_touch

SCALE_ANSWERS = {"1", "2", "3", "4", "5"}
YES_NO_ANSWERS = {"yes", "no"}


def survey_answer_errors(*, question: ProgrammeSurveyQuestion, answer: str) -> list[str]:
    """What is wrong with an answer to a question (an empty answer is always allowed)."""
    if question.kind == QuestionKind.SCALE and answer and answer not in SCALE_ANSWERS:
        return [_("Choose a number from 1 to 5.")]
    if question.kind == QuestionKind.YES_NO and answer and answer not in YES_NO_ANSWERS:
        return [_("Answer yes or no.")]
    return []


def survey_answer_record(*, participant: Participant, campaign: Campaign,
                         answers: dict[ProgrammeSurveyQuestion, str]) -> None:
    """Record a participant's answers to a campaign's survey questions: an answer replaces
    an earlier one, an empty answer leaves the question unanswered. One answer that does
    not fit its question refuses them all, writing nothing (errors keyed by question id)."""
    errors = {str(question.pk): problems for question, answer in answers.items()
              if (problems := survey_answer_errors(question=question, answer=answer))}
    if errors:
        raise DomainError(errors)
    with transaction.atomic():
        for question, answer in answers.items():
            if answer:
                SurveyAnswer.objects.update_or_create(
                    participant=participant, campaign=campaign, question=question,
                    defaults={"answer": answer, "answered_at": timezone.now()})
        if any(answers.values()):
            participant_touch(participant_id=participant.pk)
