"""Making an organisation: its address (slug), schema, domain and owner, in one transaction."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.roles import Role
from core.tenancy import call_on_commit

from ..email_domains import suggested_domains
from ..email_html import account_email_send
from ..models import FREE_PLAN_KINDS, Domain, Membership, Organisation, User, slug_validator
from ..schema_clone import clone_template_schema
from .invitations import invitation_create, invitation_url
from .verification import verification_send

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


def slug_validate(slug: str) -> None:
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


def organisation_provision(
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
        slug_validate(slug)
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
    if status == Organisation.Status.TRIAL and kind in FREE_PLAN_KINDS:
        # Associations and collectives start on the free plan: no trial to run out.
        status = Organisation.Status.ACTIVE
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
                token = invitation_create(
                    organisation=organisation, email=owner_email, role=Role.OWNER, invited_by=None
                )
            if verify_owner_email and existing_owner is None:
                call_on_commit(verification_send, organisation=organisation, owner=owner)
            else:
                call_on_commit(_send_welcome, organisation=organisation, owner=owner,
                               token=token)
    except IntegrityError as exc:
        # Two sign-ups raced for the same address: the unique index decided.
        raise DomainError({"slug": [_("“%(slug)s” is already taken.") % {"slug": slug}]}) from exc
    return organisation


def _send_welcome(*, organisation: Organisation, owner: User, token: str | None) -> None:
    link = invitation_url(organisation, token) if token else organisation.absolute_url("/")
    language = owner.preferred_language or organisation.locale
    with translation.override(language):
        context = {"organisation": organisation, "user": owner, "link": link, "token": token,
                   "has_account": owner.has_usable_password()}
        account_email_send(
            subject=_("Your Fullmobs space for %(name)s is ready") % {"name": organisation.name},
            body=render_to_string("tenants/email/welcome.txt", context),
            to=owner.email, language=language, action_url=link,
            action_label=_("Enter the space"),
        )
