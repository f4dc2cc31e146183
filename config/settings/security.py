"""Transport, headers and the refusals that keep a production process from starting unsafe.

Imported last by ``config.settings``: it reads what the other modules decided (the secret,
the database, the mail backend) and refuses, in production, what only suits a laptop.
``manage.py check --deploy`` with ``DJANGO_ENV=production`` reports nothing
(tests/config/test_production.py runs it).
"""

import os

from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from .base import (
    BASE_DOMAIN,
    DEBUG,
    MIDDLEWARE,
    PRODUCTION,
    PROFILE_ADDRESS_KEY,
    SECRET_KEY,
)
from .email import EMAIL_BACKEND

DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105
# Backends that deliver nothing to anyone: a production process using one would lose every
# invitation, confirmation and password reset without a sign.
UNDELIVERING_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
}


def _refuse_unsafe_production() -> None:
    # Django's own rule for a strong key (security.W009), so that check --deploy agrees.
    if (SECRET_KEY == DEVELOPMENT_SECRET_KEY or SECRET_KEY.startswith("django-insecure-")
            or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is the development key or a weak one: in production set at least "
            "50 random characters (python -c 'import secrets; print(secrets.token_urlsafe(50))').")
    # The key of the Fullmobs profile's hashed addresses: set on its own (derived from
    # DJANGO_SECRET_KEY otherwise, a rotation of which would unlink every profile, and
    # one secret's leak would expose both), strong, and never changed once links exist.
    profile_key = os.environ.get("PROFILE_ADDRESS_KEY", "")
    if (not profile_key or profile_key != PROFILE_ADDRESS_KEY or profile_key == SECRET_KEY
            or len(profile_key) < 50 or len(set(profile_key)) < 5):
        raise ImproperlyConfigured(
            "PROFILE_ADDRESS_KEY is unset, weak or equal to DJANGO_SECRET_KEY: in production "
            "set it once to at least 50 random characters of its own and never change it "
            "(docs/deployment.md).")
    if not os.environ.get("DATABASE_URL"):
        raise ImproperlyConfigured(
            "DATABASE_URL must name the PostgreSQL server in production; the embedded database "
            "is for development only.")
    if EMAIL_BACKEND in UNDELIVERING_EMAIL_BACKENDS:
        raise ImproperlyConfigured(
            f"EMAIL_BACKEND is {EMAIL_BACKEND}, which sends no e-mail: in production set "
            "EMAIL_PROVIDER and its key (docs/deployment.md), or EMAIL_BACKEND "
            "(SMTP: django.core.mail.backends.smtp.EmailBackend) and EMAIL_HOST.")
    if DEBUG:
        raise ImproperlyConfigured("DJANGO_DEBUG must be off in production.")


if PRODUCTION:
    _refuse_unsafe_production()
    # Every page is HTTPS. The proxy in front terminates TLS and says so in this header; it
    # MUST overwrite any X-Forwarded-Proto a client sends, otherwise a client could make a
    # plain-HTTP request look secure. Set SECURE_PROXY_SSL_HEADER="" when the process is
    # reached directly over TLS (no proxy).
    _proxy_header = os.environ.get("SECURE_PROXY_SSL_HEADER", "HTTP_X_FORWARDED_PROTO")
    SECURE_PROXY_SSL_HEADER = (_proxy_header, "https") if _proxy_header else None
    SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "true").lower() != "false"
    # Nothing is exempt from the redirect: the Stripe webhook is only ever configured with an
    # https URL (a redirected POST would fail loudly at Stripe, not silently), and load
    # balancers probe /accounts/login/ through the proxy. Paths listed here (regexes without
    # the leading slash) answer plain HTTP.
    SECURE_REDIRECT_EXEMPT = [p for p in os.environ.get("SECURE_REDIRECT_EXEMPT", "").split(",")
                              if p.strip()]
    # Every organisation is a sub-domain of BASE_DOMAIN: HSTS covers them all.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = os.environ.get("SECURE_HSTS_PRELOAD", "true").lower() != "false"
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Content-Security-Policy, in development too, so that the browser tests see what production
# refuses. No inline script anywhere (scripts are static files loaded with defer); the one
# inline <style> (an organisation's brand colour) carries the request's nonce; htmx's own
# indicator <style> is switched off in base.html. Pico's form icons are data: SVGs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        # The directory's page adds its map's tile server, when one is configured
        # (directory.views.actions).
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        # Forms post to this host; their redirects may go to another host of the project
        # (hand-offs between spaces) or to Stripe's checkout and portal.
        "form-action": [SELF, f"https://{BASE_DOMAIN}", f"https://*.{BASE_DOMAIN}",
                        "https://checkout.stripe.com", "https://billing.stripe.com"]
        if PRODUCTION else [SELF, "http:", "https:"],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}
# After SecurityMiddleware and WhiteNoise (static files need no policy), before anything
# that renders a page.
MIDDLEWARE = [*MIDDLEWARE]
MIDDLEWARE.insert(MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1,
                  "csp.middleware.CSPMiddleware")
