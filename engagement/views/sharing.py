"""What a campaign's address carries beyond its page: the share card (the Open Graph image
social networks and chat apps show under a shared link) and the widget an intranet page
frames. Anyone with the address reaches them, like the page (drafts: members only)."""

from __future__ import annotations

import hashlib

from csp.decorators import csp_replace
from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import condition

from billing.codes import Option
from billing.entitlements import entitlements_for

from .. import links
from ..models import Campaign
from ..services import mobilised_count
from ..share_card import DEFAULT_BRAND, share_card_png
from .visitors import campaign_for_visitor

LANGUAGES = {code for code, _name in settings.LANGUAGES}
# Networks keep a card long; a changed progress comes under a new address (``?v=``).
CARD_MAX_AGE = 300
# A card drawn is kept under its ETag (the cache's keys carry the tenant's schema): anyone
# may ask for it as often as they like, Pillow draws it once per change and a few minutes.
CARD_CACHE_SECONDS = 300


def _language(request) -> str:
    """The language asked in the address (a card or widget is fetched without the
    reader's cookies), else the request's."""
    asked = request.GET.get("lang", "")
    if asked and asked not in LANGUAGES:
        raise Http404
    return asked or translation.get_language()[:2]


def _status_text(campaign: Campaign) -> str:
    if campaign.status in (Campaign.Status.SUCCEEDED, Campaign.Status.COMPLETED):
        return _("Target reached")
    if campaign.status == Campaign.Status.FAILED:
        return _("Target missed")
    return _("Join us") if campaign.is_open else ""


def _card_etag(request, code: str) -> str:
    if (known := getattr(request, "_card_etag", None)) is not None:
        return known  # the view asks again for its cache key: computed once per request
    campaign = campaign_for_visitor(request, code)
    tenant = request.tenant
    # The card drawn shows this very count, the one its ETag (its cache key) names.
    request._card_mobilised = mobilised_count(campaign)
    parts = [campaign.code, campaign.localized("title", _language(request)).text,
             campaign.place, campaign.status,
             campaign.starts_at.isoformat(), str(campaign.participant_target),
             str(request._card_mobilised), _language(request), tenant.name,
             _brand(tenant), str(campaign.is_open),
             # The date is drawn in the zone active for the organisation.
             timezone.get_current_timezone_name()]
    request._card_etag = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    return request._card_etag


def _brand(tenant) -> str:
    return tenant.brand_colour if entitlements_for(tenant).allows(Option.BRANDED_SPACE) \
        else DEFAULT_BRAND


@condition(etag_func=_card_etag)
def campaign_card(request, code):
    """The share card (PNG 1200 × 630), in the language of the page that named it; drawn
    once per ETag (everything the card shows) and served from the cache afterwards."""
    campaign = campaign_for_visitor(request, code)
    key = f"share-card:{_card_etag(request, code)}"
    png = cache.get(key)
    if png is None:
        language = _language(request)
        with translation.override(language):
            status_text = _status_text(campaign)
        png = share_card_png(title=campaign.localized("title", language).text,
                             organisation=request.tenant.name,
                             starts_at=campaign.starts_at, place=campaign.place,
                             mobilised=request._card_mobilised,
                             target=campaign.participant_target, status_text=status_text,
                             language=language, brand=_brand(request.tenant),
                             failed=campaign.status == Campaign.Status.FAILED)
        cache.set(key, png, CARD_CACHE_SECONDS)
    response = HttpResponse(png, content_type="image/png")
    patch_cache_control(response, public=True, max_age=CARD_MAX_AGE)
    return response


# Framed by intranet pages, wherever they are: the widget shows what the campaign's page
# shows anyone and its one action opens that page in a new tab, so framing it lends a
# clickjacker nothing. Every other page keeps ``frame-ancestors 'none'``/``DENY``.
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})  # type: ignore[arg-type]  # typed for views of one argument
def campaign_widget(request, code):
    campaign = campaign_for_visitor(request, code)
    language = _language(request)
    mobilised = mobilised_count(campaign)
    with translation.override(language):
        response = render(request, "engagement/campaign_widget.html", {
            "campaign": campaign, "mobilised": mobilised, "language": language,
            "page_url": links.campaign_url(campaign),
            "status_text": _status_text(campaign),
            "brand": _brand(request.tenant),
            "percent": min(100, round(100 * mobilised / campaign.participant_target))})
    patch_cache_control(response, public=True, max_age=60)
    return response
