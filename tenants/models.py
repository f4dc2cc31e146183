"""Organisations (one PostgreSQL schema each), their domains, users and who may enter which."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from core.roles import Role

# Lower-case letters, digits and inner hyphens, as in a host name label; the schema name is the
# slug with underscores for hyphens (a slug never contains an underscore, so this is one-to-one).
SLUG_PATTERN = r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$"
slug_validator = RegexValidator(
    SLUG_PATTERN,
    _("Use lower-case letters, digits and single hyphens, starting with a letter."),
)
colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #1d6f42."))


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any
                         ) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A login. Lives in the public schema; reaches organisations through memberships."""

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    preferred_language = models.CharField(
        _("language"), max_length=5, choices=settings.LANGUAGES, default="fr"
    )
    is_consultant = models.BooleanField(
        _("Fullmobs consultant"),
        default=False,
        help_text=_(
            "Consultants author methodology and accompany the organisations assigned to them."
        ),
    )
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class OrganisationQuerySet(models.QuerySet):
    def clients(self) -> OrganisationQuerySet:
        """Real client organisations: neither the public site nor the template schema."""
        return self.exclude(schema_name=settings.PUBLIC_SCHEMA_NAME).exclude(is_template=True)

    def ready(self) -> OrganisationQuerySet:
        """Organisations whose periodic work should run (closed ones are left alone)."""
        return self.clients().exclude(status=Organisation.Status.CLOSED)


# The kinds that mobilise for free: they take billing's free plan (catalogue.yaml, the
# plan marked ``free``) instead of a 30-day trial, and their space never turns read-only
# for want of a paid plan. The kind is self-declared at sign-up; staff change it in the
# admin (docs/decisions.md, "A free plan for associations and collectives").
FREE_PLAN_KINDS = frozenset({"association", "collective"})


class Organisation(TenantMixin):
    """A client (company, local authority, association): one PostgreSQL schema."""

    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        LOCAL_AUTHORITY = "local_authority", _("Local authority")
        ASSOCIATION = "association", _("Association")
        COLLECTIVE = "collective", _("Citizens' collective")

    class Status(models.TextChoices):
        TRIAL = "trial", _("Trial")
        ACTIVE = "active", _("Active")
        PAST_DUE = "past_due", _("Payment overdue")
        SUSPENDED = "suspended", _("Suspended")
        CLOSED = "closed", _("Closed")

    name = models.CharField(_("name"), max_length=150)
    slug = models.CharField(_("address"), max_length=40, unique=True, validators=[slug_validator])
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.COMPANY)
    locale = models.CharField(
        _("language"), max_length=5, choices=settings.LANGUAGES, default="fr"
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Paris")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.TRIAL
    )
    brand_colour = models.CharField(
        _("brand colour"), max_length=7, default="#1d6f42", validators=[colour_validator]
    )
    logo = models.ImageField(_("logo"), upload_to="branding/", blank=True)
    trial_ends_at = models.DateTimeField(_("trial ends"), null=True, blank=True)
    allowed_email_domains = ArrayField(
        models.CharField(max_length=100), default=list, blank=True,
        verbose_name=_("allowed e-mail domains"),
        help_text=_("People with an address at these domains may join internal campaigns."))
    # Set by an owner: every member needs a second factor (TOTP) to enter the space.
    require_two_factor = models.BooleanField(
        _("require two-factor authentication"), default=False,
        help_text=_("Members without an authenticator app are asked to set one up before "
                    "entering."))
    # The schema every new tenant is cloned from; registered here so migrate_schemas keeps
    # it current like any tenant. It has no domain, so no request ever reaches it.
    # Personal data of participants inactive this long is anonymised (a warning goes out
    # 30 days before); report files are deleted this long after they were made.
    participant_retention_months = models.PositiveSmallIntegerField(
        _("keep inactive participants' personal data for (months)"), default=24,
        validators=[MinValueValidator(6), MaxValueValidator(72)])
    report_retention_months = models.PositiveSmallIntegerField(
        _("keep report files for (months)"), default=36,
        validators=[MinValueValidator(1), MaxValueValidator(120)])
    # Closing the organisation: asked by an owner, cancellable until it is due; then the
    # schema and files are dropped and ``closed_at`` set (the row stays for billing).
    closure_requested_at = models.DateTimeField(null=True, blank=True)
    closure_requested_by = models.ForeignKey(
        "tenants.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    closure_due_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The legal basis the organisation chose for each purpose of its register
    # (tenants.services.register: purpose code -> basis code; missing ones take the default
    # of its kind).
    legal_bases = models.JSONField(default=dict, blank=True)
    is_template = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Self-service sign-ups start unverified: the owner proves the address by the signed link
    # e-mailed to it. Until then the space can be looked at but opens no campaign, sends no
    # invitation and bills nobody; never verified, it is dropped after
    # SIGNUP_UNVERIFIED_MAX_DAYS. Spaces made by staff are verified when made.
    owner_email_verified_at = models.DateTimeField(
        _("owner's e-mail verified"), null=True, blank=True)

    # Schemas are made by tenants.provisioning (clone of the template), never on save().
    auto_create_schema = False
    auto_drop_schema = False

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def primary_host(self) -> str:
        return f"{self.slug}.{settings.BASE_DOMAIN}"

    @property
    def mobilises_for_free(self) -> bool:
        """An association or a citizens' collective: the free plan, no trial."""
        return self.kind in FREE_PLAN_KINDS

    @property
    def is_verified(self) -> bool:
        return self.owner_email_verified_at is not None

    def absolute_url(self, path: str = "/") -> str:
        port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
        return f"{settings.SITE_SCHEME}://{self.primary_host}{port}{path}"


class Domain(DomainMixin):
    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"


class ConsultantAssignment(models.Model):
    """A Fullmobs consultant accompanying a client organisation."""

    consultant = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="assignments",
        limit_choices_to={"is_consultant": True},
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="consultant_assignments"
    )
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("consultant assignment")
        verbose_name_plural = _("consultant assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["consultant", "organisation"], name="consultant_assignment_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.consultant} → {self.organisation}"


class ConsultantAccess(models.Model):
    """Audit trail: one row each time a consultant enters a client's space (once per session)."""

    consultant = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    entered_at = models.DateTimeField(default=timezone.now, db_index=True)
    path = models.CharField(max_length=500)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("consultant access")
        verbose_name_plural = _("consultant accesses")
        ordering = ["-entered_at"]

    def __str__(self) -> str:
        return f"{self.consultant} → {self.organisation} at {self.entered_at:%Y-%m-%d %H:%M}"


class Invitation(models.Model):
    """An e-mailed link that makes its holder a member of an organisation.

    Only a hash of the token is stored: a database leak does not leak usable links.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.VIEWER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation}"

    @property
    def is_pending(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


class OrganisationUsage(models.Model):
    """Daily figures gathered inside each tenant's schema by a periodic task."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="usage")
    day = models.DateField()
    programmes = models.PositiveIntegerField(default=0)
    members = models.PositiveIntegerField(default=0)
    schema_name = models.CharField(max_length=63)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "day"], name="usage_one_row_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} on {self.day}"


class TemplateSchemaSnapshot(models.Model):
    """The DDL of the migrated template schema, captured once per migration state."""

    migration_state = models.CharField(max_length=64, unique=True)
    ddl = models.TextField()
    captured_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"template DDL {self.migration_state[:12]}"


class SpareSchema(models.Model):
    """A schema cloned from the template ahead of time, waiting for a sign-up
    (``tenants.spare_schemas``). It belongs to no organisation, so nothing that walks the
    organisations (migrations, periodic tasks, metrics, backups) sees it; its name starts
    with an underscore, which no address (slug) can produce. ``migration_state`` is the
    template's migration state it was cloned at: only a spare at the template's current
    state is ever taken, and ``migrate_organisations`` drops the others."""

    schema_name = models.CharField(max_length=63, unique=True)
    migration_state = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"spare schema {self.schema_name}"


class SchemaMigrationFailure(models.Model):
    """Why one schema's last migration attempt failed (``migrate_organisations``).

    The schema itself was rolled back whole (its pending migrations ran in one transaction),
    so its own ``django_migrations`` still says where it stands; this row says why it is not
    further, for ``--status``, until a run brings it up to date and deletes the row.
    """

    schema_name = models.CharField(max_length=63, unique=True)
    migration = models.CharField(max_length=255, blank=True)
    error = models.TextField()
    failed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.schema_name}: {self.migration or 'migration'} failed"


class UserSession(models.Model):
    """One logged-in browser session of a user, for the list of one's sessions.

    Written at login, its ``last_seen_at`` moved at most once a minute by
    ``tenants.sessions.SessionPolicyMiddleware``; the session itself stays in Django's
    session store, this row only describes it (device, address, host).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    host = models.CharField(max_length=255, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("login session")
        verbose_name_plural = _("login sessions")
        indexes = [models.Index(fields=["user", "-last_seen_at"])]

    def __str__(self) -> str:
        return f"{self.user} @ {self.host}"
