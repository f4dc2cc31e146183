"""Survey response rates: the query rewritten for millions of e-mails (the asked and the
answered pairs matched by one hash join; issue 16) against the former query, kept here as
the oracle, on random organisations: programmes with both surveys, one only or none,
e-mails sent, skipped or of another kind, sent twice, without a participant, answers to
either moment, in several scopes."""

from __future__ import annotations

import random

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from engagement.models import Campaign, OutboundEmail, ProgrammeSurveyQuestion, SurveyAnswer
from reports.behaviour import MOMENT_KINDS, response_figures

from ..factories import CampaignFactory, ParticipantFactory, ProgrammeFactory

FORMER_SQL = """
SELECT e.kind, count(DISTINCT (e.participant_id, e.campaign_id)),
       count(DISTINCT (e.participant_id, e.campaign_id)) FILTER (WHERE EXISTS (
           SELECT 1 FROM engagement_surveyanswer a
           JOIN engagement_programmesurveyquestion q ON q.id = a.question_id
           WHERE a.participant_id = e.participant_id AND a.campaign_id = e.campaign_id
             AND q.moment = CASE e.kind WHEN 'thank_you' THEN 'after_action'
                                        ELSE 'follow_up' END))
FROM engagement_outboundemail e
JOIN engagement_campaign c ON c.id = e.campaign_id
WHERE e.kind IN ('thank_you', 'follow_up_survey') AND e.status = 'sent'
  AND e.participant_id IS NOT NULL AND e.campaign_id IN ({scope})
  AND EXISTS (SELECT 1 FROM engagement_programmesurveyquestion q
              WHERE q.programme_id = c.programme_id
                AND q.moment = CASE e.kind WHEN 'thank_you' THEN 'after_action'
                                           ELSE 'follow_up' END)
GROUP BY e.kind
"""


def _former(campaigns) -> dict[str, tuple[int, int]]:
    scope, params = campaigns.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(FORMER_SQL.format(scope=scope), params)
        found = {kind: (asked, answered) for kind, asked, answered in cursor.fetchall()}
    return {moment: found.get(kind, (0, 0)) for moment, kind in MOMENT_KINDS.items()}


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [31, 32])
def test_response_figures_match_the_former_query(org_a, seed):
    rng = random.Random(seed)
    with tenant_context(org_a):
        programmes = [ProgrammeFactory(name=f"Surveys {n}") for n in range(3)]
        questions = {}
        for programme, moments in zip(programmes, [("after_action", "follow_up"),
                                                   ("after_action",), ()], strict=True):
            for moment in moments:
                questions[programme.pk, moment] = ProgrammeSurveyQuestion.objects.create(
                    programme=programme, moment=moment, position=0, kind="scale",
                    measure="intent", text_fr="Probabilité ?", text_en="How likely?")
        campaigns = [CampaignFactory(programme=programmes[n % 3]) for n in range(6)]
        people = [ParticipantFactory() for _ in range(40)]
        for index in range(260):
            person, campaign = rng.choice(people), rng.choice(campaigns)
            OutboundEmail.objects.create(
                participant=None if rng.random() < 0.05 else person, campaign=campaign,
                kind=rng.choice(["thank_you", "follow_up_survey", "reminder"]),
                status=rng.choice(["sent"] * 4 + ["skipped"]), dedupe_key=f"e{index}",
                to_email=person.email)
        for person in people:
            for campaign in rng.sample(campaigns, 3):
                for moment in ("after_action", "follow_up"):
                    question = questions.get((campaign.programme_id, moment))
                    if question is not None and rng.random() < 0.5:
                        SurveyAnswer.objects.create(participant=person, campaign=campaign,
                                                    question=question, answer="3")
        scopes = [Campaign.objects.filter(programme=programme) for programme in programmes]
        scopes += [Campaign.objects.all(), Campaign.objects.filter(pk=campaigns[0].pk)]
        for scope in scopes:
            got = {moment: (row["asked"], row["answered"])
                   for moment, row in response_figures(scope).items()}
            assert got == _former(scope)
        everything = _former(Campaign.objects.all())
        assert all(asked > answered > 0 for asked, answered in everything.values())
