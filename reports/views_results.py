"""A campaign's public results, once the action is over: a short page (title, organiser,
date, people, hours, impact, target reached or not, the partner association) with share
buttons, and its result card (the PNG that social networks show under the link). Anyone
with the campaign's address reaches them, like its page; drafts and campaigns not over
yet: 404."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import condition

from billing.codes import Option
from billing.entitlements import entitlements_for
from engagement import links
from engagement.share_card import DEFAULT_BRAND
from engagement.views.visitors import campaign_for_visitor

from .result_card import HEIGHT, WIDTH, result_card_png, result_figures, result_status
from .results import CampaignResults, campaign_results

LANGUAGES = {code for code, _name in settings.LANGUAGES}
CARD_MAX_AGE = 300
CARD_CACHE_SECONDS = 300
LOCALES = {"fr": "fr_FR", "en": "en_GB"}


def _language(request) -> str:
    asked = request.GET.get("lang", "")
    if asked and asked not in LANGUAGES:
        raise Http404
    return asked or translation.get_language()[:2]


def _results(request, code: str) -> CampaignResults:
    campaign = campaign_for_visitor(request, code)
    results = campaign_results(campaign)
    if results is None:
        raise Http404
    return results


def _brand(tenant) -> str:
    return tenant.brand_colour if entitlements_for(tenant).allows(Option.BRANDED_SPACE) \
        else DEFAULT_BRAND


def result_card_url(results: CampaignResults, *, language: str) -> str:
    """The card's absolute address, new with each change of what it shows."""
    path = reverse("campaign_result_card", args=[results.campaign.code])
    return links.absolute(f"{path}?lang={language}&v={results.version}")


def _share_links(url: str, text: str) -> list[dict[str, str]]:
    """Share buttons as plain links (no script of the networks on the page)."""
    u, t = quote(url, safe=""), quote(text, safe="")
    return [
        {"name": "LinkedIn", "href": f"https://www.linkedin.com/sharing/share-offsite/?url={u}"},
        {"name": "Facebook", "href": f"https://www.facebook.com/sharer/sharer.php?u={u}"},
        {"name": "X", "href": f"https://x.com/intent/post?url={u}&text={t}"},
        {"name": "WhatsApp", "href": f"https://wa.me/?text={t}%20{u}"},
        {"name": str(_("E-mail")), "href": f"mailto:?subject={t}&body={u}"},
    ]


def campaign_results_page(request, code):
    results = _results(request, code)
    campaign = results.campaign
    language = translation.get_language()[:2]
    url = links.absolute(reverse("campaign_results", args=[campaign.code]))
    title = campaign.localized("title").text
    figures = result_figures(results)
    summary = " · ".join([*figures, result_status(results)])
    return render(request, "reports/campaign_results.html", {
        "campaign": campaign, "results": results, "figures": figures,
        "status_text": result_status(results), "page_url": url,
        "campaign_url": links.campaign_url(campaign),
        "share_links": _share_links(url, f"{title} · {summary}"),
        "meta": {"title": title, "description": summary, "url": url,
                 "image": result_card_url(results, language=language),
                 "width": WIDTH, "height": HEIGHT, "site_name": request.tenant.name,
                 "locale": LOCALES.get(language, "fr_FR")},
    })


def _card_etag(request, code: str) -> str:
    if (known := getattr(request, "_result_etag", None)) is not None:
        return known
    language = _language(request)
    with translation.override(language):
        results = _results(request, code)
    request._results = results
    parts = [results.campaign.code, results.version, language, request.tenant.name,
             results.campaign.localized("title", language).text, results.campaign.place,
             results.campaign.starts_at.isoformat(), _brand(request.tenant)]
    request._result_etag = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    return request._result_etag


@condition(etag_func=_card_etag)
def campaign_result_card(request, code):
    """The result card (PNG 1200 × 630) in the language its address names, drawn once
    per ETag (everything it shows) and served from the cache afterwards."""
    key = f"result-card:{_card_etag(request, code)}"
    png = cache.get(key)
    if png is None:
        language = _language(request)
        results = request._results
        png = result_card_png(results=results,
                              title=results.campaign.localized("title", language).text,
                              organisation=request.tenant.name, language=language,
                              brand=_brand(request.tenant))
        cache.set(key, png, CARD_CACHE_SECONDS)
    response = HttpResponse(png, content_type="image/png")
    patch_cache_control(response, public=True, max_age=CARD_MAX_AGE)
    return response
