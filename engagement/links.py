"""Signed links for participants, who have no password.

A token names the participant and the organisation's schema, signed with the project's
secret: it cannot be forged, works only on its own organisation's host, and expires after
``MAX_AGE``. Every e-mail carries fresh ones.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from urllib.parse import urlencode

from django.core import signing
from django.urls import reverse

from core.tenancy import current_organisation, current_schema

from .models import Participant

SALT = "engagement.participant"
MAX_AGE = timedelta(days=365)


def participant_token(participant: Participant) -> str:
    schema = current_schema()
    return signing.dumps({"p": participant.pk, "s": schema}, salt=SALT,
                         compress=True)


def _participant_id(token: str) -> int | None:
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    if data.get("s") != current_schema():
        return None
    return data.get("p")


def participant_from_token(token: str) -> Participant | None:
    """The participant a token names, or None if forged, expired, for another host, or of
    a person whose data was erased (their old links reach nobody)."""
    pk = _participant_id(token)
    if pk is None:
        return None
    return Participant.objects.filter(pk=pk, erased_at__isnull=True).first()


def token_of_erased(token: str) -> bool:
    """Whether a genuine token names a person whose data was erased."""
    pk = _participant_id(token)
    return pk is not None and Participant.objects.filter(
        pk=pk, erased_at__isnull=False).exists()


def absolute(path: str) -> str:
    """An absolute URL on the current organisation's host (for e-mails and tasks)."""
    organisation = current_organisation()
    return organisation.absolute_url(path)


PROOF_SALT = "engagement.address-proof"


def _address_digest(email: str) -> str:
    return hashlib.sha256((email or "").strip().lower().encode()).hexdigest()[:32]


def address_proof(participant: Participant) -> str:
    """Carried only by links e-mailed to the participant's address (never by a page a
    visitor is sent to after typing an address): opening it proves the address."""
    return signing.dumps({"p": participant.pk, "s": current_schema(),
                          "a": _address_digest(participant.email)}, salt=PROOF_SALT)


def address_proven(participant: Participant, proof: str) -> bool:
    """Whether ``proof`` is a genuine, unexpired proof of the participant's current
    address (a changed address makes its old proofs worthless)."""
    if not proof or not participant.email:
        return False
    try:
        data = signing.loads(proof, salt=PROOF_SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return False
    return (isinstance(data, dict) and data.get("p") == participant.pk
            and data.get("s") == current_schema()
            and data.get("a") == _address_digest(participant.email))


def manage_url(participant: Participant) -> str:
    """The participant's own page: pledges, cancel, calendar, personal invitation link;
    e-mailed, so it carries the proof of the address."""
    path = reverse("participant_home", args=[participant_token(participant)])
    return absolute(f"{path}?{urlencode({'a': address_proof(participant)})}")


def unsubscribe_url(participant: Participant) -> str:
    return absolute(reverse("participant_unsubscribe", args=[participant_token(participant)]))


def survey_url(participant: Participant, campaign, moment: str) -> str:
    return absolute(reverse("participant_survey",
                            args=[participant_token(participant), campaign.code, moment]))


def campaign_url(campaign, *, invitation_code: str | None = None) -> str:
    path = reverse("campaign_page", args=[campaign.code])
    if invitation_code:
        path += f"?i={invitation_code}"
    return absolute(path)
