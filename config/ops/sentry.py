"""Error reports to Sentry, only when ``SENTRY_DSN`` is set, without personal data.

``send_default_pii`` is off (no cookies, no user's address or IP, no request body), and
``scrub_event`` goes through what is left — messages, exception values, request URL and
headers, breadcrumbs, local variables, tags — and replaces e-mail addresses, the values of
fields that name a person or hold a secret, and the tokens of signed links (participants'
links, invitations, password resets, unsubscribe links). Events carry the request id and
the organisation's schema as tags, to find the matching log lines.

The scrubbing is deliberately broad (a field called ``name`` is dropped even when it names a
task): an error report loses a detail rather than carry a person's data.
"""

from __future__ import annotations

from typing import Any, cast

from .scrub import FILTERED, scrub_text

# Keys whose values are dropped whatever they hold (compared in lower case, as substrings).
SENSITIVE_KEYS = ("password", "passwd", "secret", "token", "signature", "sig", "auth",
                  "cookie", "session", "csrf", "api_key", "apikey", "dsn", "email", "mail",
                  "name", "phone", "address", "first_name", "last_name", "body", "subject",
                  "ip_address", "remote_addr", "x-forwarded-for", "x-real-ip")
# Keys that contain a sensitive word but are plain technical facts.
HARMLESS_KEYS = {"logger", "filename", "abs_path", "module", "function", "type", "level",
                 "server_name", "schema", "task_name", "transaction", "platform",
                 "release", "environment", "request_id", "task_id", "category"}
# The SDK's description of itself, the runtime and the installed packages.
UNSCRUBBED_EVENT_KEYS = {"sdk", "modules", "contexts", "event_id", "timestamp", "platform",
                         "level", "release", "environment", "server_name"}


def _sensitive(key: str) -> bool:
    lowered = key.lower()
    return lowered not in HARMLESS_KEYS and any(word in lowered for word in SENSITIVE_KEYS)


def scrub(value: Any, key: str | None = None) -> Any:
    if key is not None and _sensitive(key):
        return FILTERED if value not in (None, "", [], {}) else value
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: scrub(v, k if isinstance(k, str) else None) for k, v in value.items()}
    if isinstance(value, list | tuple):
        # Headers come as [name, value] pairs.
        if len(value) == 2 and isinstance(value[0], str) and _sensitive(value[0]):
            return [value[0], FILTERED]
        return [scrub(item) for item in value]
    return value


def scrub_event(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """``before_send`` / ``before_send_transaction``: the event without personal data."""
    event.pop("user", None)
    request = event.get("request")
    if isinstance(request, dict):
        for dropped in ("cookies", "data", "env"):
            request.pop(dropped, None)
    scrubbed = {key: value if key in UNSCRUBBED_EVENT_KEYS else scrub(value, key)
                for key, value in event.items()}
    # After scrubbing (a request id is an opaque token too). before_send runs in the thread
    # that captured the event, so the context is the request's or the task's.
    from .context import current_schema_or_none, request_id_var, task_id_var

    tags = scrubbed.setdefault("tags", {})
    for name, value in (("request_id", request_id_var.get()), ("task_id", task_id_var.get()),
                        ("schema", current_schema_or_none())):
        if value:
            tags[name] = value
    return scrubbed


def scrub_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any] | None = None
                     ) -> dict[str, Any]:
    return scrub(crumb)


def init_sentry(dsn: str, *, environment: str, release: str | None,
                traces_sample_rate: float) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn, environment=environment, release=release,
        send_default_pii=False, max_request_body_size="never",
        # Frames' local variables would carry an uploaded list, its rows and a person's
        # fields: none are sent; long values are cut.
        include_local_variables=False, max_value_length=1024,
        traces_sample_rate=traces_sample_rate,
        # The SDK types its events as TypedDicts; the scrubber walks them as plain dicts.
        before_send=cast(Any, scrub_event), before_send_transaction=cast(Any, scrub_event),
        before_breadcrumb=cast(Any, scrub_breadcrumb),
        integrations=[DjangoIntegration(), CeleryIntegration()],
    )
