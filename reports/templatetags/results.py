"""``{% load results %}``: a finished campaign's results on engagement's pages, which
cannot import reports (docs/architecture.md, "A higher app's panel on a lower app's page").

``{% result_card_image campaign as image %}``: the result card's address once the action
is over, "" before (the page keeps its progress card)."""

from django import template
from django.utils import translation

from engagement.models import Campaign

from ..results import campaign_is_over, campaign_results
from ..views_results import result_card_url

register = template.Library()


@register.simple_tag
def result_card_image(campaign: Campaign) -> str:
    results = campaign_results(campaign)
    if results is None:
        return ""
    return result_card_url(results, language=translation.get_language()[:2])


@register.simple_tag
def campaign_results_shown(campaign: Campaign) -> bool:
    """Whether the campaign has a results page to link to."""
    return campaign_is_over(campaign)
