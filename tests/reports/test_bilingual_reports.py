"""Reports in the language chosen: a campaign's title and description, the programme's
name and the consultant's commentary in the report's language, or in the other one marked
"(in French)" / "(en anglais)" when nobody wrote them in it; the commentary page writes
both; CSV exports name campaigns in the reader's language."""

from __future__ import annotations

import re
import subprocess
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django_tenants.utils import tenant_context

from engagement.models import Campaign
from reports.models import Commentary
from reports.services import commentary_save, report_render, report_request

from ..conftest import tenant_client
from ..factories import (
    CampaignFactory,
    ParticipantFactory,
    PledgeFactory,
    ProgrammeFactory,
    SlotFactory,
)

DAY = datetime(2026, 5, 16, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
    return tmp_path


def completed_campaign() -> Campaign:
    """A finished action written in French, its title translated, its description not."""
    programme = ProgrammeFactory(name="Littoral propre", content_language="fr",
                                 translations={"en": {"name": "Clean coast"}})
    campaign = CampaignFactory(
        programme=programme, title="Nettoyage de la plage", content_language="fr",
        description="Nous avons ramassé **beaucoup** de déchets.",
        translations={"en": {"title": "Beach clean-up"}}, starts_at=DAY,
        mobilisation_deadline=DAY - timedelta(days=2), participant_target=2,
        status=Campaign.Status.COMPLETED, place="Marseille")
    slot = SlotFactory(campaign=campaign, capacity=5)
    for n in range(2):
        PledgeFactory(slot=slot, participant=ParticipantFactory(email=f"p{n}@example.test"),
                      attendance="attended", hours_given=Decimal(3))
    return campaign


def pdf_text(report) -> str:
    """What a reader finds in the PDF, as ``pdftotext`` extracts it."""
    report = report_render(report_id=report.pk)
    assert report.status == "ready", report.error
    text = subprocess.run(["pdftotext", "-layout", report.file.path, "-"], check=True,
                          capture_output=True, text=True).stdout
    return re.sub(r"\s+", " ", text)


@pytest.mark.django_db
def test_pdf_in_each_language_with_the_fallback_marked(org_a, owner_a):
    with tenant_context(org_a):
        campaign = completed_campaign()
        key = f"campaign:{campaign.pk}"
        # The consultant wrote the summary in both languages (the organisation's,
        # English, first), the recommendations in French only: their language is French.
        commentary_save(scope="campaign", subject_key=key, section="summary", user=owner_a,
                        text="A **fine** morning.", translation="Une **belle** matinée.")
        commentary_save(scope="campaign", subject_key=key, section="recommendations",
                        user=owner_a, text="", translation="Recommencer en juin.")
        assert Commentary.objects.get(subject_key=key, section="summary"
                                      ).content_language == "en"
        assert Commentary.objects.get(subject_key=key, section="recommendations"
                                      ).content_language == "fr"
        english = report_request(scope="campaign", campaign=campaign, language="en",
                                 user=owner_a)
        french = report_request(scope="campaign", campaign=campaign, language="fr",
                                user=owner_a)
        assert english.title == "Impact report: Beach clean-up"
        assert french.title.endswith("Nettoyage de la plage")
        in_english, in_french = pdf_text(english), pdf_text(french)

    assert "Beach clean-up" in in_english and "Nettoyage de la plage" not in in_english
    # Not translated: the French description, and the French recommendations, marked.
    assert "(in French) Nous avons ramassé beaucoup de déchets." in in_english
    assert "A fine morning." in in_english and "Une belle matinée" not in in_english
    assert "(in French) Recommencer en juin." in in_english

    assert "Nettoyage de la plage" in in_french and "Beach clean-up" not in in_french
    assert "Nous avons ramassé beaucoup de déchets." in in_french
    assert "Une belle matinée." in in_french and "Recommencer en juin." in in_french
    assert "(en anglais)" not in in_french and "(in French)" not in in_french


@pytest.mark.django_db
def test_commentary_page_writes_both_languages_all_or_nothing(org_a, owner_a):
    with tenant_context(org_a):
        campaign = completed_campaign()
    key = f"campaign:{campaign.pk}"
    client = tenant_client(org_a, owner_a)
    url = f"/reports/commentary/campaign/{key}/"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # A new section is in the organisation's language (English here), French beside it.
    assert re.search(r'<legend>Summary</legend>\s*<label for="commentary-summary">In English',
                     page)
    assert 'name="summary_fr" lang="fr"' in page
    saved = client.post(url, {"summary": "", "summary_fr": "Seulement en français.",
                              "levers": "Word of mouth.", "levers_fr": "Bouche à oreille.",
                              "recommendations": "", "recommendations_fr": ""})
    assert saved.status_code == 302
    with tenant_context(org_a):
        summary = Commentary.objects.get(subject_key=key, section="summary")
        levers = Commentary.objects.get(subject_key=key, section="levers")
    # Written in French only: the section's language is French.
    assert (summary.content_language, summary.text, summary.translations) == (
        "fr", "Seulement en français.", {})
    assert (levers.content_language, levers.text, levers.translations) == (
        "en", "Word of mouth.", {"fr": {"text": "Bouche à oreille."}})


@pytest.mark.django_db
def test_csv_exports_name_campaigns_in_the_readers_language(org_a, owner_a):
    with tenant_context(org_a):
        completed_campaign()
    client = tenant_client(org_a, owner_a)

    def rows(language: str) -> str:
        response = client.get("/dashboard/exports/pledges.csv",
                              HTTP_ACCEPT_LANGUAGE=language)
        return b"".join(response.streaming_content).decode("utf-8")

    english, french = rows("en"), rows("fr")
    assert ";Clean coast;" in english and ";Beach clean-up;" in english
    assert ";Littoral propre;" in french and ";Nettoyage de la plage;" in french
