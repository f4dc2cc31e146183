"""Operating the service: health and readiness, Prometheus metrics, JSON logs carrying the
request and the organisation, error reports to Sentry (docs/deployment.md, "Operating").

Every module here is wiring around the apps, so it lives in ``config`` (the top layer): the
metrics read the outbox and the reports of every organisation.
"""
