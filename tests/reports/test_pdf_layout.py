"""The PDF report reads like one a CSR director forwards to the board: readable chart
labels, table headers a screen reader can follow, no stranded heading and no nearly
empty page, whole counts, attendance that agrees with its chart."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from django_tenants.utils import tenant_context

from engagement.models import ProgrammeIndicator
from reports import pdf
from reports.services import report_render, report_request

from .test_pdf import build_programme


def _pages(data: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-raw", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    return [re.sub(r"\s+", " ", page).strip() for page in text.split("\f")][:-1]


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_report_is_laid_out_for_reading(org_a, owner_a, tmp_path, lang):
    with tenant_context(org_a):
        programme = build_programme()
        ProgrammeIndicator.objects.filter(programme=programme, code="trees_planted").update(
            unit="organisations", label_en="Partner organisations involved in the actions",
            label_fr="Structures partenaires associées aux actions")
        report = report_request(scope="programme", programme=programme, language=lang,
                                user=owner_a)
        html = pdf.report_html(report)
        report = report_render(report_id=report.pk)
        data = report.file.open("rb").read()

    # Chart labels: dark text, never drawn over a bar with an outline, never anchored at
    # their end (where a long label runs out of the chart on the left).
    assert 'stroke="#ffffff"' not in html and 'text-anchor="end"' not in html
    # Every header cell says what it heads.
    assert not re.search(r"<th(?=[\s>])(?![^>]*\bscope=)", html)
    pages = _pages(data, tmp_path)
    assert len(pages) == report.pages
    text = " ".join(pages).replace("\xa0", " ")
    # The indicator's whole label, and a whole count of organisations (35, not 35.0).
    label = ("Partner organisations involved in the actions" if lang == "en"
             else "Structures partenaires associées aux actions")
    assert label in text
    assert re.search(r"\b35 organisations\b", text)
    assert not re.search(r"\d[.,]\d+ organisations", text)
    # Attendance agrees with its chart: 12 of 14 pledges, 12 came and 2 did not.
    if lang == "en":
        assert "86% attendance: 12 of 14 pledges" in text
        assert "Attendance: 86% of 14 pledges" in text
    else:
        assert "86 % présence : 12 sur 14 engagements" in text
        assert "Présence : 86 % sur 14 engagements" in text
    # No nearly empty page after the contents, and no page ending on a heading.
    headings = {"Key figures", "Impact", "Campaign by campaign", "Chiffres clés",
                "Campagne par campagne"}
    for number, page in enumerate(pages[2:], start=3):
        body = re.sub(rf"\b{number} / {len(pages)}$", "", page).strip()
        assert len(body) > 250, (number, page)
        assert not any(body.endswith(heading) for heading in headings), (number, page)
