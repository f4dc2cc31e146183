"""Operating the service: probes, metrics, JSON logs, Sentry (config/ops/, docs/deployment.md).

Imported last by ``config.settings`` (after ``security``, whose middleware list it extends).
"""

from .base import LOGGING, PRODUCTION, env, env_bool
from .security import MIDDLEWARE as _SECURED_MIDDLEWARE

# "json" (one JSON object per line, with the request id, the task id and the organisation's
# schema) in production; "text" (Django's readable lines) in development.
LOG_FORMAT: str = env("LOG_FORMAT", "json" if PRODUCTION else "text").strip().lower()
# One line per request (method, route, status, duration) from the web processes, in place
# of gunicorn's access log, which cannot carry the schema.
ACCESS_LOG: bool = env_bool("ACCESS_LOG", default=LOG_FORMAT == "json")
if LOG_FORMAT == "json":
    LOGGING["filters"] = {**LOGGING["filters"],
                          "context": {"()": "config.ops.logs.ContextFilter"}}
    LOGGING["formatters"] = {"json": {"()": "config.ops.logs.JsonFormatter"}}
    LOGGING["handlers"]["console"].update({"formatter": "json",
                                           "filters": ["scrub", "context"]})
    # The worker logs through this configuration (config/celery.py, setup_logging).
    CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# /metrics answers a bearer of this token ("Authorization: Bearer <token>"); without one,
# only clients on the loopback interface (a sidecar, `curl` on the machine). The proxy in
# front refuses /metrics from outside in any case (deploy/Caddyfile).
METRICS_TOKEN: str = env("METRICS_TOKEN", "")
# Queues whose depth /metrics reports (the default queue when empty).
METRICS_CELERY_QUEUES: list[str] = [
    queue.strip() for queue in env("METRICS_CELERY_QUEUES", "").split(",") if queue.strip()]

# Outermost: the request id first (every later line carries it), then django-prometheus's
# timer, then the probes and the scrape, answered before the host, the organisation, the
# session or CSRF are looked at. The request counter's other half closes the list.
MIDDLEWARE = [
    "config.ops.context.RequestIdMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "config.ops.health.OperationsMiddleware",
    *_SECURED_MIDDLEWARE,
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

# Error reports, only when a DSN is given; personal data scrubbed (config/ops/sentry.py).
SENTRY_DSN: str = env("SENTRY_DSN", "")
if SENTRY_DSN:
    from config.ops.sentry import init_sentry

    init_sentry(SENTRY_DSN, environment=env("SENTRY_ENVIRONMENT",
                                            "production" if PRODUCTION else "development"),
                release=env("SENTRY_RELEASE") or None,
                traces_sample_rate=float(env("SENTRY_TRACES_SAMPLE_RATE", "0")))
