"""Colleagues: invitations by e-mail, and accepting them."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import roles
from core.errors import DomainError
from core.roles import Role
from core.tenancy import call_on_commit

from ..email_html import account_email_send
from ..models import Invitation, Membership, Organisation, User
from .verification import require_verified


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_create(*, organisation: Organisation, email: str, role: str,
                      invited_by: User | None) -> str:
    token = secrets.token_urlsafe(32)
    Invitation.objects.create(
        organisation=organisation,
        email=email,
        role=role,
        invited_by=invited_by,
        token_hash=token_hash(token),
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_MAX_AGE_DAYS),
    )
    return token


def invitation_url(organisation: Organisation, token: str) -> str:
    return organisation.absolute_url(f"/invitations/{token}/")


def member_invite(*, organisation: Organisation, email: str, role: str, invited_by: User,
                  inviter_role: str, inviter_is_consultant: bool = False) -> Invitation:
    """Invite a colleague by e-mail. Only owners may invite owners; viewers may not invite;
    consultants may not invite (their access ends with their assignment, an invitation
    would outlive it). An unverified space sends no invitation."""
    email = (email or "").strip().lower()
    errors: dict[str, list[str]] = {}
    if inviter_is_consultant:
        raise DomainError({"role": [_("Consultants cannot invite: ask an owner or a manager "
                                      "of the organisation.")]})
    require_verified(organisation)
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [_("Enter a valid e-mail address.")]
    if role not in Role.values:
        errors["role"] = [_("Choose owner, manager or viewer.")]
    elif role == Role.OWNER and inviter_role != Role.OWNER:
        errors["role"] = [_("Only an owner can invite another owner.")]
    if inviter_role not in (Role.OWNER, Role.MANAGER):
        errors["role"] = [_("Your role does not allow inviting colleagues.")]
    if not errors and Membership.objects.filter(
        organisation=organisation, user__email__iexact=email
    ).exists():
        errors["email"] = [_("This person is already a member.")]
    if errors:
        raise DomainError(errors)
    with transaction.atomic():
        # One inviter at a time per organisation, so that "a new invitation replaces the
        # pending one" holds even when two are sent at once.
        Organisation.objects.select_for_update().only("pk").get(pk=organisation.pk)
        # A new invitation replaces any pending one for the same address.
        Invitation.objects.filter(
            organisation=organisation, email=email, accepted_at__isnull=True,
            revoked_at__isnull=True,
        ).update(revoked_at=timezone.now())
        token = invitation_create(
            organisation=organisation, email=email, role=role, invited_by=invited_by
        )
        invitation = Invitation.objects.get(token_hash=token_hash(token))
        call_on_commit(_send_invitation, invitation=invitation, token=token,
                       inviter=invited_by)
    return invitation


def _send_invitation(*, invitation: Invitation, token: str, inviter: User) -> None:
    organisation = invitation.organisation
    existing = User.objects.filter(email__iexact=invitation.email).first()
    language = existing.preferred_language if existing else organisation.locale
    link = invitation_url(organisation, token)
    with translation.override(language):
        context = {
            "organisation": organisation,
            "inviter": inviter,
            "invitation": invitation,
            "link": link,
        }
        account_email_send(
            subject=_("%(inviter)s invites you to %(name)s on Fullmobs") % {
                "inviter": inviter.get_full_name(), "name": organisation.name},
            body=render_to_string("tenants/email/invitation.txt", context),
            to=invitation.email, language=language, action_url=link,
            action_label=_("Accept the invitation"),
        )


def invitation_find(*, organisation: Organisation, token: str) -> Invitation | None:
    """The pending invitation for this token in this organisation, or None."""
    invitation = Invitation.objects.filter(
        organisation=organisation, token_hash=token_hash(token)
    ).first()
    if invitation is None or not invitation.is_pending:
        return None
    return invitation


def invitation_accept(*, invitation: Invitation, user: User | None = None,
                      full_name: str = "", password: str | None = None) -> User:
    """Make the invitee a member. ``user`` is the logged-in account (must match the
    invited address); otherwise a password is set for the invited address."""
    errors: dict[str, list[str]] = {}
    if user is not None and user.email.lower() != invitation.email.lower():
        errors["email"] = [_("This invitation was sent to another e-mail address.")]
    existing = User.objects.filter(email__iexact=invitation.email).first()
    has_password = existing is not None and existing.has_usable_password()
    if user is None:
        if has_password:
            assert existing is not None  # has_password says so
            # The link proves the mailbox, the password proves the account.
            if not password or not existing.check_password(password):
                errors["password"] = [_("Enter the password of your Fullmobs account, or "
                                        "reset it from the Fullmobs home page.")]
        elif not password:
            errors["password"] = [_("Choose a password.")]
        else:
            try:
                validate_password(password, existing or User(email=invitation.email))
            except ValidationError as exc:
                errors["password"] = list(exc.messages)
    if errors:
        raise DomainError(errors)
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not locked.is_pending:
            raise DomainError({"token": [_("This invitation has expired or was already used.")]})
        if user is None and has_password:
            user = existing
        elif user is None:
            user = existing or User.objects.create_user(
                email=invitation.email, full_name=full_name,
                preferred_language=invitation.organisation.locale,
            )
            if full_name:
                user.full_name = full_name
            user.set_password(password)
            user.save(update_fields=["password", "full_name"])
        membership, created = Membership.objects.get_or_create(
            user=user, organisation=invitation.organisation, defaults={"role": locked.role}
        )
        if not created and roles.RANK[locked.role] > roles.RANK[membership.role]:
            membership.role = locked.role  # an invitation never lowers a role
            membership.save(update_fields=["role"])
        locked.accepted_at = timezone.now()
        locked.save(update_fields=["accepted_at"])
        organisation = locked.organisation
        if locked.role == Role.OWNER and organisation.owner_email_verified_at is None:
            # The invitation reached the owner's mailbox: the address is proven.
            organisation.owner_email_verified_at = locked.accepted_at
            organisation.save(update_fields=["owner_email_verified_at"])
    assert user is not None  # the logged-in account, the existing one, or the new one
    return user
