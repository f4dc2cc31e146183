"""Evidence across organisations, second round: one benchmark (named) on every page, the
intervals clustered by organisation, dominance and distinct people in suppression, demo
contributions only in a demo installation, the console's empty audiences on one line,
the portfolio's month in each client's zone."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime

import pytest
from django.test import override_settings
from django_tenants.utils import tenant_context
from rest_framework.authtoken.models import Token

from billing.models import ConsultantTime
from engagement.models import Campaign, Programme
from lab.evidence.contributions import ALL
from lab.evidence.publication import Draft, evidence_publish, hidden_people
from lab.portfolio.states import portfolio_states
from methodology.evidence import KINDS
from methodology.models import EvidenceCell, EvidenceContribution
from reports.metrics import DECIDED
from tenants.models import ConsultantAssignment, Organisation

from ..conftest import public_client, tenant_client
from ..factories import ProgrammeFactory, make_campaign
from .test_evidence import SLUG, _fill


def _cell(template: str, kind: str, rate: float, organisations: int) -> None:
    EvidenceCell.objects.create(template=template, kind=kind, published=True,
                                success_rate=rate, success_low=rate - .1,
                                success_high=rate + .1, organisations=organisations,
                                decided=40, reached=round(40 * rate), people=300)


@pytest.mark.django_db
def test_one_named_benchmark_on_every_page(org_a, owner_a, consultant):
    _fill(org_a)
    with tenant_context(org_a):
        programme = Programme.objects.get(template_version__template__slug=SLUG)
        # Every finished campaign of the client from the template: the portfolio's own
        # rate is then that template's too.
        Campaign.objects.filter(status__in=DECIDED).update(programme=programme)
    kind = str(KINDS[org_a.kind]).lower()
    _cell(SLUG, org_a.kind, 0.70, 15)   # THE benchmark: same template, same kind
    _cell(SLUG, "", 0.58, 19)           # same template, every kind
    _cell("", org_a.kind, 0.73, 15)     # every template, same kind
    label = f"same template, {kind}, 15 organisations"
    shown = f"benchmark 70% ({label})"
    client = tenant_client(org_a, owner_a)
    template_page = client.get(f"/methodology/{SLUG}/").content.decode()
    assert shown in template_page
    assert f"reached their target 70% of the time ({label})" in template_page
    library = client.get("/methodology/").content.decode()
    assert f"reached their target 70% of the time ({label})" in library
    dashboard = client.get(f"/dashboard/programmes/{programme.pk}/").content.decode()
    assert shown in dashboard
    for page in (template_page, library, dashboard):
        assert "58%" not in page and "73%" not in page
    api = json.loads(client.get("/api/v1/evidence/", {"template": SLUG}).content)
    assert (api["benchmark"]["success"]["rate"], api["benchmark"]["description"]) == (0.70, label)
    ConsultantAssignment.objects.create(consultant=consultant, organisation=org_a)
    portfolio = public_client(consultant).get("/console/clients/").content.decode()
    assert shown in portfolio and "73%" not in portfolio
    token = Token.objects.create(user=consultant).key
    row = public_client().get("/api/v1/portfolio/", HTTP_AUTHORIZATION=f"Token {token}"
                              ).json()["results"][0]
    assert (row["benchmark_success_rate"], row["benchmark_label"]) == (0.70, label)
    # Not published for the kind: every kind, and said so, on every page alike.
    EvidenceCell.objects.filter(template=SLUG, kind=org_a.kind).delete()
    fallback = (f"benchmark 58% (same template, all kinds of organisation "
                f"(not enough {kind} yet), 19 organisations)")
    assert fallback in client.get(f"/methodology/{SLUG}/").content.decode()
    assert fallback in client.get(f"/dashboard/programmes/{programme.pk}/").content.decode()
    assert fallback in public_client(consultant).get("/console/clients/").content.decode()


def _contribute(key: str, *, sent: int, pledged: int, people: int = 20,
                is_demo: bool = False, decided: int = 4, reached: int = 2) -> None:
    EvidenceContribution.objects.create(
        organisation_key=key, kind="company", size_band="small", template=SLUG,
        segment=ALL, campaigns=decided, decided=decided, reached=reached, sent=sent,
        pledged=pledged, attended=pledged // 2, people=people, is_demo=is_demo)


def _total() -> EvidenceCell:
    return EvidenceCell.objects.get(template=SLUG, lever="", channel="", kind="",
                                    size_band="", segment=ALL)


@pytest.mark.django_db
def test_intervals_are_clustered_by_organisation():
    # Organisations far apart: the interval must reflect six organisations, not the
    # 600 invitations as if independent.
    units = [(100, 10), (100, 60), (100, 20), (100, 50), (100, 30), (100, 40)]
    for index, (sent, pledged) in enumerate(units):
        _contribute(f"o{index}", sent=sent, pledged=pledged)
    evidence_publish()
    cell = _total()
    n, y = sum(n for n, _ in units), sum(y for _, y in units)
    p, k = y / n, len(units)
    variance = k / (k - 1) * sum((yc - p * nc) ** 2 for nc, yc in units) / n ** 2
    margin = 1.959963984540054 * math.sqrt(variance)
    assert cell.conversion == pytest.approx(round(p, 4))
    assert cell.conversion_low == pytest.approx(round(p - margin, 4), abs=1e-4)
    assert cell.conversion_high == pytest.approx(round(p + margin, 4), abs=1e-4)
    # Far wider than the binomial interval of 600 independent invitations.
    assert cell.conversion_high - cell.conversion_low > 3 * 2 * 1.96 * math.sqrt(
        p * (1 - p) / n)


@pytest.mark.django_db
def test_identical_organisations_keep_at_least_the_binomial_interval():
    for index in range(6):
        _contribute(f"o{index}", sent=50, pledged=25)
    evidence_publish()
    cell = _total()
    margin = 1.959963984540054 * math.sqrt(0.25 / 300)
    assert cell.conversion_low == pytest.approx(round(0.5 - margin, 4), abs=1e-4)


@pytest.mark.django_db
def test_one_dominant_organisation_suppresses_the_cell():
    _contribute("big", sent=400, pledged=100, decided=40, reached=20)
    for index in range(5):
        _contribute(f"o{index}", sent=20, pledged=5)
    evidence_publish()
    cell = _total()
    assert not cell.published and cell.reason == "dominance" and cell.conversion is None


def test_hidden_lever_children_count_distinct_people_not_a_sum():
    """One person invited by two levers is one person: where children do not partition
    people (levers, channels, templates), each organisation counts its largest child."""
    first = Draft(by_org={"a": {"people": 3}, "b": {"people": 1}})
    second = Draft(by_org={"a": {"people": 3}, "c": {"people": 2}})
    for draft in (first, second):
        draft.sums["people"] = sum(own["people"] for own in draft.by_org.values())
    assert hidden_people([first, second], partitioning=True) == 9
    assert hidden_people([first, second], partitioning=False) == 3 + 1 + 2


@pytest.mark.django_db
def test_demo_contributions_count_only_in_a_demo_installation():
    for index in range(6):
        _contribute(f"demo-{index}", sent=40, pledged=10, is_demo=True)
    evidence_publish()
    assert not EvidenceCell.objects.filter(published=True).exists()
    with override_settings(DEMO_INSTALLATION=True):
        evidence_publish()
    assert _total().published and _total().organisations == 6


@pytest.mark.django_db
def test_console_says_once_when_an_audience_has_nothing_yet(consultant):
    for index in range(6):
        _contribute(f"o{index}", sent=40, pledged=10)
    EvidenceContribution.objects.create(
        organisation_key="lone", kind="association", size_band="small", template=SLUG,
        lever="social_proof", segment=ALL, sent=10, pledged=3, people=9)
    evidence_publish()
    page = public_client(consultant).get(f"/console/{SLUG}/").content.decode()
    assert page.count("not enough organisations yet (at least 5 are needed, none with most") >= 1
    association = page[page.index("Associations"):][:400]
    assert "not enough organisations yet" in association and "<table" not in association
    assert f'translate="no">{SLUG}' not in page  # the title, no slug badge


@pytest.mark.django_db
def test_this_month_is_each_clients_month(consultant, org_a):
    # 30 November 12:00 UTC is already 1 December in Auckland.
    Organisation.objects.filter(pk=org_a.pk).update(time_zone="Pacific/Auckland")
    ConsultantAssignment.objects.create(consultant=consultant, organisation=org_a)
    for day, minutes in ((29, 600), (30, 30)):
        ConsultantTime.objects.create(consultant=consultant, organisation=org_a, minutes=minutes,
                                      worked_on=date(2026, 11, day),
                                      description="Work")
    ConsultantTime.objects.create(consultant=consultant, organisation=org_a, minutes=45,
                                  worked_on=date(2026, 12, 1), description="Work")
    with tenant_context(org_a):
        make_campaign(programme=ProgrammeFactory())  # open, no forecast computed
    (state,) = portfolio_states(consultant, now=datetime(2026, 11, 30, 12, tzinfo=UTC))
    assert state.logged_minutes == 45
    assert state.unforecast >= 1
