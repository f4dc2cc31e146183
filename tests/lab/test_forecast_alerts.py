"""At-risk alerts: a week and three days before the deadline (the organisation's days),
a campaign its forecast says will probably miss its target is told to its organisers once
each, in their language, with the levers of the plan not used yet, by name and with a link
to invite with each; the campaign page shows the same notice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.roles import Role
from engagement.models import Campaign, Invitation, OrganiserAlert, OutboundEmail, ProgrammeLever
from lab.forecasts.alerts import at_risk_alerts_raise, at_risk_kind
from lab.forecasts.models import CampaignForecast

from ..conftest import make_member, tenant_client
from ..factories import make_campaign


def forecast(campaign: Campaign, *, probability: float) -> CampaignForecast:
    return CampaignForecast.objects.create(
        campaign=campaign, probability=probability, expected=12, low=8, high=17,
        baseline_share=0.2, linear=14, references=9, at_risk=probability < 0.5,
        method="reference-class", elapsed=0.7, count=8, target=40, curve=[0, 4, 8])


def with_levers(campaign: Campaign, organiser) -> None:
    for position, (code, fr, en) in enumerate([
            ("social_proof", "Preuve sociale", "Social proof"),
            ("personal_invitation", "Invitation personnelle", "Personal invitation"),
            ("leader_example", "Exemple du dirigeant", "Leader's example")]):
        ProgrammeLever.objects.create(programme=campaign.programme, code=code,
                                      position=position, name_fr=fr, name_en=en)
    # Social proof is used already: an organiser's invitation with it was recorded.
    Invitation.objects.create(campaign=campaign, channel="poster", lever_code="social_proof",
                              audience_label="Hall", organiser_id=organiser.pk)


@pytest.mark.django_db
def test_at_risk_is_told_once_at_d7_and_once_at_d3_with_the_unused_levers(
        org_a, owner_a):
    owner_a.preferred_language = "en"
    owner_a.save(update_fields=["preferred_language"])
    manager = make_member(org_a, Role.MANAGER, "gestion@testco.test")
    manager.preferred_language = "fr"
    manager.save(update_fields=["preferred_language"])
    make_member(org_a, Role.VIEWER, "viewer@testco.test")
    with tenant_context(org_a):
        campaign = make_campaign(target=40, capacity=60, starts_in=timedelta(days=20),
                                 deadline_in=timedelta(days=6, hours=12))
        with_levers(campaign, owner_a)
        safe = make_campaign(target=5, starts_in=timedelta(days=20),
                             deadline_in=timedelta(days=6, hours=12))
        forecast(campaign, probability=0.18)
        forecast(safe, probability=0.9)
        assert at_risk_alerts_raise() == 1
        assert at_risk_alerts_raise() == 0  # once
        alert = OrganiserAlert.objects.get()
        assert (alert.campaign, alert.kind) == (campaign, "at_risk_d7")
        emails = {e.to_email: e for e in OutboundEmail.objects.filter(kind="organiser_alert")}
        assert set(emails) == {owner_a.email, "gestion@testco.test"}
        english, french = emails[owner_a.email], emails["gestion@testco.test"]
        assert english.subject == f"At risk of missing its target: {campaign.title}"
        assert "the forecast gives it a 18% chance" in english.body
        assert "- Personal invitation: " in english.body
        assert "- Leader's example: " in english.body
        assert "Social proof" not in english.body and "social_proof" not in english.body
        assert (f"- Personal invitation: http://testco.localhost:8000/campaigns/{campaign.pk}"
                f"/invite-many/?lever=personal_invitation") in english.body, english.body
        assert french.subject == f"Objectif menacé : « {campaign.title} »"
        assert "la prévision lui donne une chance de 18\u00a0% de l’atteindre" in french.body
        assert "- Invitation personnelle: http" in french.body
        # Three days before: the second alert, once.
        later = timezone.now() + timedelta(days=4)
        assert at_risk_kind(campaign, later) == OrganiserAlert.Kind.AT_RISK_D3
        assert at_risk_alerts_raise(now=later) == 1
        assert at_risk_alerts_raise(now=later) == 0
        assert at_risk_kind(campaign, timezone.now() - timedelta(days=2)) is None


@pytest.mark.django_db
def test_campaign_page_shows_the_at_risk_notice_with_levers_by_name(org_a, owner_a):
    with tenant_context(org_a):
        campaign = make_campaign(target=40, capacity=60, starts_in=timedelta(days=20),
                                 deadline_in=timedelta(days=6))
        with_levers(campaign, owner_a)
        forecast(campaign, probability=0.18)
    owner_a.preferred_language = "en"
    owner_a.save(update_fields=["preferred_language"])
    page = tenant_client(org_a, owner_a).get(f"/campaigns/{campaign.pk}/",
                                             HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "This campaign is at risk of missing its target." in text
    assert "Personal invitation" in text and "Invite people with this lever" in text
    assert "?lever=leader_example" in text
    assert ">Social proof<" not in text.split('id="forecast"')[1].split("</section>")[0]
    assert "expected 12 people (80% interval: 8 to 17)" in text
    assert "From 9 similar campaigns." in text
