"""The employees' address: one page per organisation (``/internal/``) where someone types
their work address and, if it is at one of the organisation's verified domains
(``Organisation.allowed_email_domains``), receives a signed link to the list of its open
internal campaigns. Every other address gets the same answer and nothing is written for
it, so the page tells nobody whether an address is known or allowed."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.tenancy import current_organisation

from .. import links
from ..models import Campaign, EmailKind, Participant
from .joining import email_domain_allowed, participant_upsert
from .outbox import email_queue


def internal_campaigns_open() -> QuerySet[Campaign]:
    """The organisation's internal campaigns still taking pledges, soonest first."""
    return (Campaign.objects.filter(visibility=Campaign.Visibility.INTERNAL,
                                    status=Campaign.Status.OPEN,
                                    mobilisation_deadline__gt=timezone.now())
            .order_by("starts_at", "pk"))


def internal_campaigns_url(participant: Participant) -> str:
    return links.absolute(reverse("participant_internal_campaigns",
                                  args=[links.participant_token(participant)]))


def internal_link_send(*, email: str, language: str) -> bool:
    """E-mail the signed link to the internal campaigns to ``email`` when it is at one of
    the organisation's verified domains (at most one e-mail an hour per address); False,
    writing nothing, for any other address. The caller answers the same either way."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        return False
    if not email_domain_allowed(email):
        return False
    with transaction.atomic():
        # Asking proves nothing yet: an existing participant is left exactly as they are.
        participant, _created = participant_upsert(email=email, language=language,
                                                   source=Participant.Source.SIGNUP,
                                                   update_existing=False)
        organisation = " ".join(current_organisation().name.split())
        with translation.override(participant.language or language):
            subject = _("The internal campaigns of %(organisation)s") % {
                "organisation": organisation}
            body = _("Hello,\n\nHere is your personal link to the actions %(organisation)s "
                     "is preparing for its people; choose one and give a few hours of your "
                     "time:\n%(link)s\n\nThe link is yours: do not pass it on. If you did "
                     "not ask for it, ignore this message.") % {
                "organisation": organisation, "link": internal_campaigns_url(participant)}
        email_queue(kind=EmailKind.INTERNAL_CAMPAIGNS_LINK, to_email=email, subject=subject,
                    body=body, participant=participant,
                    dedupe_key=f"internal_campaigns_link:{participant.pk}:"
                               f"{timezone.now():%Y%m%d%H}")
    return True
