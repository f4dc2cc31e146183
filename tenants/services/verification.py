"""The owner's e-mail address of a self-service space: the signed link that proves it, what
an unverified space may not do, and dropping the spaces never confirmed."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.roles import Role
from core.tenancy import call_on_commit, current_schema
from methodology.reference_keys import references_of_organisation_delete

from ..email_html import account_email_send
from ..models import Membership, Organisation, User

VERIFY_SALT = "tenants.verify-owner-email"


def _verification_max_age() -> int:
    return settings.SIGNUP_UNVERIFIED_MAX_DAYS * 24 * 3600


def verification_url(organisation: Organisation, email: str) -> str:
    """The signed link that proves the owner reads ``email``: valid until the unverified
    space would be dropped, on the public site (the owner may not be logged in)."""
    from django.core import signing
    from django.urls import reverse

    token = signing.dumps({"o": organisation.pk, "e": email.lower()}, salt=VERIFY_SALT)
    port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
    path = reverse("verify_owner_email", args=[token], urlconf=settings.PUBLIC_SCHEMA_URLCONF)
    return f"{settings.SITE_SCHEME}://{settings.BASE_DOMAIN}{port}{path}"


def verification_send(*, organisation: Organisation, owner: User) -> None:
    language = owner.preferred_language or organisation.locale
    link = verification_url(organisation, owner.email)
    with translation.override(language):
        account_email_send(
            subject=_("Confirm your e-mail address to use your Fullmobs space"),
            body=render_to_string("tenants/email/verify_owner.txt", {
                "organisation": organisation, "link": link,
                "days": settings.SIGNUP_UNVERIFIED_MAX_DAYS,
            }),
            to=owner.email, language=language, action_url=link,
            action_label=_("Confirm my address"),
        )


def owner_email_verify(*, token: str) -> Organisation:
    """Mark the space whose owner opened the signed link as verified (idempotent)."""
    from django.core import signing

    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=_verification_max_age())
    except signing.BadSignature as exc:
        raise DomainError({"token": [_("This link is invalid or has expired.")]}) from exc
    with transaction.atomic():
        organisation: Organisation | None = Organisation.objects.select_for_update().filter(
            pk=data.get("o")).first()
        if organisation is None or not Membership.objects.filter(
                organisation=organisation, role=Role.OWNER,
                user__email__iexact=data.get("e", "")).exists():
            raise DomainError({"token": [_("This link is invalid or has expired.")]})
        if organisation.owner_email_verified_at is None:
            organisation.owner_email_verified_at = timezone.now()
            organisation.save(update_fields=["owner_email_verified_at"])
    return organisation


def owner_email_resend(*, organisation: Organisation, owner: User) -> None:
    """Send the confirmation link again to an owner of an unverified space."""
    if organisation.is_verified:
        raise DomainError({"email": [_("Your e-mail address is already confirmed.")]})
    if not Membership.objects.filter(organisation=organisation, user=owner,
                                     role=Role.OWNER).exists():
        raise DomainError({"email": [_("Only an owner can confirm the space's address.")]})
    call_on_commit(verification_send, organisation=organisation, owner=owner)


def require_verified(organisation: Organisation | None = None) -> None:
    """Refuse what an unverified space may not do yet (open a campaign, invite, pay).
    Without ``organisation``: the one whose schema the connection is in."""

    unverified = Organisation.objects.filter(owner_email_verified_at__isnull=True)
    if organisation is not None:
        unverified = unverified.filter(pk=organisation.pk)
    else:
        unverified = unverified.filter(schema_name=current_schema())
    if unverified.exists():
        raise DomainError({"email": [_("Confirm your e-mail address first: open the link we "
                                       "sent you (or send it again from the banner).")]})


def unverified_organisations_drop(*, now: datetime | None = None) -> list[str]:
    """Drop self-service spaces whose owner never confirmed the address within
    SIGNUP_UNVERIFIED_MAX_DAYS: schema, domain, memberships, invitations and the owner's
    login when it belongs to nothing else. Returns the slugs dropped."""
    from django.db import connection

    now = now or timezone.now()
    limit = now - timedelta(days=settings.SIGNUP_UNVERIFIED_MAX_DAYS)
    dropped: list[str] = []
    stale = Organisation.objects.clients().filter(owner_email_verified_at__isnull=True,
                                                  created_at__lt=limit)
    for organisation in stale.only("pk"):
        with transaction.atomic():
            locked = Organisation.objects.select_for_update().filter(
                pk=organisation.pk, owner_email_verified_at__isnull=True).first()
            if locked is None:  # verified meanwhile
                continue
            users = list(User.objects.filter(memberships__organisation=locked,
                                             is_staff=False, is_consultant=False))
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA IF EXISTS "{locked.schema_name}" CASCADE')
            references_of_organisation_delete(schema=locked.schema_name)
            locked.domains.all().delete()
            slug = locked.slug
            Organisation.objects.filter(pk=locked.pk).delete()
            for user in users:
                if not user.memberships.exists():
                    user.delete()
            dropped.append(slug)
    return dropped
