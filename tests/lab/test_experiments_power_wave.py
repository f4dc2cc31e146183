"""The power calculation plans the wave the campaign really allows, in the API as on the
set-up page: one look a day for the duration asked for, cut at the mobilisation deadline
for sign-ups (pledging closes there) or at the action's end for attendance, counted from
the first variant's send time; the audience is who the wave can reach now. Not a fixed
14 days."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from engagement.models import Team
from lab.experiments.design import power_preview, wave_days

from ..conftest import tenant_client
from ..factories import ParticipantFactory, make_campaign
from .test_experiments_pages import form_data

SETTINGS = {"wave": "invitation", "unit": "person", "arms": 2, "baseline": 0.2, "mde": 0.3,
            "alpha": 0.05, "power": 0.8, "icc": 0.0, "holdout_share": 0.05}


@pytest.fixture
def campaign(org_a, eager):
    with tenant_context(org_a):
        # Pledging closes in 5 days; the action is in 10 days and lasts 3 hours.
        campaign = make_campaign(capacity=500, target=50, deadline_in=timedelta(days=5),
                                 starts_in=timedelta(days=10), hours=3)
        team = Team.objects.create(name="Compta")
        for i in range(60):
            ParticipantFactory(team=team, consent_to_contact=True, email=f"w{i}@exp.example")
        yield campaign


def test_the_wave_gets_the_days_left_to_its_outcome_horizon(org_a, campaign):
    with tenant_context(org_a):
        now = timezone.now()
        assert wave_days(campaign=campaign, metric="pledged", days=14, now=now) == 5
        assert wave_days(campaign=campaign, metric="pledged", days=3, now=now) == 3
        # Attendance is known at the action: its end, 10 days and 3 hours away.
        assert wave_days(campaign=campaign, metric="attended", days=30, now=now) == 11
        # Sent two days from now: three days are left to pledge.
        assert wave_days(campaign=campaign, metric="pledged", days=14,
                         now=now + timedelta(days=2)) == 3
        # The deadline passed: one look, never zero.
        assert wave_days(campaign=campaign, metric="pledged", days=14,
                         now=now + timedelta(days=9)) == 1


def test_more_looks_need_more_people_and_the_preview_says_how_many(org_a, campaign):
    with tenant_context(org_a):
        one = power_preview(campaign=campaign, **SETTINGS, days=1)
        capped = power_preview(campaign=campaign, **SETTINGS, days=30)
        five = power_preview(campaign=campaign, **SETTINGS, days=5)
        eleven = power_preview(campaign=campaign, **SETTINGS, days=30, metric="attended")
    assert (one.days, one.cut) == (1, False)
    assert (capped.days, capped.days_chosen, capped.cut) == (5, 30, True)
    assert capped.plan.people_per_arm == five.plan.people_per_arm
    assert capped.plan.inflation > one.plan.inflation
    assert eleven.days == 11 and eleven.plan.inflation > capped.plan.inflation


def test_the_api_preview_uses_the_duration_and_the_campaigns_dates(org_a, manager_a,
                                                                    campaign):
    client = tenant_client(org_a, manager_a)
    payload = {"campaign": campaign.pk, "title": "API", "hypothesis": "H",
               "baseline_rate": "0.2", "minimum_effect": "0.3", "holdout_share": "0.05",
               "variants": [{"name": "A", "lever_code": "social_proof", "channel": "email"},
                            {"name": "B", "lever_code": "leader_example",
                             "channel": "manager"}]}

    def preview(**changes):
        response = client.post("/api/v1/experiments/power-preview/", payload | changes,
                               content_type="application/json")
        assert response.status_code == 200, response.content
        return response.json()

    with tenant_context(org_a):
        expected = {days: power_preview(campaign=campaign, **SETTINGS, days=days)
                    for days in (1, 5)}
        attended = power_preview(campaign=campaign, **SETTINGS, days=30, metric="attended")
    single = preview(days=1)
    assert single["days"] == 1 and single["days_chosen"] == 1
    assert single["people_per_arm"] == expected[1].plan.people_per_arm
    # Thirty days asked, five left to pledge: five looks, the people they need.
    cut = preview(days=30)
    assert cut["days"] == 5 and cut["days_chosen"] == 30
    assert cut["people_per_arm"] == expected[5].plan.people_per_arm
    assert cut["people_per_arm"] > single["people_per_arm"]
    assert cut["audience"] == 60
    # The default duration (14 days) is cut at the deadline too.
    assert preview()["days"] == 5
    later = preview(days=30, metric="attended")
    assert later["days"] == 11 and later["people_per_arm"] == attended.plan.people_per_arm


def _panel(html: str) -> str:
    start = html.index('id="power"')
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html[start:html.index("</section>",
                                                                           start)]))


def test_the_page_plans_the_same_wave_as_the_api(org_a, manager_a, campaign):
    client = tenant_client(org_a, manager_a)
    url = f"/experiments/new/{campaign.pk}/"
    with tenant_context(org_a):
        five = power_preview(campaign=campaign, **SETTINGS, days=5)
        one = power_preview(campaign=campaign, **SETTINGS, days=1)
    cut = _panel(client.post(url, form_data(days="30"), HTTP_HX_REQUEST="true")
                 .content.decode())
    assert "One reading a day for 5 days, cut short by the campaign's dates" in cut
    assert f"{five.plan.people_per_arm} people needed per variant" in cut
    short = _panel(client.post(url, form_data(days="1"), HTTP_HX_REQUEST="true")
                   .content.decode())
    assert "One reading a day for 1 day; the people needed" in short
    assert f"{one.plan.people_per_arm} people needed per variant" in short
    client.cookies["django_language"] = "fr"
    french = _panel(client.post(url, form_data(days="30"), HTTP_HX_REQUEST="true")
                    .content.decode()).replace("\xa0", " ")
    assert "Une lecture par jour pendant 5 jours, écourtée par les dates de la campagne" \
        in french
