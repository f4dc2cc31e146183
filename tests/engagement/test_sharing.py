"""Sharing a campaign where people talk: the share card (Open Graph PNG) and the meta tags
that name it, the widget an intranet page frames (and only it), the invitation poster and
its QR code, counted as the "QR poster" channel; and marking a slot as skills-based."""

from __future__ import annotations

import io
import re

import pytest
from django_tenants.utils import tenant_context
from PIL import Image

from engagement.models import Campaign, Channel, Invitation, Skill
from engagement.selectors import funnel_counts

from ..conftest import tenant_client
from ..factories import ParticipantFactory, make_campaign, make_pledge
from .test_pages import join


def _meta(html: str, name: str) -> str:
    match = re.search(rf'<meta (?:property|name)="{re.escape(name)}" content="([^"]*)"', html)
    assert match, name
    return match[1].replace("&amp;", "&")


@pytest.mark.django_db
def test_share_card_is_a_png_of_1200_by_630_that_follows_progress(org_a):
    with tenant_context(org_a):
        campaign = make_campaign(target=8)
    visitor = tenant_client(org_a)
    response = visitor.get(f"/c/{campaign.code}/card.png?lang=fr")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]
    image = Image.open(io.BytesIO(response.content))
    assert (image.format, image.size) == ("PNG", (1200, 630))
    # Asked again unchanged: 304, nothing drawn.
    etag = response["ETag"]
    assert visitor.get(f"/c/{campaign.code}/card.png?lang=fr",
                       HTTP_IF_NONE_MATCH=etag).status_code == 304
    with tenant_context(org_a):
        make_pledge(campaign.slots.get(), ParticipantFactory())
    changed = visitor.get(f"/c/{campaign.code}/card.png?lang=fr", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    # Another language is another card; an unknown one, or a draft, is nothing.
    assert visitor.get(f"/c/{campaign.code}/card.png?lang=en")["ETag"] != changed["ETag"]
    assert visitor.get(f"/c/{campaign.code}/card.png?lang=xx").status_code == 404
    with tenant_context(org_a):
        draft = make_campaign(status=Campaign.Status.DRAFT)
    assert visitor.get(f"/c/{draft.code}/card.png").status_code == 404


@pytest.mark.django_db
def test_share_card_is_drawn_once_then_served_from_the_cache(org_a, monkeypatch):
    from django.core.cache import cache

    from engagement.views import sharing

    cache.clear()
    drawn = []
    draw = sharing.share_card_png
    monkeypatch.setattr(sharing, "share_card_png",
                        lambda **card: drawn.append(card["mobilised"]) or draw(**card))
    with tenant_context(org_a):
        campaign = make_campaign(target=8)
    visitor, address = tenant_client(org_a), f"/c/{campaign.code}/card.png?lang=fr"
    first = visitor.get(address)
    # Anyone asking again, with any ``?v=``, gets the same bytes without a new drawing.
    again = tenant_client(org_a).get(address + "&v=123")
    assert again.content == first.content and again["ETag"] == first["ETag"]
    assert drawn == [0]
    with tenant_context(org_a):
        make_pledge(campaign.slots.get(), ParticipantFactory())
    changed = visitor.get(address)
    assert changed["ETag"] != first["ETag"] and drawn == [0, 1]


@pytest.mark.django_db
@pytest.mark.parametrize("lang, locale, people", [
    ("en", "en_GB", "1 / 8 people committed"),
    ("fr", "fr_FR", "1 / 8 personnes engagées"),
])
def test_campaign_page_names_its_card_for_link_previews(org_a, lang, locale, people):
    with tenant_context(org_a):
        campaign = make_campaign(target=8)
        make_pledge(campaign.slots.get(), ParticipantFactory())
    html = tenant_client(org_a).get(f"/c/{campaign.code}/",
                                    HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    image = _meta(html, "og:image")
    assert re.fullmatch(rf"http://testco\.localhost(:\d+)?/c/{campaign.code}/card\.png"
                        rf"\?lang={lang}&v=1", image)
    assert _meta(html, "twitter:image") == image
    assert _meta(html, "twitter:card") == "summary_large_image"
    assert _meta(html, "og:title") == "Beach clean-up"
    assert (_meta(html, "og:image:width"), _meta(html, "og:image:height")) == ("1200", "630")
    assert _meta(html, "og:locale") == locale
    assert _meta(html, "og:description").startswith(people)
    assert _meta(html, "og:url").endswith(f"/c/{campaign.code}/")


@pytest.mark.django_db
def test_only_the_widget_may_be_framed(org_a):
    with tenant_context(org_a):
        campaign = make_campaign(target=8)
    visitor = tenant_client(org_a)
    widget = visitor.get(f"/c/{campaign.code}/widget/?lang=en")
    assert widget.status_code == 200
    assert "X-Frame-Options" not in widget
    assert "frame-ancestors *" in widget["Content-Security-Policy"]
    html = widget.content.decode()
    assert re.search(rf'href="http://testco\.localhost[^"]*/c/{campaign.code}/" '
                     r'target="_blank" rel="noopener"', html)
    assert "0 people committed out of 8 needed" in html and "I'm in" in html
    page = visitor.get(f"/c/{campaign.code}/")
    assert page["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    # The intranet page's language, whatever the reader's browser says.
    french = visitor.get(f"/c/{campaign.code}/widget/?lang=fr",
                         HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="fr">' in french and "0 personne engagée sur 8 nécessaires" in french
    assert "Je participe" in french


@pytest.mark.django_db
def test_the_organiser_copies_the_widget_snippet(org_a, manager_a):
    with tenant_context(org_a):
        campaign = make_campaign()
    html = tenant_client(org_a, manager_a).get(f"/campaigns/{campaign.pk}/",
                                               HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '&lt;iframe src="http://testco.localhost' in html
    assert f"/c/{campaign.code}/widget/?lang=en" in html
    assert f"/c/{campaign.code}/card.png?lang=en" in html


@pytest.mark.django_db
def test_people_who_scan_the_invitation_poster_count_as_the_poster_channel(
        org_a, manager_a, viewer_a):
    with tenant_context(org_a):
        campaign = make_campaign(capacity=50, target=20)
    organiser = tenant_client(org_a, manager_a)
    made = organiser.post(f"/campaigns/{campaign.pk}/invitation-poster/",
                          {"lever_code": "local_impact"})
    again = organiser.post(f"/campaigns/{campaign.pk}/invitation-poster/",
                           {"lever_code": "local_impact"})
    assert made.status_code == again.status_code == 302
    assert made["Location"] == again["Location"]  # one invitation per campaign and lever
    with tenant_context(org_a):
        invitation = Invitation.objects.get(campaign=campaign, channel=Channel.QR_POSTER)
    poster = organiser.get(made["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    qr_url = f"/campaigns/{campaign.pk}/invitation-poster/{invitation.pk}/qr.svg"
    assert f'<img class="poster-qr" src="{qr_url}"' in poster
    assert f"?i={invitation.code}" in poster
    qr = organiser.get(qr_url)
    assert qr["Content-Type"] == "image/svg+xml"
    assert b'xmlns="http://www.w3.org/2000/svg"' in qr.content
    # Viewers and unknown levers get nothing.
    viewer = tenant_client(org_a, viewer_a)
    assert viewer.get(made["Location"]).status_code == 404
    assert viewer.get(qr_url).status_code == 404
    assert organiser.post(f"/campaigns/{campaign.pk}/invitation-poster/",
                          {"lever_code": "nope"}).status_code == 302
    with tenant_context(org_a):
        assert Invitation.objects.filter(channel=Channel.QR_POSTER).count() == 1

    # Someone scans the poster, then signs up.
    visitor = tenant_client(org_a)
    visitor.get(f"/c/{campaign.code}/?i={invitation.code}")
    join(visitor, campaign, "scanner@example.org")
    with tenant_context(org_a):
        rows = [row for row in funnel_counts(campaign.invitations.all())
                if row["channel"] == Channel.QR_POSTER]
    assert len(rows) == 1 and rows[0]["pledged"] == 1 and rows[0]["opened"] == 1
    levers = organiser.get("/levers/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<td>QR poster</td>" in levers and "qr_poster" not in levers
    levers_fr = organiser.get("/levers/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "<td>Affiche avec QR code</td>" in levers_fr


@pytest.mark.django_db
def test_a_manager_marks_a_slot_as_skills_based(org_a, manager_a, viewer_a):
    with tenant_context(org_a):
        campaign = make_campaign()
        slot = campaign.slots.get()
        skill = Skill.objects.create(name="Accounting", hourly_rate=40)
    url = f"/campaigns/{campaign.pk}/slots/{slot.pk}/skill/"
    assert tenant_client(org_a, viewer_a).post(url, {"skill": skill.pk}).status_code == 404
    page = tenant_client(org_a, manager_a).get(f"/campaigns/{campaign.pk}/").content.decode()
    assert f'action="{url}"' in page
    assert tenant_client(org_a, manager_a).post(url, {"skill": skill.pk}).status_code == 302
    with tenant_context(org_a):
        slot.refresh_from_db()
        assert slot.skill == skill
    tenant_client(org_a, manager_a).post(url, {"skill": ""})
    with tenant_context(org_a):
        slot.refresh_from_db()
        assert slot.skill is None
