"""The employees' address: one page per organisation (``/internal/``) where someone types
their work address and, if it is at one of the organisation's verified domains
(``Organisation.allowed_email_domains``), receives a signed link to the list of its open
internal campaigns. Every other address gets the same answer and nothing is written for
it, so the page tells nobody whether an address is known or allowed.

Typing an address proves nothing: no participant is created for it. The e-mailed link
carries the address itself, signed (``ADDRESS_SALT``, the organisation's schema) and valid
for ``ADDRESS_MAX_AGE``; the participant is created only when the link is opened
(``internal_link_open``), by whoever received it, and is sent on to their own signed page
of internal campaigns."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.tenancy import current_organisation, current_schema

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


ADDRESS_SALT = "engagement.internal_address"
ADDRESS_MAX_AGE = timedelta(days=7)


def internal_campaigns_url(participant: Participant) -> str:
    return links.absolute(reverse("participant_internal_campaigns",
                                  args=[links.participant_token(participant)]))


def address_token(*, email: str, language: str) -> str:
    """The signed proof, sent to ``email`` only, that whoever opens it holds it."""
    return signing.dumps({"e": email, "l": language, "s": current_schema()},
                         salt=ADDRESS_SALT, compress=True)


def internal_link_open(*, token: str) -> Participant | None:
    """The participant of an e-mailed address link, created on its first opening (an
    existing one is left as they are); None when the link is forged, expired, for another
    organisation, or its address is no longer at one of the organisation's domains."""
    try:
        data = signing.loads(token, salt=ADDRESS_SALT, max_age=ADDRESS_MAX_AGE)
    except signing.BadSignature:
        return None
    email = str(data.get("e") or "")
    if data.get("s") != current_schema() or not email or not email_domain_allowed(email):
        return None
    with transaction.atomic():
        participant, _created = participant_upsert(
            email=email, language=str(data.get("l") or ""),
            source=Participant.Source.SIGNUP, update_existing=False)
    if participant.erased_at is not None:
        return None
    return participant


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
    known = Participant.objects.filter(email__iexact=email, erased_at__isnull=True).first()
    link = links.absolute(reverse("internal_link_open",
                                  args=[address_token(email=email, language=language)]))
    with transaction.atomic():
        # Asking proves nothing yet: nothing is written about the person (the outbox keeps
        # the e-mail, as for any message); the link proves the address when opened.
        organisation = " ".join(current_organisation().name.split())
        with translation.override(known.language if known and known.language else language):
            subject = _("The internal campaigns of %(organisation)s") % {
                "organisation": organisation}
            body = _("Hello,\n\nHere is your personal link to the actions %(organisation)s "
                     "is preparing for its people; choose one and give a few hours of your "
                     "time:\n%(link)s\n\nThe link is yours: do not pass it on. If you did "
                     "not ask for it, ignore this message.") % {
                "organisation": organisation, "link": link}
        address = hashlib.sha256(email.encode()).hexdigest()[:24]
        email_queue(kind=EmailKind.INTERNAL_CAMPAIGNS_LINK, to_email=email, subject=subject,
                    body=body, participant=known,
                    dedupe_key=f"internal_campaigns_link:{address}:"
                               f"{timezone.now():%Y%m%d%H}")
    return True
