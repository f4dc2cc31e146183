"""Dashboard pages and the server-made SVG charts."""

from __future__ import annotations

import pytest
from django.utils.safestring import SafeString
from django_tenants.utils import tenant_context

from billing.models import Subscription
from reports.charts import bar_chart, funnel_chart, progress_chart

from ..conftest import tenant_client
from .test_levers import build_invitations
from .test_metrics import build_world


def test_charts_escape_their_text_and_describe_themselves():
    svg = bar_chart([("<script>alert(1)</script>", 3.0), ("Ops & co", 1.5)],
                    title='Hours "given"', unit="h")
    assert isinstance(svg, SafeString)
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert 'aria-label="Hours &quot;given&quot;"' in svg
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "Ops &amp; co" in svg
    assert "1.5\xa0h" in svg
    funnel = funnel_chart([("Sent", 10), ("Pledged", 4)], title="Funnel")
    assert ">Pledged (40% of “Sent”)</text>" in funnel and ">4</text>" in funnel
    assert "<title>Funnel</title>" in funnel
    assert "7 / 10 (70%)" in progress_chart(7, 10, title="Target")
    # Past the target the bar stops; the rate does not.
    over = progress_chart(60, 40, title="Target")
    assert "60 / 40 (150%)" in over and 'width="560.0"' in over


def test_charts_of_nothing_do_not_fail():
    assert "<svg" in bar_chart([], title="Empty")
    assert "<svg" in funnel_chart([("Sent", 0), ("Pledged", 0)], title="Empty")
    assert "0 / 0 (0%)" in progress_chart(0, 0, title="No target")


@pytest.mark.django_db
def test_members_see_the_dashboards(org_a, owner_a, viewer_a):
    with tenant_context(org_a):
        world = build_world(owner_a)
    client = tenant_client(org_a, viewer_a)
    overview = client.get("/dashboard/")
    assert overview.status_code == 200
    page = overview.content.decode()
    assert "<svg" in page and "Dashboard" in page
    assert "participants.csv" not in page  # exports are for managers
    programme = client.get(f"/dashboard/programmes/{world.programme.pk}/").content.decode()
    assert "Waste collected" in programme and "Largest referral tree" in programme
    campaign = client.get(f"/dashboard/campaigns/{world.c1.pk}/")
    assert campaign.status_code == 200 and 'role="img"' in campaign.content.decode()
    chosen = client.get("/dashboard/?start=1999-01-01&end=1999-12-31").content.decode()
    assert "1999-01-01" in chosen
    assert client.get("/dashboard/?start=2000-01-01&end=1999-01-01").status_code == 400
    assert client.get("/dashboard/campaigns/999999/").status_code == 404
    assert "participants.csv" in tenant_client(org_a, owner_a).get("/dashboard/"
                                                                   ).content.decode()


@pytest.mark.django_db
def test_lever_section_needs_the_option(org_a, owner_a, viewer_a):
    with tenant_context(org_a):
        programme, _ = build_invitations(owner_a)
    client = tenant_client(org_a, viewer_a)
    url = f"/dashboard/programmes/{programme.pk}/?segment=postcode"
    page = client.get(url).content.decode()
    assert "69001" in page and "Lever analytics" not in page
    Subscription.objects.filter(organisation=org_a).update(options=[])
    page = client.get(url).content.decode()
    assert "Lever analytics" in page and "69001" not in page


@pytest.mark.django_db
def test_outsiders_do_not_see_the_dashboard(org_a, owner_b):
    assert tenant_client(org_a, owner_b).get("/dashboard/").status_code == 404
    anonymous = tenant_client(org_a).get("/dashboard/")
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
