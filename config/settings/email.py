import os
import secrets

from django.core.exceptions import ImproperlyConfigured

# A provider's HTTP API through django-anymail (docs/deployment.md, E-mail), one of those
# that need no other library: EMAIL_PROVIDER names it and its keys come from the
# environment; without it, EMAIL_BACKEND (SMTP, or the console in development) as before.
EMAIL_PROVIDERS = {
    # provider: (anymail backend module, {ANYMAIL setting: environment variable})
    "brevo": ("brevo", {"BREVO_API_KEY": "BREVO_API_KEY"}),
    "mailjet": ("mailjet", {"MAILJET_API_KEY": "MAILJET_API_KEY",
                            "MAILJET_SECRET_KEY": "MAILJET_SECRET_KEY"}),
    "postmark": ("postmark", {"POSTMARK_SERVER_TOKEN": "POSTMARK_SERVER_TOKEN"}),
    "mailgun": ("mailgun", {"MAILGUN_API_KEY": "MAILGUN_API_KEY",
                            "MAILGUN_SENDER_DOMAIN": "MAILGUN_SENDER_DOMAIN",
                            "MAILGUN_WEBHOOK_SIGNING_KEY": "MAILGUN_WEBHOOK_SIGNING_KEY"}),
}
EMAIL_PROVIDER = os.environ.get("EMAIL_PROVIDER", "").strip().lower()
ANYMAIL: dict[str, object] = {
    # The tracking webhooks (/anymail/<provider>/tracking/ on the public host) demand this
    # user:password (HTTP basic auth, given in the webhook's URL at the provider). Unset,
    # a random one: nobody can post events until it is configured.
    "WEBHOOK_SECRET": os.environ.get("EMAIL_WEBHOOK_SECRET") or secrets.token_urlsafe(24),
}
if EMAIL_PROVIDER:
    if EMAIL_PROVIDER not in EMAIL_PROVIDERS:
        raise ImproperlyConfigured(
            f"EMAIL_PROVIDER={EMAIL_PROVIDER!r} is not one of {', '.join(EMAIL_PROVIDERS)}.")
    _module, _keys = EMAIL_PROVIDERS[EMAIL_PROVIDER]
    _missing = [variable for variable in _keys.values() if not os.environ.get(variable)]
    if _missing:
        raise ImproperlyConfigured(
            f"EMAIL_PROVIDER={EMAIL_PROVIDER} needs {', '.join(_missing)} in the environment.")
    if not os.environ.get("EMAIL_WEBHOOK_SECRET"):
        raise ImproperlyConfigured(
            "EMAIL_PROVIDER is set: set EMAIL_WEBHOOK_SECRET (user:password) too, and give it "
            "in the tracking webhook's URL at the provider, so that bounces are recorded.")
    ANYMAIL |= {name: os.environ[variable] for name, variable in _keys.items()}
    EMAIL_BACKEND = f"anymail.backends.{_module}.EmailBackend"
else:
    EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND",
                                   "django.core.mail.backends.console.EmailBackend")
# A calendar invitation travels as a text/calendar alternative beside the text and HTML
# (and as an invite.ics attachment). Providers' HTTP APIs take no third alternative: through
# them the attachment alone goes.
EMAIL_CALENDAR_ALTERNATIVE = not EMAIL_PROVIDER
# Temporary failures (mailbox full...) reported in a row before an address is taken as
# undeliverable; hard bounces and complaints mark it at once.
EMAIL_SOFT_BOUNCE_LIMIT = int(os.environ.get("EMAIL_SOFT_BOUNCE_LIMIT", "5"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "").lower() in {"1", "true", "yes"}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Fullmobs <no-reply@fullmobs.example>")
# A mail server that hangs must not hold a worker (and the outbox row it locks) forever.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
# The outbox's first retry delay (doubling at each failure, capped at an hour); tests of a
# failing mail server shorten it to watch whole retry chains in seconds.
OUTBOX_RETRY_BASE_SECONDS = float(os.environ.get("OUTBOX_RETRY_BASE_SECONDS", "60"))
