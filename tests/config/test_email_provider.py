"""The e-mail provider is chosen from the environment, and a half-configured one refuses to
start (each case in a fresh process: settings are read once per process)."""

from __future__ import annotations

from .test_production import production_env, run

SHOW = ("import django; django.setup(); from django.conf import settings; "
        "print(settings.EMAIL_BACKEND, settings.EMAIL_CALENDAR_ALTERNATIVE, "
        "sorted(settings.ANYMAIL))")


def test_brevo_with_its_key_and_webhook_secret_sends_through_anymail():
    result = run(["-c", SHOW], production_env(
        EMAIL_BACKEND=None, EMAIL_PROVIDER="brevo", BREVO_API_KEY="xkeysib-test",
        EMAIL_WEBHOOK_SECRET="hooks:secret"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["anymail.backends.brevo.EmailBackend", "False",
                                     "['BREVO_API_KEY',", "'WEBHOOK_SECRET']"]


def test_a_provider_without_its_key_or_webhook_secret_refuses_to_start():
    missing_key = run(["-c", SHOW], production_env(
        EMAIL_PROVIDER="mailjet", MAILJET_API_KEY="k", EMAIL_WEBHOOK_SECRET="a:b"))
    assert missing_key.returncode != 0 and "MAILJET_SECRET_KEY" in missing_key.stderr
    missing_secret = run(["-c", SHOW], production_env(
        EMAIL_PROVIDER="brevo", BREVO_API_KEY="k"))
    assert missing_secret.returncode != 0 and "EMAIL_WEBHOOK_SECRET" in missing_secret.stderr
    unknown = run(["-c", SHOW], production_env(EMAIL_PROVIDER="carrier-pigeon"))
    assert unknown.returncode != 0 and "carrier-pigeon" in unknown.stderr


def test_without_a_provider_smtp_stays_and_carries_the_calendar_alternative():
    result = run(["-c", SHOW], production_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["django.core.mail.backends.smtp.EmailBackend", "True"]
