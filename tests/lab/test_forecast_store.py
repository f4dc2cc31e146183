"""The stored forecasts: trajectories rebuilt from pledges (the progress bar's people),
reference trajectories written anonymously when a campaign is decided, one forecast row
per open campaign replaced on each computation, read by the page and the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django_tenants.utils import tenant_context

from engagement.models import Campaign, Pledge
from engagement.services import campaign_close
from engagement.services.campaigns import mobilised_count
from lab.forecast import GRID
from lab.forecasts.models import CampaignForecast
from lab.forecasts.references import (
    campaign_key,
    organisation_key,
    reference_record,
    references_backfill,
    references_for,
    references_of_departed_delete,
)
from lab.forecasts.services import campaign_forecast_store, forecasts_refresh
from lab.forecasts.trajectories import campaign_trajectories
from methodology.models import ReferenceTrajectory, Template
from methodology.selectors import latest_published
from methodology.services import library_load
from tenants.models import Organisation

from ..conftest import tenant_client
from ..factories import (
    ParticipantFactory,
    PledgeFactory,
    ProgrammeFactory,
    SlotFactory,
    make_campaign,
)


def opened(campaign: Campaign, *, days_ago: float, days_left: float) -> Campaign:
    """Move the campaign's window: opened ``days_ago``, deadline in ``days_left``."""
    now = timezone.now()
    Campaign.objects.filter(pk=campaign.pk).update(
        opened_at=now - timedelta(days=days_ago),
        mobilisation_deadline=now + timedelta(days=days_left))
    campaign.refresh_from_db()
    return campaign


def pledge_at(campaign: Campaign, when, *, companions: int = 0, participant=None,
              cancelled=None, status=Pledge.Status.CONFIRMED, slot=None) -> Pledge:
    return PledgeFactory(slot=slot or campaign.slots.first(), participant=participant or
                         ParticipantFactory(), companions=companions, status=status,
                         created_at=when,
                         confirmed_at=when if status != Pledge.Status.WAITLISTED else None,
                         cancelled_at=cancelled)


@pytest.mark.django_db
def test_trajectory_counts_people_as_the_progress_bar_at_each_instant(org_a):
    with tenant_context(org_a):
        campaign = opened(make_campaign(target=10, capacity=50, starts_in=timedelta(days=30),
                                        deadline_in=timedelta(days=20)),
                          days_ago=10, days_left=10)
        start = campaign.opened_at
        day = timedelta(days=1)
        # Instant k is start + k days (a 20-day window, 21 instants).
        pledge_at(campaign, start + 0.5 * day, companions=2)  # 3 people from instant 1
        ana = ParticipantFactory()
        pledge_at(campaign, start + 1.5 * day, participant=ana)  # ana alone from 2 ...
        other_slot = SlotFactory(campaign=campaign, capacity=20)
        pledge_at(campaign, start + 3.5 * day, participant=ana, companions=1,
                  slot=other_slot)  # ... with one more from 4 (her largest party counts)
        pledge_at(campaign, start + 2.5 * day, cancelled=start + 5.5 * day,
                  status=Pledge.Status.CANCELLED)  # 1 person from 3 to 5
        pledge_at(campaign, start + 1.5 * day, status=Pledge.Status.WAITLISTED)  # never
        curve = campaign_trajectories([campaign.pk])[campaign.pk]
        assert len(curve) == len(GRID)
        assert curve[:8] == [0, 3, 4, 5, 6, 6, 5, 5]
        assert curve[-1] == mobilised_count(campaign) == 5


@pytest.mark.django_db
def test_a_decided_campaign_becomes_an_anonymous_reference_once(
        org_a, eager, django_capture_on_commit_callbacks):
    with tenant_context(org_a):
        campaign = opened(make_campaign(target=3, capacity=20), days_ago=10, days_left=1)
        for hours in (1, 30, 200):
            pledge_at(campaign, campaign.opened_at + timedelta(hours=hours))
        Campaign.objects.filter(pk=campaign.pk).update(
            mobilisation_deadline=timezone.now() - timedelta(minutes=1))
        with django_capture_on_commit_callbacks(execute=True):
            campaign_close(campaign=campaign)
        row = ReferenceTrajectory.objects.get(campaign_key=campaign_key(campaign.pk))
        assert (row.final, row.target, row.organisation_kind) == (3, 3, org_a.kind)
        assert row.curve[0] == 0 and row.curve[-1] == 3 and len(row.curve) == 21
        assert row.organisation_key == organisation_key() != org_a.schema_name
        assert len(row.campaign_key) == 64 and org_a.schema_name not in row.campaign_key
        assert row.campaign_key != campaign_key(campaign.pk, schema=org_a.schema_name + "x")
        # Again, by the task or the nightly backfill: the same single row.
        assert reference_record(campaign_id=campaign.pk) is True
        assert references_backfill() == 0
        assert ReferenceTrajectory.objects.filter(
            organisation_key=organisation_key()).count() == 1


@pytest.mark.django_db
def test_references_weigh_own_and_same_template_campaigns_more(org_a):
    with tenant_context(org_a):
        campaign = opened(make_campaign(target=10), days_ago=2, days_left=5)
        curve = [float(min(k, 10)) for k in range(21)]
        common = {"organisation_kind": org_a.kind, "size_band": "small", "curve": curve,
                  "final": 10, "target": 10, "finished_month": "2026-01-01"}
        ReferenceTrajectory.objects.create(campaign_key="own", organisation_key=organisation_key(),
                                           **common)
        ReferenceTrajectory.objects.create(campaign_key="other", organisation_key="x" * 64,
                                           **common)
        ReferenceTrajectory.objects.create(
            campaign_key=campaign_key(campaign.pk), organisation_key=organisation_key(),
            **common)  # the campaign itself (a row left from a reopening) is not compared
        # Own campaign (other template) 30 %, another organisation's 20 %: shares of the
        # two tiers present, the total kept at the number of references.
        weights = sorted(reference.weight for reference in references_for(campaign))
        assert weights == pytest.approx([0.8, 1.2])


@pytest.mark.django_db
def test_close_references_keep_their_share_among_thousands_of_others(org_a):
    library_load()
    version = latest_published(Template.objects.get(slug="beach-clean-up"))
    with tenant_context(org_a):
        campaign = opened(make_campaign(target=10, programme=ProgrammeFactory(
            template_version=version)), days_ago=2, days_left=5)
        common = {"size_band": "small", "curve": [float(min(k, 10)) for k in range(21)],
                  "final": 10, "target": 10, "finished_month": "2026-01-01"}
        rows = [ReferenceTrajectory(campaign_key="same-template", organisation_key="y" * 64,
                                    template_id=version.template_id,
                                    organisation_kind=org_a.kind, **common),
                ReferenceTrajectory(campaign_key="own", organisation_key=organisation_key(),
                                    organisation_kind=org_a.kind, **common)]
        rows += [ReferenceTrajectory(campaign_key=f"other-{i}", organisation_key="x" * 64,
                                     organisation_kind="association" if i % 2 else org_a.kind,
                                     **common) for i in range(2000)]
        ReferenceTrajectory.objects.bulk_create(rows)
        weights = [reference.weight for reference in references_for(campaign)]
        total = sum(weights)
        assert len(weights) == 2002 and total == pytest.approx(2002)
        assert weights[0] / total == pytest.approx(0.5)  # the same template
        assert weights[1] / total == pytest.approx(0.3)  # the organisation's own
        assert sum(weights[2:]) / total == pytest.approx(0.2)
        # Inside the tier, another kind of organisation counts half.
        assert weights[2] == pytest.approx(2 * weights[3])


@pytest.mark.django_db
def test_the_nightly_backfill_deletes_the_rows_of_organisations_no_longer_ready(org_a, org_b):
    common = {"organisation_kind": "company", "size_band": "small", "curve": [1.0] * 21,
              "final": 1, "target": 1, "finished_month": "2026-01-01"}
    for key, schema in (("a", org_a.schema_name), ("b", org_b.schema_name),
                        ("gone", "closed_long_ago")):
        ReferenceTrajectory.objects.create(campaign_key=key,
                                           organisation_key=organisation_key(schema), **common)
    Organisation.objects.filter(pk=org_b.pk).update(status=Organisation.Status.CLOSED)
    assert references_of_departed_delete() == 2
    assert list(ReferenceTrajectory.objects.values_list("campaign_key", flat=True)) == ["a"]


@pytest.mark.django_db
def test_each_open_campaign_has_one_forecast_replaced_on_each_computation(org_a):
    with tenant_context(org_a):
        behind = opened(make_campaign(target=40, capacity=60), days_ago=9, days_left=1)
        for hours in range(0, 200, 40):
            pledge_at(behind, behind.opened_at + timedelta(hours=hours))
        done = opened(make_campaign(target=2, capacity=10), days_ago=5, days_left=5)
        pledge_at(done, done.opened_at + timedelta(hours=1), companions=1)
        closed = make_campaign(status=Campaign.Status.FAILED)
        CampaignForecast.objects.create(campaign=closed, probability=0.5, expected=1, low=0,
                                        high=2, baseline_share=0, linear=0, references=0,
                                        method="prior", elapsed=0.5, count=0, target=5)
        assert forecasts_refresh() == 2
        first = CampaignForecast.objects.get(campaign=behind)
        assert first.count == mobilised_count(behind) == 5
        assert 0 <= first.probability < 0.5 and first.at_risk
        assert first.low <= first.expected <= first.high
        assert first.baseline_share == pytest.approx(5 / 40)
        assert first.elapsed == pytest.approx(0.9, abs=0.01)
        assert len(first.curve) == 19 and first.curve[-1] <= 5
        reached = CampaignForecast.objects.get(campaign=done)
        assert (reached.probability, reached.at_risk) == (1.0, False)
        assert not CampaignForecast.objects.filter(campaign=closed).exists()
        for companions in (20, 9):
            pledge_at(behind, timezone.now() - timedelta(minutes=5), companions=companions)
        assert campaign_forecast_store(campaign_id=behind.pk) is not None
        again = CampaignForecast.objects.get(campaign=behind)
        assert again.pk == first.pk and again.count == 36
        assert again.probability > first.probability
        assert campaign_forecast_store(campaign_id=closed.pk) is None


@pytest.mark.django_db
def test_page_and_api_read_the_stored_forecast_members_only(
        org_a, org_b, owner_a, owner_b, django_assert_max_num_queries):
    with tenant_context(org_a):
        campaign = opened(make_campaign(target=40, capacity=60), days_ago=9, days_left=1)
        pledge_at(campaign, campaign.opened_at + timedelta(hours=3), companions=4)
        forecasts_refresh()
        stored = CampaignForecast.objects.get(campaign=campaign)
    client = tenant_client(org_a, owner_a)
    with translation.override("fr"):
        page = client.get(f"/campaigns/{campaign.pk}/", HTTP_ACCEPT_LANGUAGE="fr")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Chance d’atteindre l’objectif d’ici le" in text
    assert "personnes attendues (intervalle à 80\u00a0%\u00a0: de" in text
    assert "<svg" in text and 'class="forecast-chart"' in text
    answer = client.get(f"/api/v1/campaigns/{campaign.pk}/forecast/")
    assert answer.status_code == 200
    body = answer.json()
    assert body["probability"] == pytest.approx(stored.probability)
    assert body["count"] == 5 and body["campaign"] == campaign.pk
    assert body["at_risk"] is stored.at_risk
    # Another organisation's member, and the same id in their own space: 404.
    outsider = tenant_client(org_b, owner_b)
    assert outsider.get(f"/api/v1/campaigns/{campaign.pk}/forecast/").status_code == 404
    assert tenant_client(org_a, owner_b).get(
        f"/api/v1/campaigns/{campaign.pk}/forecast/").status_code == 404


@pytest.mark.django_db
def test_the_programme_dashboard_reads_all_its_forecasts_in_one_query(org_a, owner_a):
    with tenant_context(org_a):
        first = opened(make_campaign(target=10, capacity=20), days_ago=3, days_left=4)
        campaigns = [first] + [
            opened(make_campaign(target=10, capacity=20, programme=first.programme),
                   days_ago=3, days_left=4) for _ in range(3)]
        assert forecasts_refresh() == 4
        programme = campaigns[0].programme
        assert all(campaign.programme_id == programme.pk for campaign in campaigns)
    client = tenant_client(org_a, owner_a)
    table = CampaignForecast._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"/dashboard/programmes/{programme.pk}/")
    assert page.status_code == 200
    assert page.content.decode().count('class="forecast-line"') == 4
    assert len([q for q in queries.captured_queries if f'"{table}"' in q["sql"]]) == 1


@pytest.mark.django_db
def test_an_open_campaign_without_its_opening_time_is_forecast_from_its_creation(org_a):
    with tenant_context(org_a):
        campaign = make_campaign(target=10, capacity=20, starts_in=timedelta(days=30),
                                 deadline_in=timedelta(days=5))
        Campaign.objects.filter(pk=campaign.pk).update(
            opened_at=None, created_at=timezone.now() - timedelta(days=5))
        campaign.refresh_from_db()
        pledge_at(campaign, timezone.now() - timedelta(days=4))
        assert forecasts_refresh() == 1
        forecast = CampaignForecast.objects.get(campaign=campaign)
        assert forecast.elapsed == pytest.approx(0.5, abs=0.01)
        assert forecast.count == 1 and forecast.curve[-1] == 1.0
