"""Signed links for participants, who have no password.

A token names the participant and the organisation's schema, signed with the project's
secret: it cannot be forged, works only on its own organisation's host, and expires after
``MAX_AGE``. Every e-mail carries fresh ones.
"""

from __future__ import annotations

from datetime import timedelta

from django.core import signing
from django.db import connection
from django.urls import reverse

from core.tenancy import current_organisation

from .models import Participant

SALT = "engagement.participant"
MAX_AGE = timedelta(days=365)


def participant_token(participant: Participant) -> str:
    schema = connection.schema_name  # type: ignore[attr-defined]  # django-tenants' backend
    return signing.dumps({"p": participant.pk, "s": schema}, salt=SALT,
                         compress=True)


def participant_from_token(token: str) -> Participant | None:
    """The participant a token names, or None if forged, expired or for another host."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    if data.get("s") != connection.schema_name:  # type: ignore[attr-defined]
        return None
    return Participant.objects.filter(pk=data.get("p")).first()


def absolute(path: str) -> str:
    """An absolute URL on the current organisation's host (for e-mails and tasks)."""
    organisation = current_organisation()
    return organisation.absolute_url(path)


def manage_url(participant: Participant) -> str:
    """The participant's own page: pledges, cancel, calendar, personal invitation link."""
    return absolute(reverse("participant_home", args=[participant_token(participant)]))


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
