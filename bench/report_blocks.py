"""The slowest blocks of a programme's first report (issue 16 part 1), each against its
former query in the same run: returning participants (``reports.returning``, the
behaviour block's bulk), the lever rows (``reports.levers.lever_analysis``) and the
surveys' response rates (``reports.behaviour.response_figures``). The former queries are
the ones the tests keep as oracles (``tests/reports/test_returning_former.py``,
``test_levers_former.py``, ``test_behaviour_response_former.py``); the results are
asserted equal.

The organisation has no survey: for the response rates, a programme's two surveys are
added in a transaction rolled back at the end (a question per moment; a thank-you and a
follow-up e-mail sent for every attended person and campaign; 40 % of them answered after
the action, 20 % at the follow-up).

    REPORT_FIRST_KEEP=1 .venv/bin/python bench/report_first.py 200000 1000000  # makes it
    .venv/bin/python bench/report_blocks.py 200000 1000000

Reads the organisation ``bench/report_first.py`` kept (``REPORT_FIRST_KEEP=1``) at the
sizes given, else makes one the same way (and keeps it). Former and new alternate, three
runs each (the machine is shared); printed: each run, the medians and their ratio, and
the load average.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ["REPORT_FIRST_KEEP"] = "1"
_spec = importlib.util.spec_from_file_location("bench_report_first",
                                               ROOT / "bench" / "report_first.py")
assert _spec is not None and _spec.loader is not None
bench_first = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_first)  # sets Django up, reads the sizes from argv

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from config.broker import ensure_configured_broker  # noqa: E402
from engagement.models import Campaign  # noqa: E402
from reports.behaviour import response_figures  # noqa: E402
from reports.levers import lever_analysis  # noqa: E402
from reports.returning import returning_figures  # noqa: E402

RUNS = 3

SURVEYS = [
    ("INSERT INTO engagement_programmesurveyquestion (moment, position, kind, text_fr, "
     "text_en, programme_id, measure) VALUES ('after_action', 0, 'scale', 'a', 'a', %s, "
     "'intent'), ('follow_up', 0, 'scale', 'b', 'b', %s, 'intent')"),
    ("CREATE TEMP TABLE bench_pairs ON COMMIT DROP AS SELECT DISTINCT p.participant_id, "
     "s.campaign_id FROM engagement_pledge p JOIN engagement_slot s ON s.id = p.slot_id "
     "WHERE p.attendance = 'attended'"),
    ("INSERT INTO engagement_outboundemail (kind, dedupe_key, to_email, subject, body, "
     "status, attempts, last_error, created_at, sent_at, campaign_id, participant_id, "
     "calendar, action_url, language) SELECT k, k || ':' || participant_id || ':' || "
     "campaign_id, 'x@bench.example', '', '', 'sent', 1, '', now(), now(), campaign_id, "
     "participant_id, '', '', 'fr' FROM bench_pairs, "
     "(VALUES ('thank_you'), ('follow_up_survey')) v(k)"),
    ("INSERT INTO engagement_surveyanswer (answer, answered_at, campaign_id, "
     "participant_id, question_id) SELECT (1 + (participant_id + campaign_id) %% 5)::text, "
     "now(), campaign_id, participant_id, q.id "
     "FROM bench_pairs, engagement_programmesurveyquestion q WHERE q.programme_id = %s AND "
     "((q.moment = 'after_action' AND (participant_id + campaign_id) %% 10 < 4) "
     "OR (q.moment = 'follow_up' AND (participant_id + campaign_id) %% 10 < 2))"),
    "ANALYZE engagement_outboundemail",
    "ANALYZE engagement_surveyanswer",
]


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def compare(name: str, former, new) -> None:
    formers: list[float] = []
    news: list[float] = []
    for _run in range(RUNS):
        for calls, call in ((formers, former), (news, new)):
            started = time.perf_counter()
            result = call()
            calls.append(time.perf_counter() - started)
            if call is former:
                expected = result
            else:
                assert result == expected, f"{name}: the new query's figures differ"
        print(f"  {name:22} former {formers[-1]:6.2f} s   new {news[-1]:6.2f} s   "
              f"(load {_load()})")
    before, after = statistics.median(formers), statistics.median(news)
    print(f"{name}: former {before:.2f} s, new {after:.2f} s (medians of {RUNS}): "
          f"{before / after:.2f}× faster")


def main() -> None:
    ensure_configured_broker()
    returning_oracle = importlib.import_module("tests.reports.test_returning_former")
    levers_oracle = importlib.import_module("tests.reports.test_levers_former")
    response_oracle = importlib.import_module("tests.reports.test_behaviour_response_former")
    made, programme = bench_first.organisation()
    with tenant_context(made):
        print(f"load average {_load()}")
        campaigns = Campaign.objects.filter(programme=programme)
        now = timezone.now()

        def returning_new() -> dict:
            figures = returning_figures(campaigns, now=now)
            return {row["lever"]: [row["people"]] + [
                value for days in ("90", "365") for value in (
                    row["windows"][days]["measurable"], row["windows"][days]["returned"])]
                for row in figures["by_lever"]}

        compare("returning participants",
                lambda: returning_oracle._former(campaigns, now), returning_new)
        compare("lever rows", lambda: levers_oracle._former(campaigns, "team"),
                lambda: [(row["dimension"], row["key"],
                          None if row["is_other"] else row["segment"], row["people"],
                          row["sent"], row["pledged"], row["attended"])
                         for row in lever_analysis(programme=programme, segment="team")])

        with transaction.atomic():
            started = time.perf_counter()
            with connection.cursor() as cursor:
                for sql in SURVEYS:
                    cursor.execute(sql, [programme.pk] * sql.count("%s"))
            print(f"surveys added in {time.perf_counter() - started:.1f} s")
            compare("survey response rates", lambda: response_oracle._former(campaigns),
                    lambda: {moment: (row["asked"], row["answered"])
                             for moment, row in response_figures(campaigns).items()})
            transaction.set_rollback(True)


if __name__ == "__main__":
    main()
