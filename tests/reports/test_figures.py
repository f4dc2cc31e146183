"""Stored figures: reused while the organisation's data has not changed, recomputed when
it has (triggers move its data version) or when a campaign in scope ends; dashboards of
big organisations show the stored ones while a real worker computes new ones."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from config.broker import ensure_configured_broker
from engagement.models import (
    Campaign,
    ImpactRecord,
    Participant,
    Pledge,
    Programme,
    Slot,
    Team,
)
from reports import figures
from reports.metrics import default_period
from reports.models import FiguresSnapshot
from tenants.models import Organisation

from ..conftest import PYTHON, child_env, running, tenant_client, wait_for
from .test_pdf import build_programme


def _add_pledge(campaign: Campaign, email: str) -> Pledge:
    person = Participant.objects.create(email=email)
    return Pledge.objects.create(slot=campaign.slots.get(), participant=person,
                                 status="confirmed", attendance="attended",
                                 hours_given=Decimal(3))


@pytest.mark.django_db
def test_every_source_table_moves_the_data_version_and_the_figures_table_does_not(org_a):
    """Organisation-wide sources move the organisation's version; the campaign-scoped ones
    (pledges, slots, invitations, impact) the version of their campaign only (issue 16),
    which the programme's stored figures follow too."""
    with tenant_context(org_a):
        programme = build_programme()
        campaign = programme.campaigns.first()
        campaigns = Campaign.objects.filter(programme=programme)

        def versions() -> tuple[int, int]:
            return figures.data_version(), figures.campaigns_version(campaigns)

        moves = {
            "a pledge": lambda: _add_pledge(campaign, "new@example.test"),
            "a participant": lambda: Participant.objects.filter(
                email="new@example.test").update(site="Lyon"),
            "a campaign": lambda: Campaign.objects.filter(pk=campaign.pk).update(title="X"),
            "a team": lambda: Team.objects.update(name="Renamed"),
            "a deletion": lambda: Pledge.objects.filter(
                participant__email="new@example.test").delete(),
            "a slot": lambda: Slot.objects.filter(campaign=campaign).update(
                ends_at=F("ends_at") + timedelta(hours=1)),
            "an impact record": lambda: ImpactRecord.objects.filter(
                campaign__programme=programme).update(value=F("value") + 1),
        }
        for what, change in moves.items():
            before = versions()
            change()
            after = versions()
            assert after != before and all(a >= b for a, b in zip(after, before, strict=True)), \
                what
        before = versions()
        figures.programme_figures(programme)  # reads, and writes a FiguresSnapshot
        Campaign.objects.filter(title="no such campaign").update(title="Y")  # no row
        Slot.objects.filter(campaign=campaign).update(confirmed_seats=F("confirmed_seats"))
        assert versions() == before


@pytest.mark.django_db
def test_the_version_moves_when_the_writing_transaction_commits(org_a):
    """Figures computed while a long write (an import) is under way must not be stamped
    with a version that already counts it: the triggers are deferred to the commit."""
    with tenant_context(org_a):
        programme = build_programme()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # as outside the test suite
        before = figures.data_version()
        _add_pledge(programme.campaigns.first(), "slow@example.test")
        Participant.objects.filter(email="slow@example.test").update(site="Lyon")
        assert figures.data_version() == before  # written, not committed
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # what the commit does
        assert figures.data_version() > before
        # A column the figures do not read moves nothing.
        before = figures.data_version()
        Participant.objects.filter(email="slow@example.test").update(
            consent_to_contact=True)
        assert figures.data_version() == before


@pytest.mark.django_db
def test_figures_of_another_format_are_never_current(org_a):
    with tenant_context(org_a):
        programme = build_programme()
        first = figures.programme_figures(programme)
        FiguresSnapshot.objects.update(format=figures.FORMAT - 1,
                                       duration_ms=10**6)  # slow, as at a million pledges
        again = figures.programme_figures(programme, allow_stale=True)
        assert again.current and again.computed_at > first.computed_at
        assert FiguresSnapshot.objects.get().format == figures.FORMAT


@pytest.mark.django_db
def test_figures_are_stored_and_reused_until_the_data_changes(org_a):
    with tenant_context(org_a):
        programme = build_programme()
        first = figures.programme_figures(programme)
        assert first.current and first.data["participants"]["mobilised"] == 7
        with CaptureQueriesContext(connection) as queries:
            again = figures.programme_figures(programme)
        # The version and the stored row: no figure is recomputed.
        assert len(queries) == 2
        assert (again.data, again.computed_at) == (first.data, first.computed_at)

        _add_pledge(programme.campaigns.order_by("starts_at").first(), "late@example.test")
        after = figures.programme_figures(programme)
        assert after.current and after.computed_at > first.computed_at
        assert after.data["participants"]["mobilised"] == 8
        assert FiguresSnapshot.objects.get(key=f"metrics:programme:{programme.pk}"
                                           ).data == after.data


@pytest.mark.django_db
def test_figures_expire_when_a_campaign_in_scope_ends(org_a):
    with tenant_context(org_a):
        programme = build_programme()
        campaign = programme.campaigns.first()
        ends = timezone.now() + timedelta(minutes=3)
        Campaign.objects.filter(pk=campaign.pk).update(starts_at=ends - timedelta(hours=2),
                                                        ends_at=ends)
        Slot.objects.filter(campaign=campaign).update(starts_at=ends - timedelta(hours=2),
                                                      ends_at=ends)
        stored = figures.campaign_figures(campaign)
        snapshot = FiguresSnapshot.objects.get(key=f"metrics:campaign:{campaign.pk}")
        # The campaign's end turns its pledges into attendance figures.
        assert snapshot.expires_at == ends
        FiguresSnapshot.objects.filter(pk=snapshot.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1))  # as if it had ended
        assert figures.campaign_figures(campaign).computed_at > stored.computed_at
        other = programme.campaigns.exclude(pk=campaign.pk).get()
        figures.campaign_figures(other)  # ended long ago: only the maximum age
        assert FiguresSnapshot.objects.get(key=f"metrics:campaign:{other.pk}").expires_at \
            <= timezone.now() + figures.MAX_AGE


@pytest.mark.django_db
def test_a_small_organisation_always_sees_current_figures(org_a, viewer_a, settings):
    """Computing is cheap here: outdated figures are recomputed in the request."""
    settings.REPORTS_FIGURES_INLINE_MS = 10**6  # whatever the machine's load
    with tenant_context(org_a):
        programme = build_programme()
    viewer = tenant_client(org_a, viewer_a)
    assert "Figures as of" in viewer.get(f"/dashboard/programmes/{programme.pk}/"
                                         ).content.decode()
    with tenant_context(org_a):
        _add_pledge(programme.campaigns.first(), "late@example.test")
    page = viewer.get(f"/dashboard/programmes/{programme.pk}/").content.decode()
    assert "hx-trigger" not in page.split('id="figures"')[1].split(">")[0]
    assert "<strong>8</strong>" in page


@pytest.mark.django_db
def test_the_figures_of_a_deleted_subject_are_dropped_by_the_refresh(org_a):
    with tenant_context(org_a):
        programme = build_programme()
        figures.programme_figures(programme)
        key = f"metrics:programme:{programme.pk}"
        programme.campaigns.all().delete()
        Programme.objects.filter(pk=programme.pk).delete()
        assert figures.figures_refresh(key=key) is False
        assert not FiguresSnapshot.objects.filter(key=key).exists()


# --- A big organisation: stored figures at once, new ones from a real worker -----------------

@pytest.fixture
def committed_programme(committed):
    organisation = Organisation.objects.get(slug="testco")
    with tenant_context(organisation):
        programme = build_programme(title="Stored figures")
    yield organisation, programme
    with tenant_context(organisation):
        FiguresSnapshot.objects.all().delete()
        programme.campaigns.all().delete()
        Participant.objects.filter(email__endswith=f".{programme.pk}@example.test").delete()
        Participant.objects.filter(email=f"late.{programme.pk}@example.test").delete()
        Team.objects.filter(name="Logistics Stored figures").delete()
        programme.delete()


@pytest.mark.worker
def test_outdated_figures_are_shown_while_a_worker_computes_new_ones(
        committed_programme, settings, tmp_path):
    organisation, programme = committed_programme
    # Every computation counts as slow, as at a million pledges.
    settings.REPORTS_FIGURES_INLINE_MS = -1
    key = f"metrics:programme:{programme.pk}"
    with tenant_context(organisation):
        stored = figures.programme_figures(programme, allow_stale=True)
        assert stored.current and stored.data["participants"]["mobilised"] == 7
        _add_pledge(programme.campaigns.order_by("starts_at").first(),
                    f"late.{programme.pk}@example.test")
        # Computed a minute ago (figures just computed are not recomputed at once).
        FiguresSnapshot.objects.filter(key=key).update(
            computed_at=timezone.now() - timedelta(minutes=1))

        shown = figures.programme_figures(programme, allow_stale=True)
        assert not shown.current and shown.data == stored.data
        assert shown.computed_at < stored.computed_at
        asked = FiguresSnapshot.objects.get(key=key).refresh_queued_at
        assert asked is not None
        figures.programme_figures(programme, allow_stale=True)  # asked once only
        assert FiguresSnapshot.objects.get(key=key).refresh_queued_at == asked
        # Figures just computed, even outdated, are not recomputed at once: at most one
        # computation per ten times its duration.
        FiguresSnapshot.objects.filter(key=key).update(refresh_queued_at=None,
                                                       duration_ms=60_000)
        assert not figures.programme_figures(programme, allow_stale=True).current
        assert FiguresSnapshot.objects.get(key=key).refresh_queued_at is None
        FiguresSnapshot.objects.filter(key=key).update(
            refresh_queued_at=asked, duration_ms=1,
            computed_at=timezone.now() - timedelta(seconds=1))

    owner = organisation.memberships.filter(role="owner").first().user
    page = tenant_client(organisation, owner).get(
        f"/dashboard/programmes/{programme.pk}/").content.decode()
    assert 'hx-trigger="every 4s"' in page and "newer figures are being computed" in page

    ensure_configured_broker()
    cmd = [PYTHON, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
           "--loglevel", "INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"]

    def refreshed() -> bool:
        with tenant_context(organisation):
            return FiguresSnapshot.objects.get(key=key).data["participants"][
                "mobilised"] == 8

    with running(cmd, child_env(), tmp_path / "worker.log"):
        assert wait_for(refreshed, 60), (tmp_path / "worker.log").read_text()
    with tenant_context(organisation):
        now = figures.programme_figures(programme, allow_stale=True)
        assert now.current and now.data["participants"]["mobilised"] == 8
        assert FiguresSnapshot.objects.get(key=key).refresh_queued_at is None
    page = tenant_client(organisation, owner).get(
        f"/dashboard/programmes/{programme.pk}/").content.decode()
    assert "hx-trigger" not in page.split('id="figures"')[1].split(">")[0]


@pytest.mark.django_db
def test_reports_and_the_api_never_use_outdated_figures(org_a, owner_a, settings):
    settings.REPORTS_FIGURES_INLINE_MS = -1
    with tenant_context(org_a):
        programme = build_programme()
        figures.programme_figures(programme)
        _add_pledge(programme.campaigns.first(), "late@example.test")
    response = tenant_client(org_a, owner_a).get(
        f"/api/v1/metrics/programmes/{programme.pk}/")
    assert response.status_code == 200
    assert response.json()["participants"]["mobilised"] == 8


@pytest.mark.django_db
def test_the_schedule_keeps_programme_figures_current_and_drops_forgotten_ones(org_a):
    with tenant_context(org_a):
        programme = build_programme()
        figures.programme_figures(programme)
        figures.lever_figures(programme=programme)
        figures.period_figures(date(2020, 1, 1), date(2020, 12, 31))
        assert figures.figures_refresh_outdated(now=timezone.now()) == 0  # all current
        _add_pledge(programme.campaigns.first(), "late@example.test")
        FiguresSnapshot.objects.update(computed_at=timezone.now() - timedelta(minutes=1))
        FiguresSnapshot.objects.filter(key__startswith="metrics:period:").update(
            read_at=timezone.now() - figures.KEEP - timedelta(days=1))

        assert figures.figures_refresh_outdated(now=timezone.now()) == 2  # programme and lever rows
        keys = set(FiguresSnapshot.objects.values_list("key", flat=True))
        campaigns = {f"metrics:campaign:{pk}" for pk in
                     programme.campaigns.values_list("pk", flat=True)}
        # The programme's campaigns come along (a report needs them); the forgotten
        # period is gone.
        assert keys == {f"metrics:programme:{programme.pk}",
                        f"levers:programme:{programme.pk}:team"} | campaigns
        version = figures.data_version()
        assert all(s.version == version for s in FiguresSnapshot.objects.all())
        with CaptureQueriesContext(connection) as queries:
            current = figures.programme_figures(programme)
        assert len(queries) == 2 and current.data["participants"]["mobilised"] == 8
        # Just refreshed: the next pass has nothing to do.
        assert figures.figures_refresh_outdated(now=timezone.now()) == 0
        # Figures nobody has read for a week are no longer kept current.
        _add_pledge(programme.campaigns.first(), "later@example.test")
        FiguresSnapshot.objects.update(computed_at=timezone.now() - timedelta(minutes=1),
                                       read_at=timezone.now() - timedelta(days=8))
        assert figures.figures_refresh_outdated(now=timezone.now()) == 0


@pytest.mark.django_db
def test_dashboards_poll_only_while_newer_figures_are_on_their_way(org_a, viewer_a, settings):
    settings.REPORTS_FIGURES_INLINE_MS = -1  # every computation counts as slow
    with tenant_context(org_a):
        programme = build_programme()
        figures.programme_figures(programme)
        _add_pledge(programme.campaigns.first(), "late@example.test")
        key = f"metrics:programme:{programme.pk}"
        # Just computed, and slow (a minute): not recomputed for ten minutes.
        FiguresSnapshot.objects.filter(key=key).update(duration_ms=60_000,
                                                       computed_at=timezone.now())
    viewer = tenant_client(org_a, viewer_a)
    url = f"/dashboard/programmes/{programme.pk}/"
    page = viewer.get(url).content.decode()
    opening = page.split('id="figures"')[1].split(">")[0]
    assert "hx-trigger" not in opening
    assert "the latest changes will show at the next update" in page

    with tenant_context(org_a):
        FiguresSnapshot.objects.filter(key=key).update(
            computed_at=timezone.now() - timedelta(hours=1))
    page = viewer.get(url).content.decode()
    opening = page.split('id="figures"')[1].split(">")[0]
    assert f'hx-get="{url}"' in opening and 'hx-trigger="every 4s"' in opening
    assert "newer figures are being computed" in page
    with tenant_context(org_a):
        assert FiguresSnapshot.objects.get(key=key).refresh_queued_at is not None


@pytest.mark.django_db
def test_an_invalid_period_polls_the_period_it_shows(org_a, viewer_a):
    response = tenant_client(org_a, viewer_a).get(
        "/dashboard/", {"start": "2026-05-01", "end": "2026-01-01"})
    assert response.status_code == 400
    start, end = default_period()
    assert response.context["figures_url"] == (
        f"/dashboard/?start={start.isoformat()}&end={end.isoformat()}&segment=team")
