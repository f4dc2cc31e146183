"""Behaviour change: the same question asked right after the action (D+0) and at the
follow-up (D+90), compared per person; the surveys' response rates; and the people who
came back (``reports.returning``). Computed in SQL over a set of campaigns; the
dashboard, the API and the PDF render the same dict::

    {
      "min_respondents": 5,
      "measures": [{
          "measure": str, "kind": "scale" | "yes_no",
          "question_fr": str, "question_en": str,   # the follow-up wording
          "pairs": int,                   # people who answered at both moments
          "enough": bool,                 # pairs >= 5; otherwise every figure is None
          # scale (1-5):
          "before": float, "after": float,          # means, 2 decimals
          "change": float, "change_low": float, "change_high": float,  # paired t, 95 %
          "improved": float, "same": float, "declined": float,          # shares
          # yes_no:
          "yes_before": float, "yes_after": float,  # shares
          "became_yes": int, "became_no": int,      # discordant pairs
          "p_value": float,                         # McNemar (exact under 25 discordant)
      }],
      "response": {"after_action" | "follow_up": {
          "asked": int,       # attendees sent the survey (its e-mail went out)
          "answered": int,    # ... of whom answered at least one question
          "enough": bool, "rate": float | None}},
      "returning": see reports.returning,
    }

A pair is one person and one campaign: a question with a ``measure`` after the action and
the question with the same measure and kind at the follow-up, in the same programme.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from django.db import connections
from django.db.models import QuerySet
from django.utils import timezone

from core.replica import reader
from engagement.models import Campaign, Programme

from .analytic import WORK_MEM_MANY, analytic_cursor
from .behaviour_stats import MIN_RESPONDENTS, mcnemar_p, paired_t_interval
from .models import Report
from .returning import returning_figures

MOMENT_KINDS = {"after_action": "thank_you", "follow_up": "follow_up_survey"}

_PAIRS_SQL = """
SELECT q0.measure, q0.kind, a0.answer, a1.answer, count(*)
FROM engagement_surveyanswer a0
JOIN engagement_programmesurveyquestion q0 ON q0.id = a0.question_id
JOIN engagement_programmesurveyquestion q1
  ON q1.programme_id = q0.programme_id AND q1.moment = 'follow_up'
 AND q1.measure = q0.measure AND q1.kind = q0.kind
JOIN engagement_surveyanswer a1
  ON a1.question_id = q1.id AND a1.participant_id = a0.participant_id
 AND a1.campaign_id = a0.campaign_id
WHERE q0.moment = 'after_action' AND q0.measure <> '' AND q0.kind IN ('scale', 'yes_no')
  AND a0.campaign_id IN ({scope})
GROUP BY 1, 2, 3, 4
"""

_MEASURES_SQL = """
SELECT DISTINCT ON (q.measure) q.measure, q.kind, q.text_fr, q.text_en
FROM engagement_programmesurveyquestion q
WHERE q.moment = 'follow_up' AND q.measure <> '' AND q.kind IN ('scale', 'yes_no')
  AND q.programme_id IN (SELECT c.programme_id FROM engagement_campaign c
                         WHERE c.id IN ({scope}))
ORDER BY q.measure, q.programme_id DESC, q.position
"""

# People asked and people who answered, per survey: the e-mails' (person, campaign) pairs
# and the answered pairs each read once and matched by a hash join, where a subquery per
# e-mail probed the answers (49 s for 1.5 million e-mails sent, docs/performance.md).
_RESPONSE_SQL = """
WITH asked AS (
  SELECT DISTINCT e.kind, e.participant_id, e.campaign_id,
         CASE e.kind WHEN 'thank_you' THEN 'after_action' ELSE 'follow_up' END AS moment
  FROM engagement_outboundemail e
  JOIN engagement_campaign c ON c.id = e.campaign_id
  WHERE e.kind IN ('thank_you', 'follow_up_survey') AND e.status = 'sent'
    AND e.participant_id IS NOT NULL AND e.campaign_id IN ({scope})
    AND EXISTS (SELECT 1 FROM engagement_programmesurveyquestion q
                WHERE q.programme_id = c.programme_id
                  AND q.moment = CASE e.kind WHEN 'thank_you' THEN 'after_action'
                                             ELSE 'follow_up' END)
), answered AS (
  SELECT DISTINCT a.participant_id, a.campaign_id, q.moment
  FROM engagement_surveyanswer a
  JOIN engagement_programmesurveyquestion q ON q.id = a.question_id
  WHERE a.campaign_id IN ({scope})
)
SELECT count(*) FILTER (WHERE asked.kind = 'thank_you'),
       count(answered.participant_id) FILTER (WHERE asked.kind = 'thank_you'),
       count(*) FILTER (WHERE asked.kind = 'follow_up_survey'),
       count(answered.participant_id) FILTER (WHERE asked.kind = 'follow_up_survey')
FROM asked LEFT JOIN answered ON answered.participant_id = asked.participant_id
 AND answered.campaign_id = asked.campaign_id AND answered.moment = asked.moment
"""


def _scope_sql(campaigns: QuerySet[Campaign]) -> tuple[str, tuple]:
    sql, params = campaigns.values("pk").query.sql_with_params()
    return sql, tuple(params)


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _scale(row: dict, counts: dict[tuple[str, str], int]) -> None:
    differences: list[float] = []
    befores = afters = 0
    for (before, after), count in counts.items():
        differences += [float(int(after) - int(before))] * count
        befores += int(before) * count
        afters += int(after) * count
    n = len(differences)
    change, low, high = paired_t_interval(differences)
    row.update(before=round(befores / n, 2), after=round(afters / n, 2),
               change=round(change, 2), change_low=round(low, 2), change_high=round(high, 2),
               improved=_share(sum(d > 0 for d in differences), n),
               same=_share(sum(d == 0 for d in differences), n),
               declined=_share(sum(d < 0 for d in differences), n))


def _yes_no(row: dict, counts: dict[tuple[str, str], int]) -> None:
    n = row["pairs"]
    yes_before = sum(c for (b, _a), c in counts.items() if b == "yes")
    yes_after = sum(c for (_b, a), c in counts.items() if a == "yes")
    became_yes = counts.get(("no", "yes"), 0)
    became_no = counts.get(("yes", "no"), 0)
    row.update(yes_before=_share(yes_before, n), yes_after=_share(yes_after, n),
               became_yes=became_yes, became_no=became_no,
               p_value=round(mcnemar_p(became_no, became_yes), 4))


EMPTY = {"scale": ("before", "after", "change", "change_low", "change_high", "improved",
                   "same", "declined"),
         "yes_no": ("yes_before", "yes_after", "became_yes", "became_no", "p_value")}


def measure_figures(campaigns: QuerySet[Campaign]) -> list[dict]:
    """Every paired measure of the campaigns' programmes, with its figures."""
    scope, params = _scope_sql(campaigns)
    with connections[reader()].cursor() as cursor:
        cursor.execute(_MEASURES_SQL.format(scope=scope), params)
        measures = cursor.fetchall()
        cursor.execute(_PAIRS_SQL.format(scope=scope), params)
        pairs: dict[tuple[str, str], dict[tuple[str, str], int]] = defaultdict(dict)
        for measure, kind, before, after, count in cursor.fetchall():
            pairs[(measure, kind)][(before, after)] = count
    rows = []
    for measure, kind, text_fr, text_en in measures:
        counts = pairs.get((measure, kind), {})
        row: dict = {"measure": measure, "kind": kind, "question_fr": text_fr,
                     "question_en": text_en, "pairs": sum(counts.values())}
        row["enough"] = row["pairs"] >= MIN_RESPONDENTS
        row.update(dict.fromkeys(EMPTY[kind]))
        if row["enough"]:
            (_scale if kind == "scale" else _yes_no)(row, counts)
        rows.append(row)
    return rows


def response_figures(campaigns: QuerySet[Campaign]) -> dict:
    scope, params = _scope_sql(campaigns)
    # The (person, campaign) pairs of a big organisation in memory, JIT off (analytic.py);
    # one row of counts (no sort of the pairs by kind).
    with analytic_cursor(WORK_MEM_MANY) as cursor:
        cursor.execute(_RESPONSE_SQL.format(scope=scope), (*params, *params))
        thanked, answered_after, followed, answered_follow_up = cursor.fetchone()
    found = {"thank_you": (thanked, answered_after),
             "follow_up_survey": (followed, answered_follow_up)}
    result = {}
    for moment, kind in MOMENT_KINDS.items():
        asked, answered = found[kind]
        enough = answered >= MIN_RESPONDENTS
        result[moment] = {"asked": asked, "answered": answered, "enough": enough,
                          "rate": _share(answered, asked) if enough else None}
    return result


def behaviour_figures(campaigns: QuerySet[Campaign], *, now: datetime | None = None) -> dict:
    return {"min_respondents": MIN_RESPONDENTS,
            "measures": measure_figures(campaigns),
            "response": response_figures(campaigns),
            "returning": returning_figures(campaigns, now=now or timezone.now())}


def plural_counter(value: float, lang: str) -> int:
    """The count that picks a decimal figure's plural as it is printed (2 decimals): in
    French the singular up to 1,99 ("1,5 point"), in English only for exactly 1 ("1
    point", "1.5 points")."""
    shown = round(abs(float(value or 0)), 2)
    whole = int(shown)
    return whole if shown == whole or lang == "fr" else 2


def localized_behaviour(figures: dict, lang: str) -> dict:
    """The figures with the reader's wording: each measure's question, each lever's name;
    and whether each part has anything to show (an empty part is one sentence)."""
    returning = figures["returning"]
    return {**figures,
            "surveyed": any(row["asked"] for row in figures["response"].values()),
            "paired": any(row["pairs"] for row in figures["measures"]),
            "measurable": any(returning["windows"][days]["measurable"]
                              for days in returning["windows"]),
            "measures": [{**row, "question": row[f"question_{lang}"],
                          "change_counter": plural_counter(row.get("change") or 0, lang)}
                         for row in figures["measures"]],
            "returning": {**figures["returning"], "by_lever": [
                {**row, "name": row[f"name_{lang}"]}
                for row in figures["returning"]["by_lever"]]}}


def report_behaviour(report: Report) -> dict:
    """The figures of a report's scope: the same as the dashboard's and the API's."""
    if report.scope == Report.Scope.CAMPAIGN:
        return behaviour_figures(Campaign.objects.filter(pk=report.campaign_id or 0))
    if report.scope == Report.Scope.PROGRAMME:
        return behaviour_figures(Campaign.objects.filter(
            programme_id=report.programme_id or 0))
    assert report.period_start is not None and report.period_end is not None
    return period_behaviour(report.period_start, report.period_end)


def programme_behaviour(programme: Programme, *, now: datetime | None = None) -> dict:
    return behaviour_figures(Campaign.objects.filter(programme=programme), now=now)


def period_behaviour(start: date, end: date, *, now: datetime | None = None) -> dict:
    """The campaigns starting between ``start`` and ``end``, as the period's metrics."""
    return behaviour_figures(Campaign.objects.filter(
        starts_at__date__gte=start, starts_at__date__lte=end), now=now)
