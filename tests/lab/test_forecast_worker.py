"""The beat's hourly forecast run on a real worker: queued from the public schema, it
recomputes each ready organisation's open campaigns in that organisation's schema, and
raises the at-risk alert of a campaign a week before its deadline, once."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from engagement.models import Campaign, OrganiserAlert, Pledge
from lab.forecasts.models import CampaignForecast
from lab.forecasts.tasks import refresh_forecasts_for_all_organisations
from tenants.models import Organisation

from ..conftest import wait_for
from ..engagement.test_tasks import smtp_port, worker  # noqa: F401 (fixtures)
from ..factories import ParticipantFactory, PledgeFactory, make_campaign


@pytest.fixture
def open_campaigns(committed):
    made = {}
    for slug in ("testco", "otherco"):
        organisation = Organisation.objects.get(slug=slug)
        with tenant_context(organisation):
            campaign = make_campaign(target=50, capacity=80, starts_in=timedelta(days=20),
                                     deadline_in=timedelta(days=6))
            now = timezone.now()
            Campaign.objects.filter(pk=campaign.pk).update(opened_at=now - timedelta(days=14))
            for hours in (2, 5, 30):
                when = now - timedelta(days=14) + timedelta(hours=hours)
                PledgeFactory(slot=campaign.slots.get(), participant=ParticipantFactory(),
                              status=Pledge.Status.CONFIRMED, created_at=when,
                              confirmed_at=when)
            made[slug] = (organisation, campaign)
    yield made
    for organisation, campaign in made.values():
        with tenant_context(organisation):
            programme = campaign.programme
            OrganiserAlert.objects.filter(campaign=campaign).delete()
            campaign.delete()
            programme.delete()


@pytest.mark.worker
def test_the_hourly_beat_forecasts_each_organisation_in_its_schema(
        open_campaigns, worker):  # noqa: F811
    queued = refresh_forecasts_for_all_organisations()
    assert queued == Organisation.objects.ready().count()

    def computed() -> bool:
        for organisation, campaign in open_campaigns.values():
            with tenant_context(organisation):
                if not CampaignForecast.objects.filter(campaign=campaign).exists() or \
                        not OrganiserAlert.objects.filter(campaign=campaign).exists():
                    return False
        return True
    assert wait_for(computed, 90), worker.read_text()
    for organisation, campaign in open_campaigns.values():
        with tenant_context(organisation):
            forecast = CampaignForecast.objects.get(campaign=campaign)
            assert forecast.count == 3 and forecast.target == 50
            assert forecast.at_risk and forecast.probability < 0.5
            assert list(OrganiserAlert.objects.filter(campaign=campaign)
                        .values_list("kind", flat=True)) == ["at_risk_d7"]
