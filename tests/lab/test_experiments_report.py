"""The PDF impact report's section on experiments, which the lab adds through the report
sections registry (``reports.sections``: ``reports`` may not import ``lab``): the
programme's concluded experiments and its running ones, marked as such, with their
hypothesis, variants, lift with its interval and the verdict in the report's language;
no section when the programme has none; drafts never shown."""

from __future__ import annotations

import re
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django_tenants.utils import tenant_context

from lab.experiments.models import Experiment, ExperimentLook, Variant
from reports import pdf, sections
from reports.services import report_render, report_request

from ..reports.test_pdf import build_programme


def _arm(variant: Variant, people: int, successes: int) -> dict:
    sums = {"clusters": people, "people": people, "successes": successes,
            "people_sq": people, "successes_sq": successes, "cross": successes}
    empty = dict.fromkeys(sums, 0)
    return {"variant_id": variant.pk, "name": variant.name, "is_holdout": variant.is_holdout,
            "is_control": variant.is_control, "primary": sums, "unsubscribes": empty,
            "complaints": empty}


def _experiment(campaign, *, title: str, status: str, crossed: bool) -> Experiment:
    experiment = Experiment.objects.create(
        campaign=campaign, title=title, hypothesis=f"{title}: a word from the manager helps.",
        salt="00", status=status, holdout_share=Decimal("0.1"))
    control = Variant.objects.create(experiment=experiment, position=1, name="Usual message",
                                     is_control=True, share=Decimal("0.5"))
    manager = Variant.objects.create(experiment=experiment, position=2, name="Manager's word",
                                     share=Decimal("0.5"))
    holdout = Variant.objects.create(experiment=experiment, position=0, is_holdout=True,
                                     name="Témoin (aucun message)")
    sequential = {"absolute": 0.3, "absolute_low": 0.12, "absolute_high": 0.48,
                  "relative": 1.0, "relative_low": 0.3, "relative_high": 2.1}
    analysis = {"alpha": 0.05, "verdict": "evidence" if crossed else "not_yet",
                "final_day": False,
                "arms": [_arm(holdout, 12, 2), _arm(control, 100, 30), _arm(manager, 100, 60)],
                "comparisons": [{"variant_id": manager.pk, "name": manager.name,
                                 "crossed": crossed, "final": False, "fraction": 0.6,
                                 "people_fraction": 0.8, "sequential": sequential}]}
    ExperimentLook.objects.create(experiment=experiment, day=date(2026, 3, 20),
                                  analysis=analysis)
    # An earlier day's look: the section reads the latest only.
    ExperimentLook.objects.create(experiment=experiment, day=date(2026, 3, 19),
                                  analysis=analysis | {"arms": [], "comparisons": []})
    return experiment


def _text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-raw", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    return re.sub(r"\s+", " ", text.replace("\xa0", " ").replace("\u202f", " "))


def test_the_lab_registers_its_section_with_the_reports_registry():
    [section] = [s for s in sections.registered() if s.key == "experiments"]
    assert section.template == "lab/report/experiments.html"


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_pdf_report_shows_the_programmes_experiments_in_its_language(
        org_a, owner_a, tmp_path, lang):
    with tenant_context(org_a):
        programme = build_programme()
        first, second = programme.campaigns.order_by("starts_at")
        _experiment(first, title="Manager test", status="concluded", crossed=True)
        _experiment(second, title="Hours test", status="running", crossed=False)
        Experiment.objects.create(campaign=second, title="Draft test", hypothesis="H",
                                  salt="00")
        report = report_request(scope="programme", programme=programme, language=lang,
                                user=owner_a)
        html = pdf.report_html(report)
        report = report_render(report_id=report.pk)
        text = _text(report.file.open("rb").read(), tmp_path)
    assert "Draft test" not in text and 'href="#experiments"' in html
    assert "Manager test" in text and "Hours test" in text
    if lang == "en":
        assert "Lever experiments" in text
        assert "Hypothesis: Manager test: a word from the manager helps." in text
        assert "Running: figures of 20 March 2026, which may still change." in text
        assert "Manager's word raised sign-ups by 30.0 points (95% CI: +12.0 to +48.0)" in text
        assert "Holdout (no message)" in text and "+30.0" in text
        assert "+12.0 to +48.0" in text
    else:
        assert "Expériences sur les leviers" in text
        assert "Manager's word a augmenté les inscriptions de 30,0 points (IC 95 % : +12,0 à " \
            "+48,0)" in text
        assert "Hypothèse : Manager test" in text
        assert "En cours : chiffres du 20 mars 2026, qui peuvent encore changer." in text
        assert "Groupe témoin (aucun message)" in text and "+30,0" in text
        assert "+12,0 à +48,0" in text
        assert "Lever experiments" not in text and "Running" not in text


@pytest.mark.django_db
def test_no_section_when_the_programme_has_no_experiment(org_a, owner_a):
    with tenant_context(org_a):
        programme = build_programme()
        report = report_request(scope="programme", programme=programme, language="en",
                                user=owner_a)
        html = pdf.report_html(report)
    assert 'id="experiments"' not in html and "Lever experiments" not in html
