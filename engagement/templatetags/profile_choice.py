"""``{% load profile_choice %}{% profile_choice participant token %}``: on the person's own
page, the switch that keeps their actions here in their Fullmobs profile."""

from django import template

from ..models import Participant
from ..services.profile_links import participant_profile_kept

register = template.Library()


@register.inclusion_tag("engagement/_profile_choice.html", takes_context=True)
def profile_choice(context, participant: Participant, token: str) -> dict:
    kept = participant_profile_kept(participant)
    # Ticked, but the address is not proven yet: the tick waits for an e-mailed link.
    pending = not kept and participant.profile_keep_pending
    return {"token": token, "kept": kept, "pending": pending,
            "csrf_token": context.get("csrf_token"),
            "public_site_url": context.get("public_site_url", "")}
