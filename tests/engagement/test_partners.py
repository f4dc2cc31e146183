"""A campaign's partner association: named with its logo on the campaign's pages and in the
report, and a revocable read-only link to the campaign's aggregate figures."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context
from PIL import Image

from core.errors import DomainError
from engagement.models import CampaignPartner, PartnerLink
from engagement.services.partners import (
    campaign_partner_remove,
    campaign_partner_set,
    partner_link_create,
    partner_link_revoke,
)
from reports import pdf, sections
from reports.partners_section import partners_section
from reports.services import report_render, report_request

from ..conftest import tenant_client
from ..factories import ParticipantFactory, make_campaign, make_pledge
from ..lab.test_experiments_report import _text


def png(size=(120, 60), colour=(20, 120, 60)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture
def campaign(org_a):
    with tenant_context(org_a):
        campaign = make_campaign(capacity=20, target=10)
        slot = campaign.slots.get()
        for n in range(3):
            make_pledge(slot, ParticipantFactory(email=f"secret{n}@example.org",
                                                 first_name=f"Hidden{n}"), companions=n % 2)
        return campaign


def link_path(token: str) -> str:
    return f"/partner/{token}/"


@pytest.mark.django_db
def test_a_partner_with_a_logo_is_stored_bounded_and_a_bad_one_is_refused(org_a, campaign):
    with tenant_context(org_a):
        partner = campaign_partner_set(campaign=campaign, name="  Surfrider Marseille ",
                                       website="https://surfrider.example.org",
                                       logo=png((2000, 500)))
        assert partner.name == "Surfrider Marseille" and partner.logo.name.endswith(".png")
        with partner.logo.open("rb") as stored:
            assert max(Image.open(stored).size) <= 800
        # Refusals name the field and change nothing.
        for fields, field in (({"name": ""}, "name"),
                              ({"name": "X", "website": "javascript:alert(1)"}, "website"),
                              ({"name": "X", "logo": SimpleUploadedFile(
                                  "logo.svg", b"<svg onload=alert(1)>", "image/svg+xml")},
                               "logo")):
            with pytest.raises(DomainError) as refused:
                campaign_partner_set(campaign=campaign, **fields)
            assert field in refused.value.errors
        partner.refresh_from_db()
        assert partner.name == "Surfrider Marseille" and partner.logo


@pytest.mark.django_db
def test_the_partner_link_opens_the_aggregate_figures_and_nothing_about_a_participant(
        org_a, campaign):
    with tenant_context(org_a):
        campaign_partner_set(campaign=campaign, name="Surfrider Marseille", logo=png())
        made = partner_link_create(campaign=campaign, by_user=None)
        stored = PartnerLink.objects.get(pk=made.link.pk)
    # Only the token's hash is kept.
    assert stored.token_hash == hashlib.sha256(made.token.encode()).hexdigest()
    assert made.token not in stored.token_hash
    response = tenant_client(org_a).get(link_path(made.token), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = response.content.decode()
    assert "In partnership with" in body and "Surfrider Marseille" in body
    assert f"/c/{campaign.code}/partner-logo/" in body
    figures = re.search(r'<section class="figures".*?</section>', body, re.S).group(0)
    assert "<strong>4</strong>people, including companions, for a target of 10" in figures
    assert "<strong>3</strong>people mobilised" in figures
    for secret in ("secret0@example.org", "Hidden0", "Hidden2"):
        assert secret not in body
    assert response["Cache-Control"] == "private, no-store"
    french = tenant_client(org_a).get(link_path(made.token), HTTP_ACCEPT_LANGUAGE="fr")
    assert "En partenariat avec" in french.content.decode()


@pytest.mark.django_db
def test_revoked_replaced_unknown_and_other_organisations_links_answer_404(
        org_a, org_b, campaign, manager_a):
    with tenant_context(org_a):
        campaign_partner_set(campaign=campaign, name="Surfrider Marseille")
        first = partner_link_create(campaign=campaign, by_user=manager_a)
        second = partner_link_create(campaign=campaign, by_user=manager_a)
        assert PartnerLink.objects.filter(campaign=campaign, revoked_at__isnull=True).count() \
            == 1
    client = tenant_client(org_a)
    assert client.get(link_path(first.token)).status_code == 404  # replaced
    assert client.get(link_path(second.token)).status_code == 200
    # A link of testco opens nothing on otherco's host.
    assert tenant_client(org_b).get(link_path(second.token)).status_code == 404
    assert client.get(link_path("not-a-token")).status_code == 404
    with tenant_context(org_a):
        assert partner_link_revoke(campaign=campaign) == 1
    assert client.get(link_path(second.token)).status_code == 404
    # Removing the partner revokes its link too.
    with tenant_context(org_a):
        third = partner_link_create(campaign=campaign, by_user=manager_a)
        campaign_partner_remove(campaign=campaign)
        assert not CampaignPartner.objects.filter(campaign=campaign).exists()
    assert client.get(link_path(third.token)).status_code == 404


@pytest.mark.django_db
def test_no_link_without_a_partner(org_a, campaign):
    with tenant_context(org_a), pytest.raises(DomainError) as refused:
        partner_link_create(campaign=campaign, by_user=None)
    assert "partner" in refused.value.errors


@pytest.mark.django_db
def test_organisers_name_the_partner_and_share_a_link_shown_once(org_a, campaign, manager_a,
                                                                 viewer_a):
    manager = tenant_client(org_a, manager_a)
    saved = manager.post(f"/campaigns/{campaign.pk}/partner/", {
        "name": "Surfrider Marseille", "website": "https://surfrider.example.org",
        "logo": png()})
    assert saved.status_code == 302
    page = manager.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Surfrider Marseille" in page and "Make the partner's link" in page
    refused = manager.post(f"/campaigns/{campaign.pk}/partner/", {
        "name": "Other", "website": "ftp://files.example.org"})
    assert refused.status_code == 400
    assert "Enter a web address starting with https:// or http://." in refused.content.decode()
    made = manager.post(f"/campaigns/{campaign.pk}/partner/link/")
    assert made.status_code == 200 and made["Cache-Control"] == "no-store"
    url = re.search(r'value="(http[^"]+/partner/[^"]+/)"', made.content.decode()).group(1)
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert tenant_client(org_a).get(link_path(token)).status_code == 200
    # The campaign page does not show the token again.
    assert token not in manager.get(f"/campaigns/{campaign.pk}/").content.decode()
    # A viewer may read the campaign, not make or revoke links.
    viewer = tenant_client(org_a, viewer_a)
    assert viewer.post(f"/campaigns/{campaign.pk}/partner/link/").status_code == 404
    assert viewer.post(f"/campaigns/{campaign.pk}/partner/link/revoke/").status_code == 404
    assert tenant_client(org_a).get(link_path(token)).status_code == 200
    assert manager.post(f"/campaigns/{campaign.pk}/partner/link/revoke/").status_code == 302
    assert tenant_client(org_a).get(link_path(token)).status_code == 404


@pytest.mark.django_db
def test_the_public_campaign_page_shows_the_partner_and_its_logo(org_a, campaign):
    with tenant_context(org_a):
        campaign_partner_set(campaign=campaign, name="Surfrider Marseille",
                             website="https://surfrider.example.org", logo=png())
    visitor = tenant_client(org_a)
    page = visitor.get(f"/c/{campaign.code}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'href="https://surfrider.example.org"' in page
    assert 'alt="Logo of Surfrider Marseille"' in page
    logo = visitor.get(f"/c/{campaign.code}/partner-logo/")
    assert logo.status_code == 200
    assert Image.open(io.BytesIO(b"".join(logo.streaming_content))).format == "PNG"
    assert tenant_client(org_a).get("/c/nothere/partner-logo/").status_code == 404


def test_reports_register_the_partners_section():
    [section] = [s for s in sections.registered() if s.key == "partners"]
    assert section.template == "reports/pdf/_partners.html"


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_pdf_report_names_the_partner_in_its_language(org_a, owner_a, campaign, tmp_path,
                                                          lang):
    with tenant_context(org_a):
        campaign_partner_set(campaign=campaign, name="Surfrider Marseille",
                             website="https://surfrider.example.org", logo=png())
        report = report_request(scope="campaign", campaign=campaign, language=lang,
                                user=owner_a)
        html = pdf.report_html(report)
        report = report_render(report_id=report.pk)
        text = _text(report.file.open("rb").read(), tmp_path)
        assert partners_section(sections.SectionScope(
            report=report, campaigns=(), language=lang)) is None
    assert 'href="#partners"' in html and "/partners/partner" in html
    assert "Surfrider Marseille" in text and "surfrider.example.org" in text
    heading = {"en": "Partner associations", "fr": "Associations partenaires"}[lang]
    assert heading in text
