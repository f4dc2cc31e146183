"""The demo's reports: every paid option is on somewhere, and the consultant's commentary
is seen printed in the PDF, in the demo space's language.

Set REPORTS_PDF_DIR to keep the PDFs rendered here (to look at them page by page)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django_tenants.utils import tenant_context

from billing.catalogue import options
from billing.entitlements import entitlements_for
from engagement.models import Programme
from reports.models import Report
from reports.services import report_render, report_request
from tenants.models import Organisation


def pdf_to_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"


@pytest.mark.django_db
def test_the_demo_shows_every_option_and_prints_the_commentary(settings, tmp_path):
    settings.SITE_PORT = "8000"
    call_command("seed_demo")
    organisations = list(Organisation.objects.filter(slug__in=["acme", "villeneuve"]))
    shown = set().union(*(entitlements_for(o).options for o in organisations))
    assert shown >= {option for option in options()}
    keep = os.environ.get("REPORTS_PDF_DIR")
    for organisation in organisations:
        language = organisation.locale
        with tenant_context(organisation):
            programme = Programme.objects.order_by("created_at").first()
            scopes = [{"scope": "programme", "programme": programme},
                      {"scope": "campaign",
                       "campaign": programme.campaigns.filter(status="completed").first()}]
            for subject in scopes:
                report = report_render(report_id=report_request(
                    **subject, language=language, user=None).pk)
                assert report.status == Report.Status.READY, report.error
                data = report.file.open("rb").read()
                if keep:
                    name = f"{organisation.slug}-{subject['scope']}.pdf"
                    Path(keep, name).write_bytes(data)
                text = pdf_to_text(data, tmp_path)
                if subject["scope"] != "programme":
                    continue
                if entitlements_for(organisation).allows("commented_report"):
                    commentary = ("Consultant's commentary" if language == "en"
                                  else "Commentaire du consultant")
                    assert commentary in text
                    assert ("Personal invitations" in text if language == "en"
                            else "invitation personnelle" in text)
