"""The production web command (``python -m config.prod web``: ``make serve``, the image's
CMD, compose's web) started with the production settings on loopback: probes, metrics summed
over gunicorn's workers, JSON access lines with the request id and the schema; a broker that
does not answer makes it unready."""

from __future__ import annotations

import json
import subprocess

import pytest
import requests
from django.conf import settings

from tenants.models import Organisation

from ..conftest import PYTHON, ROOT, child_env, free_port, running, wait_for
from .test_health import metric

STRONG_SECRET = "k3J9-vQx7_Lm2pZr8TnW4yHs6DcF1gBa5eUo0iRt-XwYqPzN3jMv"  # noqa: S105


def production_env(port: int, folder, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in child_env().items()
           if not key.startswith(("DJANGO_", "EMAIL_", "SECURE_", "LOG_", "SENTRY_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_ENV": "production",
                "DJANGO_SECRET_KEY": STRONG_SECRET,
                "PROFILE_ADDRESS_KEY": "pR4w-Zt8_Nc1qLx6VbM3yKs9HdG2fJa7eWo5iUt-XmYqPzN0jQv",
                "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "BIND": f"127.0.0.1:{port}", "PORT": str(port), "WEB_CONCURRENCY": "2",
                "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"), **extra})
    return env


def serving(port: int, env: dict[str, str], log):
    return running([PYTHON, "-m", "config.prod", "web"], env, log)


def up(base: str):
    def answered():
        try:  # gunicorn listens before its workers have loaded Django
            return requests.get(f"{base}/health/live", timeout=10).status_code == 200
        except requests.RequestException:
            return False
    return answered


def test_the_production_web_command_serves_probes_metrics_and_json_logs(committed, tmp_path):
    organisation = Organisation.objects.get(slug="testco")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "web.log"
    with serving(port, production_env(port, tmp_path), log) as process:
        assert wait_for(up(base), 120) and process.poll() is None, log.read_text()

        ready = requests.get(f"{base}/health/ready", timeout=10)
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"database": "ok", "cache": "ok", "broker": "ok"}
        # The container's health check (Dockerfile HEALTHCHECK, compose.yaml).
        probe = subprocess.run([PYTHON, "-m", "config.prod", "probe", "--port", str(port)],
                               cwd=ROOT, capture_output=True, text=True, timeout=30)
        assert probe.returncode == 0, probe.stderr

        # An organisation's host, through the proxy (TLS ended there): the API refuses an
        # anonymous reader, and the line about it says which request and which organisation.
        host = f"{organisation.slug}.{settings.BASE_DOMAIN}"
        answer = requests.get(f"{base}/api/v1/me/", timeout=10, allow_redirects=False,
                              headers={"Host": host, "X-Forwarded-Proto": "https",
                                       "X-Request-ID": "proxy-id-0123456789"})
        assert answer.status_code in (401, 403), answer.text
        assert answer.headers["X-Request-ID"] == "proxy-id-0123456789"
        for _ in range(6):  # spread over both workers
            requests.get(f"{base}/health/live", timeout=5)

        metrics = requests.get(f"{base}/metrics", timeout=10)
        assert metrics.status_code == 200
        # Summed over the gunicorn workers (multiprocess mode): every request counted once,
        # the probes included (django-prometheus's outer timer sees them).
        served = metric(metrics.text,
                        "django_http_requests_latency_including_middlewares_seconds_count")
        assert served is not None and served >= 9, metrics.text[:2000]
        assert metric(metrics.text, "django_http_requests_total_by_method_total",
                      method="GET") >= 1  # the API request, which went through the views
        assert metric(metrics.text, "fullmobs_outbox_queued_emails") is not None
        refused = requests.get(f"{base}/metrics", timeout=10, headers={"Host": host})
        assert refused.status_code == 200  # loopback: the proxy refuses /metrics from outside

        def access_line():
            for text in log.read_text().splitlines():
                if text.startswith("{"):
                    line = json.loads(text)
                    if line.get("request_id") == "proxy-id-0123456789" \
                            and line["logger"] == "fullmobs.access":
                        return line
            return None

        line = wait_for(access_line, 10)
        assert line, log.read_text()[-3000:]
        assert line["schema"] == organisation.schema_name
        assert line["route"] == "/api/v1/me/" and line["status"] == answer.status_code


def test_the_web_is_unready_naming_the_broker_when_it_does_not_answer(committed, tmp_path):
    port, closed = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    env = production_env(port, tmp_path, CELERY_BROKER_URL=f"redis://127.0.0.1:{closed}/0",
                         WEB_CONCURRENCY="1")
    log = tmp_path / "web.log"
    with serving(port, env, log) as process:
        assert wait_for(up(base), 120) and process.poll() is None, log.read_text()
        ready = requests.get(f"{base}/health/ready", timeout=30)
        assert ready.status_code == 503, ready.text
        assert ready.json()["failed"] == ["broker"]
        # Alive all the same: restarting the web would not bring the broker back.
        assert requests.get(f"{base}/health/live", timeout=5).status_code == 200
        probe = subprocess.run([PYTHON, "-m", "config.prod", "probe", "--port", str(port),
                                "--path", "/health/ready"],
                               cwd=ROOT, capture_output=True, text=True, timeout=30)
        assert probe.returncode == 1


pytestmark = pytest.mark.worker  # child processes: run with the worker tests
