"""What the waiting list tells people: a place offered to them (with its time limit and
the link to confirm it), and an offer that lapsed."""

from __future__ import annotations

import functools

from django.urls import reverse
from django.utils import formats, timezone

from .. import links
from ..models import EmailKind, Pledge
from .message_schedule import _pledge_with_context, _queue_pledge_message
from .message_texts import CampaignFacts


def offer_url(pledge: Pledge) -> str:
    """The page where the person confirms the place offered (their signed link)."""
    return links.absolute(reverse("participant_offer", args=[
        links.participant_token(pledge.participant), pledge.pk]))


def seat_offered_notify(*, pledge_id: int) -> None:
    pledge = _pledge_with_context(pledge_id)
    if pledge is not None:
        seat_offer_queue(pledge)


def seat_offer_queue(pledge: Pledge, *, sequence: int = 0) -> None:
    """The offer e-mail; with the ``sequence`` of a moved slot, the offer again at the
    slot's new time (a new message, once per sequence)."""
    if pledge.status != Pledge.Status.OFFERED or pledge.offer_expires_at is None:
        return
    expires = pledge.offer_expires_at
    _queue_pledge_message(
        EmailKind.SEAT_OFFERED, pledge, CampaignFacts(pledge.slot.campaign),
        link=functools.partial(offer_url, pledge), sequence=sequence,
        # Formatted by the template, in the recipient's language and the active zone.
        extra={"offer_until": lambda: formats.date_format(timezone.localtime(expires),
                                                          "DATETIME_FORMAT"),
               "moved": bool(sequence)})


def offer_lapsed_notify(*, pledge_id: int) -> None:
    pledge = _pledge_with_context(pledge_id)
    if pledge is None or pledge.status != Pledge.Status.CANCELLED:
        return
    campaign = pledge.slot.campaign
    _queue_pledge_message(EmailKind.OFFER_EXPIRED, pledge, CampaignFacts(campaign),
                          link=functools.partial(links.campaign_url, campaign))
