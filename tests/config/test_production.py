"""Production settings: Django's deployment checklist passes, and unsafe set-ups refuse to start.

Each case starts a fresh Python process, since settings are read once per process.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

STRONG_SECRET = "k3J9-vQx7_Lm2pZr8TnW4yHs6DcF1gBa5eUo0iRt-XwYqPzN3jMv"  # noqa: S105
STRONG_PROFILE_KEY = "pR4w-Zt8_Nc1qLx6VbM3yKs9HdG2fJa7eWo5iUt-XmYqPzN0jQv"  # noqa: S105


def production_env(**overrides: str | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "EMAIL_", "SECURE_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": STRONG_SECRET,
        "PROFILE_ADDRESS_KEY": STRONG_PROFILE_KEY,
        "DATABASE_URL": os.environ.get("DATABASE_URL")
        or "postgres://fullmobs@db.internal:5432/fullmobs",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "BASE_DOMAIN": "fullmobs.example",
    })
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def load_settings(env: dict[str, str]) -> subprocess.CompletedProcess:
    return run(["-c", "import django; django.setup(); from django.conf import settings; "
                      "print(settings.SECURE_SSL_REDIRECT, settings.SECURE_PROXY_SSL_HEADER)"],
               env)


def test_check_deploy_reports_nothing_in_production():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "DEBUG"], production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout, result.stdout


def test_production_redirects_to_https_behind_the_proxy_header():
    result = load_settings(production_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "('HTTP_X_FORWARDED_PROTO',", "'https')"]


@pytest.mark.parametrize("secret", [None, "dev-only-insecure-key-never-use-in-production",
                                    "django-insecure-" + "x1y2z3" * 10, "short-but-set"])
def test_production_refuses_a_missing_development_or_weak_secret(secret):
    result = load_settings(production_env(DJANGO_SECRET_KEY=secret))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("key", [None, "", "short-but-set", STRONG_SECRET, "ab" * 30])
def test_production_refuses_a_missing_weak_or_shared_profile_address_key(key):
    result = load_settings(production_env(PROFILE_ADDRESS_KEY=key))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "PROFILE_ADDRESS_KEY" in result.stderr


def test_production_refuses_the_embedded_database():
    result = load_settings(production_env(DATABASE_URL=None))
    assert result.returncode != 0
    assert "ImproperlyConfigured: DATABASE_URL must name the PostgreSQL server" in result.stderr


@pytest.mark.parametrize("backend", [None, "django.core.mail.backends.console.EmailBackend",
                                     "django.core.mail.backends.locmem.EmailBackend"])
def test_production_refuses_an_e_mail_backend_that_delivers_nothing(backend):
    result = load_settings(production_env(EMAIL_BACKEND=backend))
    assert result.returncode != 0
    assert "ImproperlyConfigured: EMAIL_BACKEND is django.core.mail.backends." in result.stderr


def test_production_refuses_debug():
    result = load_settings(production_env(DJANGO_DEBUG="true"))
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be off in production" in result.stderr


def test_development_starts_with_its_defaults():
    env = production_env(DJANGO_ENV=None, DJANGO_SECRET_KEY=None, EMAIL_BACKEND=None)
    result = load_settings(env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "False"


def test_a_lower_case_log_level_starts_django_as_it_starts_gunicorn():
    # config/gunicorn.py lowercases LOG_LEVEL; Django's logging wants it upper case: the
    # same variable, written either way, must start both (found by bench/load.py).
    result = load_settings(production_env(LOG_LEVEL="warning"))
    assert result.returncode == 0, result.stderr
    assert run(["-c", "import django, logging; django.setup(); "
                      "print(logging.getLogger().level)"],
               production_env(LOG_LEVEL="warning")).stdout.strip() == str(30)


def test_static_root_from_the_environment(tmp_path):
    # The image collects into the default; a run elsewhere (bench/load.py) into its own.
    code = "import django; django.setup(); from django.conf import settings; " \
           "print(settings.STATIC_ROOT)"
    assert run(["-c", code], production_env(STATIC_ROOT=str(tmp_path))
               ).stdout.strip() == str(tmp_path)
    assert run(["-c", code], production_env(STATIC_ROOT=None)
               ).stdout.strip() == str(ROOT / "staticfiles")


@pytest.mark.django_db
def test_every_page_carries_a_policy_without_inline_scripts(org_a, owner_a):
    from tests.conftest import public_client, tenant_client

    for client, path in ((public_client(), "/"), (tenant_client(org_a, owner_a), "/")):
        response = client.get(path)
        policy = response["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        assert directives["script-src"] == "'self'"
        assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
        assert directives["frame-ancestors"] == "'none'"
        html = response.content.decode()
        assert "<script>" not in html and " onclick=" not in html
