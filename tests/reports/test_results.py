"""Results people share (issue 17 part 5): once the action is over, a public results page
and a result card (PNG 1200 × 630) named by the og:image of the campaign's page and of the
results page, with the dashboard's figures, in French and English; nothing before."""

from __future__ import annotations

import html
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django_tenants.utils import tenant_context
from PIL import Image

from engagement.models import (
    Campaign,
    CampaignPartner,
    ImpactRecord,
    Participant,
    ProgrammeIndicator,
)
from reports.metrics import campaign_metrics
from tests.factories import make_campaign, make_pledge

from ..conftest import tenant_client
from ..engagement.test_participant_pages import text_of


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def finished(org, *, status=Campaign.Status.COMPLETED, people=3, kg="120.5"):
    """An action that took place three days ago: ``people`` came, 3 hours each, one with a
    companion; ``kg`` of waste collected."""
    with tenant_context(org):
        campaign = make_campaign(starts_in=timedelta(days=-3), deadline_in=timedelta(days=-4),
                                 target=4, status=status)
        campaign.title = "Beach clean-up"
        campaign.save(update_fields=["title"])
        slot = campaign.slots.get()
        for n in range(people):
            make_pledge(slot, Participant.objects.create(email=f"p{n}@example.test"),
                        hours=3, attendance="attended", companions=1 if n == 0 else 0)
        indicator = ProgrammeIndicator.objects.create(
            programme=campaign.programme, code="waste_collected", position=1, unit="kg",
            label_fr="Déchets ramassés", label_en="Waste collected", sdg=14)
        ImpactRecord.objects.create(campaign=campaign, indicator=indicator, value=Decimal(kg))
        return campaign


def og_image(page_html: str) -> str:
    return html.unescape(re.search(r'<meta property="og:image" content="([^"]+)"',
                                   page_html).group(1))


def png_of(client, url: str) -> Image.Image:
    path = url.split("localhost", 1)[1].lstrip(":0123456789")
    answer = client.get(path)
    assert answer.status_code == 200 and answer["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(answer.content))
    image.load()
    return image


@pytest.mark.django_db
@pytest.mark.parametrize("lang, expected", [
    ("en", ["4 people mobilised", "Waste collected: 120.5 kg", "9 hours given",
            "Target reached", "What we achieved together"]),
    ("fr", ["4 personnes mobilisées", "Déchets ramassés : 120,5 kg", "9 heures données",
            "Objectif atteint", "Ce que nous avons accompli ensemble"])])
def test_the_results_page_says_what_was_achieved_in_the_readers_language(
        org_a, lang, expected):
    campaign = finished(org_a)
    client = tenant_client(org_a)
    answer = client.get(f"/c/{campaign.code}/results/", HTTP_ACCEPT_LANGUAGE=lang)
    assert answer.status_code == 200
    page = text_of(answer)
    for phrase in expected:
        assert phrase in page, phrase
    assert "waste_collected" not in page
    # The dashboard's own figures: people with companions and hours given.
    with tenant_context(org_a):
        figures = campaign_metrics(campaign)
    assert figures["participants"]["with_companions"] == 4
    assert figures["hours"]["attended"] == 9.0
    image = png_of(client, og_image(answer.content.decode()))
    assert image.size == (1200, 630) and image.format == "PNG"


@pytest.mark.django_db
def test_the_campaign_link_shows_the_result_card_once_the_action_is_over(org_a):
    client = tenant_client(org_a)
    with tenant_context(org_a):
        open_campaign = make_campaign()
    page = client.get(f"/c/{open_campaign.code}/").content.decode()
    assert "/card.png" in og_image(page) and "results" not in page
    assert client.get(f"/c/{open_campaign.code}/results/").status_code == 404
    assert client.get(f"/c/{open_campaign.code}/results.png").status_code == 404

    campaign = finished(org_a)
    page = client.get(f"/c/{campaign.code}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    card = og_image(page)
    assert f"/c/{campaign.code}/results.png?lang=fr&v=" in card
    assert png_of(client, card).size == (1200, 630)
    assert f'href="/c/{campaign.code}/results/"' in page
    # A new figure, a new address (networks keep an image per address).
    with tenant_context(org_a):
        ImpactRecord.objects.filter(campaign=campaign).update(value=Decimal("130"))
    cache.clear()
    assert og_image(client.get(f"/c/{campaign.code}/", HTTP_ACCEPT_LANGUAGE="fr")
                    .content.decode()) != card


@pytest.mark.django_db
def test_a_missed_target_says_so_and_names_no_hours(org_a):
    campaign = finished(org_a, status=Campaign.Status.FAILED, people=2)
    page = text_of(tenant_client(org_a).get(f"/c/{campaign.code}/results/",
                                            HTTP_ACCEPT_LANGUAGE="en"))
    assert "Target missed" in page and "3 people" in page
    assert "hours given" not in page and "Waste collected" not in page


@pytest.mark.django_db
def test_the_partner_shows_when_the_campaign_has_one(org_a):
    campaign = finished(org_a)
    with tenant_context(org_a):
        CampaignPartner.objects.create(campaign=campaign, name="Surfrider Marseille",
                                       website="https://surfrider.example")
    page = text_of(tenant_client(org_a).get(f"/c/{campaign.code}/results/",
                                            HTTP_ACCEPT_LANGUAGE="en"))
    assert "With our partner" in page and "Surfrider Marseille" in page


@pytest.mark.django_db
def test_drafts_and_other_organisations_get_404(org_a, org_b):
    campaign = finished(org_a)
    with tenant_context(org_a):
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)
    assert tenant_client(org_a).get(f"/c/{campaign.code}/results/").status_code == 404
    with tenant_context(org_a):
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.COMPLETED)
    assert tenant_client(org_b).get(f"/c/{campaign.code}/results/").status_code == 404
    assert tenant_client(org_b).get(f"/c/{campaign.code}/results.png").status_code == 404
