"""State changes of organisations, users and memberships (keyword-only, one transaction)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from PIL import Image

from core import roles
from core.errors import DomainError
from core.roles import Role
from core.tenancy import call_on_commit

from .email_domains import domain_errors, suggested_domains
from .models import (
    Domain,
    Invitation,
    Membership,
    Organisation,
    User,
    slug_validator,
)
from .schema_clone import clone_template_schema

# Host labels that are, or may become, Fullmobs' own, or that a visitor would take for an
# operator's page (a phishing look-alike at payments.<domain> or sso.<domain>). Any label
# containing "fullmobs" is reserved too (fullmobs-admin, my-fullmobs), and so are labels
# starting with "pg-" (PostgreSQL's own schema names). docs/security.md lists them.
RESERVED_SLUGS = frozenset(
    {
        # the operator and its tools
        "www", "www1", "www2", "api", "admin", "administrator", "root", "public", "app",
        "console", "consultants", "dashboard", "operator", "staff", "internal", "intranet",
        "team", "official", "owner",
        # accounts and identity
        "login", "logout", "signin", "signup", "register", "auth", "oauth", "sso", "saml",
        "oidc", "id", "identity", "account", "accounts", "password", "reset", "verify",
        "mfa", "2fa", "otp",
        # money
        "billing", "payments", "payment", "pay", "invoice", "invoices", "checkout", "stripe",
        "paypal", "bank", "wallet", "subscription", "subscriptions",
        # mail and infrastructure
        "mail", "email", "webmail", "smtp", "imap", "pop", "pop3", "mx", "ftp", "sftp", "ns",
        "ns1", "ns2", "dns", "vpn", "proxy", "gateway", "cdn", "static", "media", "assets",
        "files", "upload", "uploads", "download", "downloads", "storage", "backup", "db",
        "postgres", "redis", "rabbitmq", "celery", "broker", "pgmq", "grafana", "kibana",
        "metrics", "monitoring", "sentry", "health", "git", "gitlab", "ci", "jenkins",
        "localhost", "information-schema",
        # people looking for help or trust
        "status", "support", "help", "helpdesk", "contact", "security", "abuse", "noreply",
        "no-reply", "postmaster", "hostmaster", "webmaster", "legal", "privacy", "gdpr",
        "rgpd", "docs", "doc", "blog", "news", "careers", "jobs", "about", "pricing", "demo",
        # environments
        "test", "testing", "staging", "stage", "dev", "development", "prod", "production",
        "preview", "sandbox", "beta", "alpha", "demo-space",
    }
)


def is_reserved_slug(slug: str) -> bool:
    return (slug in RESERVED_SLUGS or "fullmobs" in slug or slug.startswith("pg-")
            or schema_name_for(slug) in {settings.PUBLIC_SCHEMA_NAME,
                                         settings.TENANT_TEMPLATE_SCHEMA})


TRIAL_DAYS = 30


def schema_name_for(slug: str) -> str:
    return slug.replace("-", "_")


def validate_slug(slug: str) -> None:
    try:
        slug_validator(slug)
    except ValidationError as exc:
        raise DomainError({"slug": list(exc.messages)}) from exc
    if len(slug) < 3 or len(slug) > 40:
        raise DomainError({"slug": [_("Use between 3 and 40 characters.")]})
    if is_reserved_slug(slug):
        raise DomainError({"slug": [_("“%(slug)s” is reserved; choose another address.") % {
            "slug": slug}]})
    if Organisation.objects.filter(slug=slug).exists() or Domain.objects.filter(
        domain=f"{slug}.{settings.BASE_DOMAIN}"
    ).exists() or _schema_exists(schema_name_for(slug)):
        raise DomainError({"slug": [_("“%(slug)s” is already taken.") % {"slug": slug}]})


def _schema_exists(name: str) -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cursor.fetchone() is not None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def provision_organisation(
    *,
    name: str,
    slug: str,
    owner_email: str,
    owner_password: str | None = None,
    owner_name: str = "",
    kind: str = Organisation.Kind.COMPANY,
    locale: str = "fr",
    timezone_name: str = "Europe/Paris",
    status: str = Organisation.Status.TRIAL,
    verify_owner_email: bool = False,
) -> Organisation:
    """Create an organisation: schema (cloned from the template), domain, owner membership.

    ``verify_owner_email`` (self-service sign-up): the space starts unverified and the owner
    is sent a signed link to confirm the address; staff provisioning is verified at once.

    Everything happens in one transaction, schema included, so a failure at any point leaves
    no schema and no rows. The owner's e-mail (a welcome, or for a new login an invitation
    to choose a password) is sent only once the transaction has committed.
    """
    name = (name or "").strip()
    slug = (slug or "").strip().lower()
    owner_email = (owner_email or "").strip().lower()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("This field is required.")]
    try:
        validate_email(owner_email)
    except ValidationError:
        errors["owner_email"] = [_("Enter a valid e-mail address.")]
    if kind not in Organisation.Kind.values:
        errors["kind"] = [_("Choose one of: %(choices)s.") % {
            "choices": ", ".join(Organisation.Kind.values)}]
    if locale not in dict(settings.LANGUAGES):
        errors["locale"] = [_("Choose “fr” or “en”.")]
    try:
        validate_slug(slug)
    except DomainError as exc:
        errors.update(exc.errors)
    existing_owner = User.objects.filter(email__iexact=owner_email).first() if \
        "owner_email" not in errors else None
    if owner_password and existing_owner is not None:
        # Self-service sign-up with an address that already has an account: the password
        # typed is never checked (a sign-up form must not tell whether it is right), and
        # ownership goes by e-mail to whoever holds the mailbox (an invitation below). The
        # hash is computed all the same, so that the answer takes as long as for a new
        # address.
        make_password(owner_password)
    elif owner_password:
        try:
            validate_password(owner_password, User(email=owner_email))
        except ValidationError as exc:
            errors["owner_password"] = list(exc.messages)
    try:
        ZoneInfo(timezone_name)
    except (ZoneInfoNotFoundError, ValueError):
        errors["time_zone"] = [_("Choose a time zone from the list.")]
    if errors:
        raise DomainError(errors)

    now = timezone.now()
    try:
        with transaction.atomic():
            organisation = Organisation(
                name=name,
                slug=slug,
                schema_name=schema_name_for(slug),
                kind=kind,
                locale=locale,
                time_zone=timezone_name,
                status=status,
                trial_ends_at=now + timedelta(days=TRIAL_DAYS)
                if status == Organisation.Status.TRIAL
                else None,
                # Colleagues at the owner's own domain may join internal campaigns.
                allowed_email_domains=suggested_domains(owner_email),
                owner_email_verified_at=None if verify_owner_email else now,
            )
            organisation.save()
            clone_template_schema(organisation.schema_name)
            Domain.objects.create(
                domain=organisation.primary_host, tenant=organisation, is_primary=True
            )
            owner = existing_owner
            if owner is None:
                owner = User.objects.create_user(
                    email=owner_email,
                    password=owner_password,
                    full_name=owner_name,
                    preferred_language=locale,
                )
            token = None
            if existing_owner is None:
                # A new login, made with the password just given: they hold it.
                Membership.objects.create(user=owner, organisation=organisation,
                                          role=Role.OWNER)
            if not owner.has_usable_password() or existing_owner is not None:
                # Staff provisioning for an address that may belong to anyone (even to an
                # account someone registered in advance): ownership goes to whoever can
                # read that mailbox and accept the invitation, never to the account as is.
                token = _create_invitation(
                    organisation=organisation, email=owner_email, role=Role.OWNER, invited_by=None
                )
            if verify_owner_email and existing_owner is None:
                call_on_commit(_send_verification, organisation=organisation, owner=owner)
            else:
                call_on_commit(_send_welcome, organisation=organisation, owner=owner,
                               token=token)
    except IntegrityError as exc:
        # Two sign-ups raced for the same address: the unique index decided.
        raise DomainError({"slug": [_("“%(slug)s” is already taken.") % {"slug": slug}]}) from exc
    return organisation


def _create_invitation(*, organisation: Organisation, email: str, role: str, invited_by) -> str:
    token = secrets.token_urlsafe(32)
    Invitation.objects.create(
        organisation=organisation,
        email=email,
        role=role,
        invited_by=invited_by,
        token_hash=_token_hash(token),
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_MAX_AGE_DAYS),
    )
    return token


def invitation_url(organisation: Organisation, token: str) -> str:
    return organisation.absolute_url(f"/invitations/{token}/")


def _send_welcome(*, organisation: Organisation, owner: User, token: str | None) -> None:
    link = invitation_url(organisation, token) if token else organisation.absolute_url("/")
    with translation.override(owner.preferred_language or organisation.locale):
        context = {"organisation": organisation, "user": owner, "link": link, "token": token,
                   "has_account": owner.has_usable_password()}
        send_mail(
            subject=_("Your Fullmobs space for %(name)s is ready") % {"name": organisation.name},
            message=render_to_string("tenants/email/welcome.txt", context),
            from_email=None,
            recipient_list=[owner.email],
        )


# ---- the owner's e-mail address (self-service sign-up) --------------------------------------

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


def _send_verification(*, organisation: Organisation, owner: User) -> None:
    with translation.override(owner.preferred_language or organisation.locale):
        send_mail(
            subject=_("Confirm your e-mail address to use your Fullmobs space"),
            message=render_to_string("tenants/email/verify_owner.txt", {
                "organisation": organisation,
                "link": verification_url(organisation, owner.email),
                "days": settings.SIGNUP_UNVERIFIED_MAX_DAYS,
            }),
            from_email=None,
            recipient_list=[owner.email],
        )


def owner_email_verify(*, token: str) -> Organisation:
    """Mark the space whose owner opened the signed link as verified (idempotent)."""
    from django.core import signing

    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=_verification_max_age())
    except signing.BadSignature as exc:
        raise DomainError({"token": [_("This link is invalid or has expired.")]}) from exc
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().filter(
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
    call_on_commit(_send_verification, organisation=organisation, owner=owner)


def require_verified(organisation: Organisation | None = None) -> None:
    """Refuse what an unverified space may not do yet (open a campaign, invite, pay).
    Without ``organisation``: the one whose schema the connection is in."""
    from django.db import connection

    unverified = Organisation.objects.filter(owner_email_verified_at__isnull=True)
    if organisation is not None:
        unverified = unverified.filter(pk=organisation.pk)
    else:
        unverified = unverified.filter(schema_name=connection.schema_name)
    if unverified.exists():
        raise DomainError({"email": [_("Confirm your e-mail address first: open the link we "
                                       "sent you (or send it again from the banner).")]})


def drop_unverified_organisations(*, now=None) -> list[str]:
    """Drop self-service spaces whose owner never confirmed the address within
    SIGNUP_UNVERIFIED_MAX_DAYS: schema, domain, memberships, invitations and the owner's
    login when it belongs to nothing else. Returns the slugs dropped."""
    from django.db import connection

    now = now or timezone.now()
    limit = now - timedelta(days=settings.SIGNUP_UNVERIFIED_MAX_DAYS)
    dropped = []
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
            locked.domains.all().delete()
            slug = locked.slug
            Organisation.objects.filter(pk=locked.pk).delete()
            for user in users:
                if not user.memberships.exists():
                    user.delete()
            dropped.append(slug)
    return dropped


# ---- consultants ----------------------------------------------------------------------------

def consultant_assignment_end(*, organisation: Organisation, consultant_id: int,
                              ended_by: User) -> None:
    """An owner ends a consultant's accompaniment: the consultant can no longer enter the
    space (from their next request), and invitations they sent and not yet accepted are
    revoked. The access log is kept."""
    from .models import ConsultantAssignment

    if not Membership.objects.filter(organisation=organisation, user=ended_by,
                                     role=Role.OWNER).exists():
        raise DomainError({"consultant": [_("Only an owner can end an accompaniment.")]})
    with transaction.atomic():
        deleted, _rows = ConsultantAssignment.objects.filter(
            organisation=organisation, consultant_id=consultant_id).delete()
        if not deleted:
            raise DomainError({"consultant": [_("This consultant does not accompany your "
                                                "organisation.")]})
        Invitation.objects.filter(
            organisation=organisation, invited_by_id=consultant_id, accepted_at__isnull=True,
            revoked_at__isnull=True).update(revoked_at=timezone.now())


# ---- colleagues ----------------------------------------------------------------------------

def invite_member(*, organisation: Organisation, email: str, role: str, invited_by: User,
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
        token = _create_invitation(
            organisation=organisation, email=email, role=role, invited_by=invited_by
        )
        invitation = Invitation.objects.get(token_hash=_token_hash(token))
        call_on_commit(_send_invitation, invitation=invitation, token=token,
                       inviter=invited_by)
    return invitation


def _send_invitation(*, invitation: Invitation, token: str, inviter: User) -> None:
    organisation = invitation.organisation
    existing = User.objects.filter(email__iexact=invitation.email).first()
    language = existing.preferred_language if existing else organisation.locale
    with translation.override(language):
        context = {
            "organisation": organisation,
            "inviter": inviter,
            "invitation": invitation,
            "link": invitation_url(organisation, token),
        }
        send_mail(
            subject=_("%(inviter)s invites you to %(name)s on Fullmobs") % {
                "inviter": inviter.get_full_name(), "name": organisation.name},
            message=render_to_string("tenants/email/invitation.txt", context),
            from_email=None,
            recipient_list=[invitation.email],
        )


def find_invitation(*, organisation: Organisation, token: str) -> Invitation | None:
    """The pending invitation for this token in this organisation, or None."""
    invitation = Invitation.objects.filter(
        organisation=organisation, token_hash=_token_hash(token)
    ).first()
    if invitation is None or not invitation.is_pending:
        return None
    return invitation


def accept_invitation(*, invitation: Invitation, user: User | None = None,
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
    return user



LOGO_MAX_BYTES = 1024 * 1024
LOGO_FORMATS = {"PNG", "JPEG", "WEBP"}
# A logo's header is read before any pixel is decoded: past these dimensions it is refused
# (a PNG of a few bytes can announce billions of pixels). What is kept is a copy no larger
# than LOGO_STORED_MAX_SIDE on its longer side: pages show it at 40 px and reports at 30 mm,
# so even print needs no more, and nothing downstream (pages, the PDF renderer) ever decodes
# a large image.
LOGO_MAX_SIDE = 4000
LOGO_STORED_MAX_SIDE = 800
# Pillow warns past this many pixels and refuses (DecompressionBombError) past twice it,
# whoever opens the image (WeasyPrint included). No image of the project needs more than
# the largest logo accepted; its default (89 million pixels, 350 MB decoded) is far more.
Image.MAX_IMAGE_PIXELS = LOGO_MAX_SIDE * LOGO_MAX_SIDE


class NotAnImage(ValueError):
    """The file is not an image of the formats asked for."""


def bounded_image(source, *, max_side: int, formats=frozenset(LOGO_FORMATS)
                  ) -> tuple[bytes, str]:
    """A re-encoded copy of the image in ``source`` (a file or bytes) no larger than
    ``max_side`` pixels on either side, in its own format, without metadata. Raises
    ``ValueError`` with a message for people when it is not an image of ``formats``
    (``NotAnImage``), is damaged, or announces more than ``LOGO_MAX_SIDE`` pixels on a side
    (checked from the header, before any decoding)."""
    import io
    import warnings

    from PIL import UnidentifiedImageError

    if isinstance(source, bytes | bytearray):
        source = io.BytesIO(source)
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice it; past ours is an error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source, formats=sorted(formats)) as image:
                image_format = image.format
                width, height = image.size
                if width > LOGO_MAX_SIDE or height > LOGO_MAX_SIDE:
                    raise ValueError(_(
                        "The logo must be at most %(side)s × %(side)s pixels.") % {
                        "side": number_format(LOGO_MAX_SIDE, force_grouping=True)})
                image.load()
                if image_format == "JPEG":
                    kept = image.convert("RGB")
                elif image.mode in ("1", "L", "LA", "P", "RGB", "RGBA"):
                    kept = image.copy()
                else:
                    kept = image.convert("RGBA")
        kept.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        kept.save(out, format=image_format, **({"quality": 90} if image_format in
                                                 ("JPEG", "WEBP") else {"optimize": True}))
    except ValueError:
        raise
    except UnidentifiedImageError as exc:
        raise NotAnImage(_("Upload a PNG, JPEG or WebP image.")) from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning, OSError,
            SyntaxError, EOFError) as exc:
        raise ValueError(_("Upload a PNG, JPEG or WebP image.")) from exc
    return out.getvalue(), image_format


def organisation_update(*, organisation: Organisation, name: str, locale: str, time_zone: str,
                        brand_colour: str, logo=None, remove_logo: bool = False,
                        allowed_email_domains: list[str] | None = None) -> Organisation:
    """Change an organisation's name, language, time zone, branding and the e-mail domains
    that may join its internal campaigns (``None``: unchanged) (owners only).

    Logos are PNG, JPEG or WebP up to 1 MB and 4,000 pixels a side: SVG could carry
    scripts, and the logo is shown on every page and printed in reports. What is stored is
    a copy at most ``LOGO_STORED_MAX_SIDE`` pixels a side (``bounded_image``).
    """
    from zoneinfo import available_timezones

    from django.core.files.base import ContentFile

    from .models import colour_validator

    errors: dict[str, list[str]] = {}
    if not (name or "").strip():
        errors["name"] = [_("This field is required.")]
    if locale not in dict(settings.LANGUAGES):
        errors["locale"] = [_("Choose “fr” or “en”.")]
    if time_zone not in available_timezones():
        errors["time_zone"] = [_("Choose a time zone from the list.")]
    try:
        colour_validator(brand_colour or "")
    except ValidationError as exc:
        errors["brand_colour"] = list(exc.messages)
    stored_logo = None
    if logo is not None:
        if logo.size > LOGO_MAX_BYTES:
            errors["logo"] = [_("The logo must be 1 MB or smaller.")]
        else:
            try:
                content, image_format = bounded_image(logo, max_side=LOGO_STORED_MAX_SIDE)
            except ValueError as exc:
                errors["logo"] = [str(exc)]
            else:
                suffix = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp"}[image_format]
                stored_logo = ContentFile(content, name=f"logo{suffix}")
    if allowed_email_domains is not None and domain_errors(allowed_email_domains):
        errors["allowed_email_domains"] = domain_errors(allowed_email_domains)
    if errors:
        raise DomainError(errors)
    with transaction.atomic():
        organisation.name = name.strip()
        organisation.locale = locale
        organisation.time_zone = time_zone
        organisation.brand_colour = brand_colour.lower()
        fields = ["name", "locale", "time_zone", "brand_colour"]
        if allowed_email_domains is not None:
            organisation.allowed_email_domains = allowed_email_domains
            fields.append("allowed_email_domains")
        old_logo = organisation.logo.name if organisation.logo else ""
        if stored_logo is not None:
            organisation.logo.save(
                f"logo-{secrets.token_hex(4)}{_suffix(stored_logo.name)}", stored_logo,
                save=False)
            fields.append("logo")
        elif remove_logo and old_logo:
            organisation.logo = ""
            fields.append("logo")
        organisation.save(update_fields=fields)
        if "logo" in fields and old_logo:
            storage = organisation.logo.storage
            call_on_commit(storage.delete, old_logo)
    return organisation


def _suffix(filename: str) -> str:
    from pathlib import Path

    suffix = Path(filename or "").suffix.lower()
    return suffix if suffix in {".png", ".jpg", ".jpeg", ".webp"} else ".png"
