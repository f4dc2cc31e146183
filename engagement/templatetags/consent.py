"""The consent parts of pages: the person's own choice with its history, and the history
alone for managers (on pages that already checked who may see the person)."""

from django import template

from ..models import Participant
from ..services.consent import consent_history, consent_wording

register = template.Library()


@register.inclusion_tag("engagement/_consent.html", takes_context=True)
def consent_choice(context, participant: Participant, token: str) -> dict:
    """On the person's own page: the switch, worded as recorded, and the history."""
    return {"participant": participant, "token": token, "wording": consent_wording(),
            "consents": consent_history(participant),
            "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("engagement/_consent_history.html")
def consent_records(participant: Participant) -> dict:
    return {"consents": consent_history(participant), "participant": participant,
            "for_organiser": True}
