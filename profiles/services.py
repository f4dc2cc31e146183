"""Writes of the Fullmobs profile: a person's tick in one organisation adds or removes its
row; the person, from their profile, erases every row of their address; and the e-mailed
link that proves the address.

Organisations call ``profile_link_set`` / ``profile_link_remove`` inside their own
transaction (the connection's search path reaches the public schema), so the row commits
or rolls back with the tick, the erasure or the anonymisation that caused it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django_tenants.utils import schema_context

from core.tenancy import enqueue_on_commit
from tenants.models import Organisation

from .models import ProfileLink

LINK_SALT = "profiles.address-link"
# The e-mailed link is short-lived: it opens the profile for a session of SESSION_MAX_AGE,
# after which the person asks for a new one.
LINK_MAX_AGE = timedelta(minutes=30)
SESSION_MAX_AGE = timedelta(hours=1)
SEND_TASK = "profiles.tasks.send_profile_link"


def normalised_address(email: str) -> str:
    return (email or "").strip().lower()


def address_key(email: str) -> str:
    """The keyed hash that stands for an address in the public table."""
    return hmac.new(settings.PROFILE_ADDRESS_KEY.encode(),
                    normalised_address(email).encode(), hashlib.sha256).hexdigest()


def profile_link_set(*, organisation_id: int, participant_id: int, email: str) -> None:
    """Link the participant to the profile of ``email`` (idempotent: one row per
    organisation and participant, its key brought up to date)."""
    ProfileLink.objects.bulk_create(
        [ProfileLink(organisation_id=organisation_id, participant_id=participant_id,
                     address_key=address_key(email))],
        update_conflicts=True, unique_fields=["organisation", "participant_id"],
        update_fields=["address_key"])


def profile_link_remove(*, organisation_id: int, participant_id: int) -> bool:
    """Unlink the participant; True when there was a link."""
    deleted, _by_model = ProfileLink.objects.filter(
        organisation_id=organisation_id, participant_id=participant_id).delete()
    return bool(deleted)


def profile_link_exists(*, organisation_id: int, participant_id: int) -> bool:
    return ProfileLink.objects.filter(organisation_id=organisation_id,
                                      participant_id=participant_id).exists()


def profile_links_erase(*, key: str) -> int:
    """Every link of the address ``key`` stands for, in every organisation; how many."""
    with transaction.atomic():
        deleted, _by_model = ProfileLink.objects.filter(address_key=key).delete()
    return int(deleted)


def profile_links_of_organisation_delete(organisation_id: int) -> int:
    """Every link to a participant of a closed organisation (its schema is dropped)."""
    deleted, _by_model = ProfileLink.objects.filter(organisation_id=organisation_id).delete()
    return int(deleted)


def profile_address_linked(email: str) -> bool:
    """Whether an organisation still open links the address."""
    return (ProfileLink.objects.filter(address_key=address_key(email))
            .exclude(organisation__status=Organisation.Status.CLOSED).exists())


def _nonce_cache_key(nonce: str) -> str:
    return f"profiles.link:{nonce}"


def profile_token(key: str) -> str:
    """A single-use link token: a random nonce (signed, so forged ones cost no cache
    read); the address key stays on the server, in the cache, for LINK_MAX_AGE. The URL
    (logs, mail scanners) never carries the address's permanent hash."""
    nonce = secrets.token_urlsafe(24)
    # The cache's keys carry the connection's schema: the public one, wherever the link
    # is made (the worker) or opened (the public site).
    with schema_context(settings.PUBLIC_SCHEMA_NAME):
        cache.set(_nonce_cache_key(nonce), key, timeout=int(LINK_MAX_AGE.total_seconds()))
    return signing.dumps({"n": nonce}, salt=LINK_SALT)


def profile_key_from_token(token: str) -> str | None:
    """The address key a genuine, unexpired, not yet used link stands for; None
    otherwise. Opening consumes it: only the one request whose delete removes the nonce
    gets the key, so a link opens one browser, once."""
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    nonce = data.get("n") if isinstance(data, dict) else None
    if not isinstance(nonce, str) or not nonce:
        return None
    with schema_context(settings.PUBLIC_SCHEMA_NAME):
        key = cache.get(_nonce_cache_key(nonce))
        if not isinstance(key, str) or len(key) != 64:
            return None
        return key if cache.delete(_nonce_cache_key(nonce)) else None


def profile_link_url(key: str) -> str:
    """The e-mailed link, on the public site."""
    path = reverse("profile_open", args=[profile_token(key)],
                   urlconf=settings.PUBLIC_SCHEMA_URLCONF)
    port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
    return f"{settings.SITE_SCHEME}://{settings.BASE_DOMAIN}{port}{path}"


def profile_link_request(*, email: str, language: str) -> bool:
    """Queue the e-mail of the profile link to ``email``; False, queuing nothing, for a
    malformed address. Every well-formed address is queued alike, linked or not (the
    worker drops an address no open organisation links): the answer, and its time, tell
    nobody whether an address is linked."""
    email = normalised_address(email)
    try:
        validate_email(email)
    except ValidationError:
        return False
    # The worker checks, composes and sends it; the address travels in the message only.
    enqueue_on_commit(SEND_TASK, email, language)
    return True
