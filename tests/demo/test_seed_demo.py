"""`make run`'s demo data: made once, found again on the next start."""

import pytest
from django.core.management import call_command
from django_tenants.utils import tenant_context

from billing.entitlements import entitlements_for
from engagement.models import Campaign, Participant, Programme
from tenants.models import Organisation


@pytest.mark.django_db
def test_seed_demo_is_complete_and_idempotent(capsys, settings):
    settings.SITE_PORT = "8000"
    call_command("seed_demo")
    first = capsys.readouterr().out
    assert "http://acme.localhost:8000/              owner@acme.example / " in first
    assert "(methodology console)" in first
    call_command("seed_demo")
    assert "0 created" in capsys.readouterr().out
    acme = Organisation.objects.get(slug="acme")
    city = Organisation.objects.get(slug="villeneuve")
    assert entitlements_for(acme).allows("lever_analytics")
    assert entitlements_for(city).in_trial
    for organisation in (acme, city):
        with tenant_context(organisation):
            assert Programme.objects.filter(template_version__isnull=False).count() == 2
            assert set(Campaign.objects.values_list("status", flat=True)) == {
                "completed", "failed", "open", "draft"}
            assert Participant.objects.count() >= 200
            assert Participant.objects.filter(referred_by__referred_by__referred_by__isnull=False
                                              ).exists()
