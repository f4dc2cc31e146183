"""Behaviour change: paired D+0 / D+90 answers, response rates, returning participants;
every statistic checked against scipy.stats and statsmodels."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar

from engagement.models import (
    Campaign,
    Invitation,
    OutboundEmail,
    Pledge,
    ProgrammeSurveyQuestion,
    SurveyAnswer,
)
from reports.behaviour import programme_behaviour
from reports.behaviour_stats import mcnemar_p, paired_t_interval, t_quantile

from ..factories import CampaignFactory, ParticipantFactory, PledgeFactory, ProgrammeFactory

NOW = timezone.now()


@pytest.mark.parametrize("p,df", [(0.975, 1), (0.975, 4), (0.975, 29), (0.95, 200),
                                  (0.025, 7)])
def test_t_quantile_matches_scipy(p, df):
    assert t_quantile(p, df) == pytest.approx(stats.t.ppf(p, df), abs=1e-9)


@pytest.mark.parametrize("differences", [
    [1, 0, 2, -1, 1], [0, 0, 1, 0, 0, 0, 1, 2, -1, 0, 0, 3], [2, 2, 2, 2, 1, 3],
])
def test_paired_interval_matches_scipy_paired_t(differences):
    mean, low, high = paired_t_interval([float(d) for d in differences])
    result = stats.ttest_1samp(differences, 0).confidence_interval(0.95)
    assert mean == pytest.approx(sum(differences) / len(differences))
    assert (low, high) == (pytest.approx(result.low), pytest.approx(result.high))


@pytest.mark.parametrize("yes_to_no,no_to_yes", [
    (0, 0), (0, 5), (2, 9), (7, 7), (3, 21), (10, 30), (40, 25), (0, 60)])
def test_mcnemar_matches_statsmodels(yes_to_no, no_to_yes):
    table = [[12, yes_to_no], [no_to_yes, 8]]
    exact = yes_to_no + no_to_yes < 25
    expected = mcnemar(table, exact=exact, correction=True).pvalue
    assert mcnemar_p(yes_to_no, no_to_yes) == pytest.approx(expected, rel=1e-9, abs=1e-12)


# --- Data: a programme with two pairs, a campaign over 90 days ago ----------------------

def _programme():
    programme = ProgrammeFactory(name="Greening")
    questions = {}
    for moment in ("after_action", "follow_up"):
        questions[moment, "intent"] = ProgrammeSurveyQuestion.objects.create(
            programme=programme, moment=moment, position=0, kind="scale",
            measure="volunteering-intent", text_fr="Probabilité ?", text_en="How likely?")
        questions[moment, "other"] = ProgrammeSurveyQuestion.objects.create(
            programme=programme, moment=moment, position=1, kind="yes_no",
            measure="other-action", text_fr=f"Autre action ({moment}) ?",
            text_en=f"Another action ({moment})?")
    ProgrammeSurveyQuestion.objects.create(
        programme=programme, moment="after_action", position=2, kind="text",
        text_fr="Un mot ?", text_en="A word?")
    return programme, questions


def _campaign(programme, days_ago: int) -> Campaign:
    start = NOW - timedelta(days=days_ago)
    return CampaignFactory(programme=programme, starts_at=start,
                           mobilisation_deadline=start - timedelta(days=2),
                           status=Campaign.Status.COMPLETED)


def _attend(campaign, person, *, invitation=None):
    from engagement.models import Slot
    slot = Slot.objects.filter(campaign=campaign).first() or Slot.objects.create(
        campaign=campaign, starts_at=campaign.starts_at, ends_at=campaign.ends_at,
        capacity=50)
    return PledgeFactory(slot=slot, participant=person, invitation=invitation,
                         attendance=Pledge.Attendance.ATTENDED)


def _answer(person, campaign, question, answer):
    SurveyAnswer.objects.create(participant=person, campaign=campaign, question=question,
                                answer=answer)


INTENT = [(3, 4), (2, 4), (4, 4), (5, 4), (3, 5), (1, 3)]
OTHER = [("no", "yes"), ("no", "yes"), ("no", "no"), ("yes", "yes"), ("no", "yes"),
         ("yes", "no")]


@pytest.mark.django_db
def test_paired_figures_per_measure_match_the_reference_tests(org_a):
    with tenant_context(org_a):
        programme, questions = _programme()
        campaign = _campaign(programme, days_ago=100)
        people = [ParticipantFactory() for _ in range(8)]
        for person, (before, after), (yes_before, yes_after) in zip(people, INTENT, OTHER,
                                                                     strict=False):
            _attend(campaign, person)
            _answer(person, campaign, questions["after_action", "intent"], str(before))
            _answer(person, campaign, questions["follow_up", "intent"], str(after))
            _answer(person, campaign, questions["after_action", "other"], yes_before)
            _answer(person, campaign, questions["follow_up", "other"], yes_after)
        # Answered after the action only: no pair.
        _answer(people[6], campaign, questions["after_action", "intent"], "1")
        _answer(people[6], campaign, questions["after_action", "other"], "no")
        # Sent each survey: 7 attendees asked after the action, 6 at the follow-up.
        for n, person in enumerate(people[:7]):
            OutboundEmail.objects.create(
                participant=person, campaign=campaign, kind="thank_you",
                dedupe_key=f"t{n}", to_email=person.email, status="sent")
            if n < 6:
                OutboundEmail.objects.create(
                    participant=person, campaign=campaign, kind="follow_up_survey",
                    dedupe_key=f"f{n}", to_email=person.email, status="sent")
        # Skipped (unsubscribed): not asked.
        OutboundEmail.objects.create(participant=people[7], campaign=campaign,
                                     kind="follow_up_survey", dedupe_key="f7",
                                     to_email=people[7].email, status="skipped")

        figures = programme_behaviour(programme)

    by_measure = {row["measure"]: row for row in figures["measures"]}
    assert set(by_measure) == {"volunteering-intent", "other-action"}
    intent = by_measure["volunteering-intent"]
    differences = [after - before for before, after in INTENT]
    reference = stats.ttest_rel([a for _b, a in INTENT], [b for b, _a in INTENT])
    interval = reference.confidence_interval(0.95)
    assert intent["pairs"] == 6 and intent["enough"]
    assert intent["before"] == round(sum(b for b, _a in INTENT) / 6, 2)
    assert intent["after"] == round(sum(a for _b, a in INTENT) / 6, 2)
    assert intent["change"] == round(sum(differences) / 6, 2)
    assert intent["change_low"] == round(interval.low, 2)
    assert intent["change_high"] == round(interval.high, 2)
    assert (intent["improved"], intent["same"], intent["declined"]) == (
        round(4 / 6, 4), round(1 / 6, 4), round(1 / 6, 4))

    other = by_measure["other-action"]
    assert other["question_en"] == "Another action (follow_up)?"
    assert (other["yes_before"], other["yes_after"]) == (round(2 / 6, 4), round(4 / 6, 4))
    assert (other["became_yes"], other["became_no"]) == (3, 1)
    table = [[1, 1], [3, 1]]  # rows: before yes/no; columns: after yes/no
    assert other["p_value"] == round(mcnemar(table, exact=True).pvalue, 4)

    assert figures["response"]["after_action"] == {
        "asked": 7, "answered": 7, "enough": True, "rate": 1.0}
    assert figures["response"]["follow_up"] == {
        "asked": 6, "answered": 6, "enough": True, "rate": 1.0}


@pytest.mark.django_db
def test_under_five_pairs_every_figure_is_hidden(org_a):
    with tenant_context(org_a):
        programme, questions = _programme()
        campaign = _campaign(programme, days_ago=100)
        for before, after in INTENT[:4]:
            person = ParticipantFactory()
            _attend(campaign, person)
            _answer(person, campaign, questions["after_action", "intent"], str(before))
            _answer(person, campaign, questions["follow_up", "intent"], str(after))
            OutboundEmail.objects.create(
                participant=person, campaign=campaign, kind="follow_up_survey",
                dedupe_key=f"f{person.pk}", to_email=person.email, status="sent")
        figures = programme_behaviour(programme)
    intent = {row["measure"]: row for row in figures["measures"]}["volunteering-intent"]
    assert intent["pairs"] == 4 and not intent["enough"]
    assert intent["before"] is None and intent["change_low"] is None
    assert figures["response"]["follow_up"] == {
        "asked": 4, "answered": 4, "enough": False, "rate": None}


@pytest.mark.django_db
def test_returning_participants_by_first_lever_and_windows_not_yet_elapsed(org_a):
    with tenant_context(org_a):
        programme, _questions = _programme()
        old = _campaign(programme, days_ago=400)
        later = _campaign(programme, days_ago=350)      # 50 days after ``old``
        much_later = _campaign(programme, days_ago=200)  # 200 days after ``old``
        recent = _campaign(programme, days_ago=30)
        inviter = ParticipantFactory()
        for n in range(12):
            person = ParticipantFactory()
            invitation = Invitation.objects.create(
                campaign=old, channel="email", lever_code="personal_invitation",
                inviter=inviter) \
                if n < 8 else None
            _attend(old, person, invitation=invitation)
            if n < 3:
                _attend(later, person)
            elif n < 6:
                _attend(much_later, person)
        for _n in range(4):  # first action 30 days ago: not measurable yet
            _attend(recent, ParticipantFactory())
        figures = programme_behaviour(programme)["returning"]

    assert figures["people"] == 16
    assert figures["windows"]["90"] == {"measurable": 12, "not_yet": 4, "returned": 3,
                                        "enough": True, "share": round(3 / 12, 4)}
    assert figures["windows"]["365"] == {"measurable": 12, "not_yet": 4, "returned": 6,
                                         "enough": True, "share": 0.5}
    levers = {row["name_en"]: row for row in figures["by_lever"]}
    assert set(levers) == {"Personal invitation", "No invitation"}
    personal = levers["Personal invitation"]
    assert personal["people"] == 8 and personal["lever"] == "personal_invitation"
    assert personal["windows"]["365"]["share"] == round(6 / 8, 4)
    none = levers["No invitation"]
    assert none["name_fr"] == "Sans invitation"
    # 4 measurable people (and 4 not yet): a cell under 5 is hidden.
    assert none["people"] == 8 and none["windows"]["90"]["measurable"] == 4
    assert none["windows"]["90"]["share"] is None and not none["windows"]["90"]["enough"]
    assert none["windows"]["90"]["not_yet"] == 4
