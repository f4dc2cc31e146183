"""Text without personal data or secrets: e-mail addresses, tokens of signed links, reset
tokens, bearer credentials and secret query parameters replaced by ``[Filtered]``. Used by
the error reports (sentry.py), the access log (context.py) and Django's request lines
(``ScrubFilter``, on the console handler in every log format)."""

from __future__ import annotations

import logging
import re

FILTERED = "[Filtered]"

EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# Django's signed values ("payload:timestamp:signature", base64url parts), password reset
# tokens ("<ts36>-<hash>") and any long opaque run of URL-safe characters, as found in
# signed links' paths and query strings.
SIGNED = re.compile(r"[A-Za-z0-9_\-]{6,}(?::[A-Za-z0-9_\-]{4,}){1,2}")
RESET_TOKEN = re.compile(r"\b[0-9a-z]{1,13}-[0-9a-f]{20,}\b")
OPAQUE = re.compile(r"(?<![A-Za-z0-9_\-])[A-Za-z0-9_\-]{32,}(?![A-Za-z0-9_\-])")
# Query parameters and form fields holding a secret: "?token=...", "password=...".
SECRET_PARAMETER = re.compile(
    r"(?i)\b(token|key|sig|signature|code|password|secret|email|auth)=([^&\s;]+)")
BEARER = re.compile(r"(?i)\b(bearer|token|basic)\s+[A-Za-z0-9._~+/=-]+")


def scrub_text(text: str) -> str:
    text = EMAIL.sub(FILTERED, text)
    text = BEARER.sub(lambda m: f"{m.group(1)} {FILTERED}", text)
    text = SECRET_PARAMETER.sub(lambda m: f"{m.group(1)}={FILTERED}", text)
    text = RESET_TOKEN.sub(FILTERED, text)
    text = SIGNED.sub(FILTERED, text)
    return OPAQUE.sub(FILTERED, text)


class ScrubFilter(logging.Filter):
    """Django's own request lines ("Not Found: /p/<signed token>/", a suspicious host, the
    development server's access lines) quote the path, and paths hold signed links: their
    message is scrubbed before any handler writes it, in text and JSON alike; so is every
    logger's traceback."""

    LOGGERS = ("django.request", "django.server", "django.security")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith(self.LOGGERS):
            record.msg = scrub_text(record.getMessage())
            record.args = ()
        if record.exc_info and not record.exc_text:
            # Any logger's traceback: a database error quotes the row it refused
            # ("Key (lower(email))=(ana@…)"). Formatters print the cached text; the JSON
            # formatter scrubs its own (config/ops/logs.py).
            record.exc_text = scrub_text(_TRACEBACK.formatException(record.exc_info))
        return True


_TRACEBACK = logging.Formatter()
