"""Who is visiting: the participant recognised by their signed link (remembered in the
session), and the campaigns a visitor may see."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404

from core.tenancy import current_schema

from .. import links
from ..models import Campaign, Participant
from ..services.activity import participant_page_opened

SESSION_KEY = "participant_token"


def session_participant(request) -> Participant | None:
    """The participant whose signed link this browser came with, if any."""
    token = request.session.get(SESSION_KEY)
    return links.participant_from_token(token) if token else None


def remember(request, participant: Participant) -> None:
    request.session[SESSION_KEY] = links.participant_token(participant)


def participant_from_link(request, token: str) -> Participant:
    """The participant of a signed link, remembered for the campaign pages; 404 when the
    link is forged, expired, or another organisation's."""
    participant = links.participant_from_token(token)
    if participant is None:
        raise Http404
    remember(request, participant)
    participant_page_opened(participant_id=participant.pk)  # an action, once a day at most
    return participant


PROVEN_SESSION_KEY = "address_proven"


def address_proven_remember(request, participant: Participant) -> None:
    """This browser opened a link e-mailed to the participant's address."""
    proven = list(request.session.get(PROVEN_SESSION_KEY, []))
    mark = f"{current_schema()}:{participant.pk}"
    if mark not in proven:
        request.session[PROVEN_SESSION_KEY] = [*proven[-19:], mark]


def address_proven_here(request, participant: Participant) -> bool:
    return f"{current_schema()}:{participant.pk}" in request.session.get(
        PROVEN_SESSION_KEY, [])


def campaign_for_visitor(request, code: str) -> Campaign:
    """Drafts are visible to the organisation's members only (others: 404)."""
    campaign = get_object_or_404(Campaign.objects.select_related("programme"), code=code)
    if campaign.status == Campaign.Status.DRAFT and request.access is None:
        raise Http404
    return campaign


# The invitation a visitor came through, remembered for the campaign's pages in a signed
# cookie rather than in the session: opening a link writes no session row (a session is
# made only when someone joins).
INVITATION_COOKIE = "invitation"
INVITATION_SALT = "engagement.invitation"


def invitation_code(request, campaign: Campaign) -> str:
    """The code of the invitation this visitor opened for this campaign, or ""."""
    known = getattr(request, "invitation_code", None)  # opened by this very request
    if known:
        return str(known)
    return request.get_signed_cookie(
        INVITATION_COOKIE, default="", salt=f"{INVITATION_SALT}:{campaign.pk}",
        max_age=settings.SESSION_COOKIE_AGE)


def invitation_remember(response, campaign: Campaign, code: str) -> None:
    """Remember the invitation on the campaign's own paths (its page and its join form),
    for as long as a session would."""
    response.set_signed_cookie(
        INVITATION_COOKIE, code, salt=f"{INVITATION_SALT}:{campaign.pk}",
        max_age=settings.SESSION_COOKIE_AGE, path=f"/c/{campaign.code}/",
        secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Lax")
