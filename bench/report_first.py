"""A programme's FIRST report (nothing stored) against WeasyPrint alone on the same HTML
(issue 16 part 1: goal ≤ 1.3×), at 200,000 people and 1,000,000 pledges.

    .venv/bin/python bench/report_first.py                  # 200,000 people, 1,000,000 pledges
    .venv/bin/python bench/report_first.py 20000 100000     # a quick check
    REPORT_FIRST_KEEP=1 .venv/bin/python bench/report_first.py   # keep the organisation
                                                                 # (and reuse it next time)

The organisation of bench/reports.py (``organisation_setup`` and ``fill``: one programme
of 14 campaigns, which with the report's own chapters makes about 20 pages). Then, in the
same run and alternated (the machine is shared; alternating spreads its load over both):

- the report rendered the way the worker renders it (``reports.services.report_render``,
  a new ``Report`` row each time) with no stored figure (``FiguresSnapshot`` emptied
  before each run), end to end: figures, lever rows, sections, template, WeasyPrint,
  the file stored;
- WeasyPrint alone (``reports.pdf.render_html``) on the exact HTML that rendering
  produced (captured as it was handed to WeasyPrint).

One report is rendered first, not counted, as in a worker that has rendered reports
before (fonts loaded, templates compiled); its HTML gives the page count. Printed: the
medians of three, their ratio, and where the time of a first rendering goes outside
WeasyPrint (each step of ``reports.pdf.report_context`` timed on its own).
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_reports", ROOT / "bench" / "reports.py")
assert _spec is not None and _spec.loader is not None
bench_reports = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_reports)  # sets Django up, reads the sizes from argv

from django.utils import timezone  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from config.broker import ensure_configured_broker  # noqa: E402
from config.celery import app  # noqa: E402
from engagement.models import Pledge, Programme  # noqa: E402
from reports import charts, figures, pdf  # noqa: E402
from reports.models import FiguresSnapshot, Report  # noqa: E402
from reports.services import report_render  # noqa: E402
from tenants.models import Organisation  # noqa: E402

SLUG = "bench-report-first"
GOAL = 1.3
RUNS = 3
KEEP = os.environ.get("REPORT_FIRST_KEEP") == "1"

# Steps of a first rendering, each timed where ``reports.pdf`` calls it.
STEPS: dict[str, tuple[object, str]] = {
    "programme figures": (figures, "programme_figures"),
    "campaign pages' figures": (figures, "campaigns_figures"),
    "lever rows": (figures, "lever_figures"),
    "sections (lab, …)": (pdf, "sections_for"),
    "behaviour": (pdf, "report_behaviour"),
    "survey": (pdf, "survey_results"),
    "charts (SVG)": (charts, "bar_chart"),
    "charts (SVG) ": (charts, "funnel_chart"),
    "charts (SVG)  ": (charts, "progress_chart"),
    "template": (pdf, "render_to_string"),
    "WeasyPrint": (pdf, "render_html"),
}
spent: dict[str, float] = defaultdict(float)
captured: list[str] = []


def instrument() -> None:
    for name, (module, attribute) in STEPS.items():
        original, label = getattr(module, attribute), name.strip()

        def timed_call(*args, __original=original, __name=label, **kwargs):
            started = time.perf_counter()
            try:
                return __original(*args, **kwargs)
            finally:
                spent[__name] += time.perf_counter() - started

        setattr(module, attribute, timed_call)
    render_html = pdf.render_html

    def capture(html: str, **kwargs):
        captured.append(html)
        return render_html(html, **kwargs)

    pdf.render_html = capture


def organisation() -> tuple[Organisation, Programme]:
    existing = Organisation.objects.filter(slug=SLUG).first()
    if KEEP and existing is not None:
        with tenant_context(existing):
            programme = Programme.objects.filter(name="Bench programme").first()
            if programme is not None and Pledge.objects.count() == bench_reports.PLEDGES:
                print(f"reusing {SLUG} ({bench_reports.PLEDGES:,} pledges)")
                return existing, programme
    made = bench_reports.organisation_setup("Bench first report", slug=SLUG)
    with tenant_context(made):
        today = timezone.localdate()
        programme = Programme.objects.create(
            name="Bench programme", starts_on=today - timedelta(days=365),
            ends_on=today + timedelta(days=365))
        started = time.perf_counter()
        bench_reports.fill(programme)
        print(f"data: {bench_reports.PARTICIPANTS:,} participants, "
              f"{bench_reports.PLEDGES:,} pledges, {bench_reports.CAMPAIGNS} campaigns, "
              f"generated in {time.perf_counter() - started:.1f} s")
    return made, programme


def first_report(programme: Programme) -> tuple[float, Report, dict[str, float]]:
    FiguresSnapshot.objects.all().delete()
    report = Report.objects.create(scope="programme", programme=programme, language="fr",
                                   title="Bench", attempts=1)
    spent.clear()
    captured.clear()
    started = time.perf_counter()
    rendered = report_render(report_id=report.pk)
    elapsed = time.perf_counter() - started
    assert rendered is not None and rendered.status == "ready", rendered and rendered.error
    return elapsed, rendered, dict(spent)


def main() -> None:
    ensure_configured_broker()
    instrument()
    made, programme = organisation()
    try:
        with tenant_context(made):
            print(f"load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
            warm_time, warm, _steps = first_report(programme)  # not counted
            print(f"warm-up report: {warm_time:.2f} s, {warm.pages} pages (not counted)")
            firsts, alones, breakdowns = [], [], []
            for _run in range(RUNS):
                elapsed, report, steps = first_report(programme)
                html = captured[-1]
                firsts.append(elapsed)
                breakdowns.append(steps)
                started = time.perf_counter()
                _pdf, pages = pdf.render_html(html, schema_name=made.schema_name)
                alones.append(time.perf_counter() - started)
                print(f"  first report {elapsed:6.2f} s ({report.pages} pages)   "
                      f"WeasyPrint alone {alones[-1]:6.2f} s ({pages} pages)")
            first, alone = statistics.median(firsts), statistics.median(alones)
            # The step timings of the run whose total is the median one.
            steps = breakdowns[firsts.index(sorted(firsts)[len(firsts) // 2])]
            print(f"\nfirst report of a programme, end to end (median of {RUNS}): "
                  f"{first:6.2f} s, {report.pages} pages")
            print(f"WeasyPrint alone on the same HTML (median of {RUNS}):      "
                  f"{alone:6.2f} s ({len(html) / 1024:.0f} KiB of HTML)")
            ratio = first / alone
            print(f"ratio: {ratio:.2f}× (goal ≤ {GOAL}×: {'met' if ratio <= GOAL else 'MISSED'})")
            print("\nwhere a first rendering's time goes (the median run):")
            outside = first - steps.get("WeasyPrint", 0.0)
            for name, seconds in sorted(steps.items(), key=lambda item: -item[1]):
                print(f"  {name:26} {seconds * 1000:9.1f} ms")
            accounted = sum(v for k, v in steps.items() if k != "WeasyPrint")
            print(f"  {'rest (queries, storing)':26} {(outside - accounted) * 1000:9.1f} ms")
            print(f"  outside WeasyPrint: {outside * 1000:.0f} ms "
                  f"({outside / first:.0%} of the report)")
    finally:
        app.control.purge()
        if not KEEP:
            bench_reports.teardown(made)


if __name__ == "__main__":
    main()
