"""``{% load sharing %}{% share_meta %}``: the Open Graph and Twitter card tags of a
campaign's page, so that LinkedIn, Teams, Slack and WhatsApp show its share card."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import ngettext

from engagement import links
from engagement.models import Skill
from engagement.share_card import HEIGHT, WIDTH, share_card_url
from engagement.views.organiser_sharing import POSTER_LEVER, poster_levers

register = template.Library()
LOCALES = {"fr": "fr_FR", "en": "en_GB"}


@register.inclusion_tag("engagement/_share_meta.html", takes_context=True)
def share_meta(context, image: str = "") -> dict:
    """``image``: another card to name (a finished campaign's result card, from
    ``{% result_card_image %}`` of reports' ``results`` tags); its progress card otherwise."""
    campaign, mobilised = context["campaign"], context["mobilised"]
    language = translation.get_language()[:2]
    people = ngettext("%(n)s / %(target)s person committed",
                      "%(n)s / %(target)s people committed",
                      campaign.participant_target) % {
        "n": mobilised, "target": campaign.participant_target}
    when = date_format(timezone.localtime(campaign.starts_at), "DATETIME_FORMAT")
    parts = [people, when] + ([campaign.place] if campaign.place else [])
    # The title in the page's language, or the other one (engagement.bilingual).
    return {"title": campaign.localized("title").text, "description": " · ".join(parts),
            "url": links.campaign_url(campaign),
            "image": image or share_card_url(campaign, mobilised=mobilised, language=language),
            "width": WIDTH, "height": HEIGHT, "site_name": context["organisation"].name,
            "locale": LOCALES.get(language, "fr_FR")}


@register.inclusion_tag("engagement/_share_tools.html", takes_context=True)
def share_tools(context) -> dict:
    """The campaign page's widget snippet, share card preview and poster form."""
    campaign = context["campaign"]
    language = translation.get_language()[:2]
    widget_url = links.absolute(
        f"{reverse('campaign_widget', args=[campaign.code])}?lang={language}")
    return {"campaign": campaign, "widget_url": widget_url,
            "card_url": f"{reverse('campaign_card', args=[campaign.code])}?lang={language}",
            "can_manage": context["access"].can_manage, "csrf_token": context["csrf_token"],
            # No invitation poster for a campaign that failed or took place.
            "closed": context.get("closed", False),
            "levers": poster_levers(), "poster_lever": POSTER_LEVER}


@register.simple_tag
def skill_choices() -> list:
    """The organisation's skills, for the slots' skill forms."""
    return list(Skill.objects.all())
