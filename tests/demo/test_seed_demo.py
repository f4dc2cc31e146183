"""`make run`'s demo data: made once, found again on the next start."""

import pytest
from django.core.management import call_command
from django.db.models import Count
from django_tenants.utils import tenant_context

from billing.entitlements import entitlements_for
from billing.models import ConsultantTime
from engagement.models import (
    Campaign,
    EmailDeliverability,
    Participant,
    Programme,
    Slot,
    Team,
    TeamChallenge,
)
from engagement.standings import challenge_standings
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
            # The newer features have something to show.
            assert EmailDeliverability.objects.filter(reason="hard_bounce").exclude(
                undeliverable_since=None).exists()
            assert Slot.objects.exclude(skill=None).exists()
            challenge = TeamChallenge.objects.get()
            assert Team.objects.filter(participants__isnull=False).annotate(
                n=Count("participants")).filter(n__gte=5).count() >= 5
            assert len([row for row in challenge_standings(challenge).rows if row.people]) >= 5
    with tenant_context(acme):
        assert Campaign.objects.filter(visibility="internal", status="open").exists()
    assert acme.allowed_email_domains == ["acme.example"]
    assert ConsultantTime.objects.filter(organisation=acme).count() == 2
