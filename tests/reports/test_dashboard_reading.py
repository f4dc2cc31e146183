"""The dashboard as a CSR manager reads it, in French and English: names instead of
codes, French numbers and units, dates in words, labels that say what they count."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from engagement.models import Campaign, ImpactRecord, ProgrammeIndicator
from methodology.models import Lever

from ..conftest import tenant_client
from ..factories import make_campaign_with_slot
from .test_levers import build_invitations

CODES = ("social_proof", "personal_invitation", "qr_poster", "link_share", "age_band",
         "family_friendly", "trees_planted", ">team<", ">email<")


def visible_text(html: str) -> str:
    """The text a person reads in the page's main part: outside tags (chart labels
    included), no attributes."""
    html = html.split("<main", 1)[-1].split("</main>", 1)[0]
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    # Collapse white space, but not the non-breaking spaces French typography needs.
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&nbsp;", "\xa0")


def _world(owner):
    programme, campaign = build_invitations(owner)
    trees = ProgrammeIndicator.objects.create(
        programme=programme, code="trees_planted", position=1, unit="trees",
        label_fr="Arbres plantés", label_en="Trees planted", sdg=15)
    partners = ProgrammeIndicator.objects.create(
        programme=programme, code="partner_organisations", position=2, unit="organisations",
        label_fr="Structures partenaires", label_en="Partner organisations", sdg=17)
    ImpactRecord.objects.create(campaign=campaign, indicator=trees, value=Decimal("28.50"))
    ImpactRecord.objects.create(campaign=campaign, indicator=partners, value=Decimal("76.50"))
    # Next January's campaign: within the default period, whatever today is.
    make_campaign_with_slot(programme, days=40, hours=2, status=Campaign.Status.OPEN)
    return programme


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_dashboard_names_things_and_formats_numbers_in_the_page_language(
        org_a, owner_a, lang):
    with tenant_context(org_a):
        programme = _world(owner_a)
        lever = Lever.objects.get(code="social_proof")
    client = tenant_client(org_a, owner_a)
    for url in ("/dashboard/", f"/dashboard/programmes/{programme.pk}/"):
        html = client.get(url, HTTP_ACCEPT_LANGUAGE=lang).content.decode()
        text = visible_text(html)
        for code in CODES:
            assert code not in text, (url, code)
        assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text), url  # no ISO date
        assert not re.search(r"\d[.,]\d{3,}\b(?! )", text.replace("\xa0", " ")), url
        assert getattr(lever, f"name_{lang}") in text
        if lang == "fr":
            assert "28,5\xa0arbres" in text and "77\xa0organisations" in text
            assert "E-mail (canal)" in text or "E-mail\xa0(canal)" in text
            assert "Équipe" in text and "personnes, accompagnants compris" in text
            assert " :" not in text.replace("\xa0:", "")  # French colons are non-breaking
            assert "people" not in text and "trees" not in text
        else:
            assert "28.5 trees" in text and "77 organisations" in text
            assert "people, including companions" in text
        # 5 of 10 pledged: conversion, "50%" in English, "50 %" in French.
        assert ("50\xa0%" if lang == "fr" else "50%") in text
    html = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    # Date inputs carry ISO values a browser can show, whatever the language.
    values = re.findall(r'<input type="date" name="(?:start|end)" value="([^"]*)"', html)
    assert len(values) == 2 and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) for v in values)
    # The default period reaches the campaign planned in 40 days.
    assert values[1] >= (timezone.localdate() + timedelta(days=40)).isoformat()
    assert "Campaigns starting" in html or "Campagnes commençant" in html
