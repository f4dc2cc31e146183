"""Evidence across organisations from real schemas: an organisation's counts computed in its
schema (template, lever, channel, age band), replaced in one go under an opaque key; the
nightly pass on a real worker; the pages and the API that show the published cells."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from config.broker import ensure_configured_broker
from engagement.models import Campaign, Invitation, Pledge
from lab.evidence.contributions import (
    ALL,
    UNKNOWN,
    contributions_compute,
    organisation_contribute,
    organisation_key,
    size_band,
)
from lab.evidence.publication import evidence_publish
from methodology.models import EvidenceCell, EvidenceContribution, Template
from methodology.selectors import latest_published
from methodology.services import library_load
from tenants.models import Organisation

from ..conftest import PYTHON, child_env, public_client, running, tenant_client, wait_for
from ..factories import ParticipantFactory, ProgrammeFactory, make_campaign_with_slot

SLUG = "beach-clean-up"


def _programme_from_template():
    library_load()
    version = latest_published(Template.objects.get(slug=SLUG))
    return ProgrammeFactory(template_version=version)


def _fill(organisation: Organisation) -> dict:
    """Two ended campaigns from the template (one reached), invitations by two levers."""
    with tenant_context(organisation):
        programme = _programme_from_template()
        won, slot = make_campaign_with_slot(programme, days=-20, hours=2,
                                            status=Campaign.Status.SUCCEEDED)
        make_campaign_with_slot(programme, days=-10, hours=2, status=Campaign.Status.FAILED)
        people = [ParticipantFactory(age_band=band) for band in
                  ("26-35", "26-35", "36-50", "65+", "", "weird")]
        host = ParticipantFactory()
        for index, person in enumerate(people):
            invitation = Invitation.objects.create(
                campaign=won, channel="email", invitee_email=person.email, inviter=host,
                lever_code="social_proof" if index % 2 else "deadline")
            if index < 4:
                Pledge.objects.create(slot=slot, participant=person, invitation=invitation,
                                      status=Pledge.Status.CONFIRMED,
                                      attendance="attended" if index < 2 else "")
        # A relaunch's invitation is no trial of a lever: left out.
        Invitation.objects.create(campaign=won, channel="email", inviter=host,
                                  invitee_email=people[0].email, lever_code="relaunch")
    return {"people": people}


@pytest.mark.django_db
def test_an_organisation_counts_per_template_lever_and_age_band(org_a):
    _fill(org_a)
    with tenant_context(org_a):
        cells = contributions_compute()
    total = cells[(SLUG, "", "", ALL)]
    assert (total.campaigns, total.decided, total.reached) == (2, 2, 1)
    assert (total.sent, total.pledged, total.attended) == (6, 4, 2)
    social = cells[(SLUG, "social_proof", "", ALL)]
    assert (social.sent, social.pledged) == (3, 2)
    assert cells[(SLUG, "deadline", "", "26-35")].sent == 1
    assert cells[(SLUG, "", "email", ALL)].sent == 6
    # Unknown or non-standard bands are one "unknown" segment; segments add up to all.
    assert cells[(SLUG, "", "", UNKNOWN)].sent == 2
    assert sum(cell.sent for (tpl, lever, channel, segment), cell in cells.items()
               if tpl == SLUG and not lever and not channel and segment != ALL) == 6
    assert ("", "relaunch", "", ALL) not in cells
    assert cells[("", "", "", ALL)].campaigns == 2


@pytest.mark.django_db
def test_contributions_are_replaced_under_an_opaque_key(org_a):
    _fill(org_a)
    with tenant_context(org_a):
        first = organisation_contribute()
        second = organisation_contribute()
    key = organisation_key(org_a.schema_name)
    assert first == second == EvidenceContribution.objects.filter(
        organisation_key=key).count()
    assert key != org_a.schema_name and str(org_a.pk) not in key and len(key) == 64
    row = EvidenceContribution.objects.get(organisation_key=key, template=SLUG, lever="",
                                           channel="", segment=ALL)
    assert (row.kind, row.size_band) == (org_a.kind, "small")
    # Nothing but counts and the cell's dimensions leaves the schema.
    texts = {value for values in EvidenceContribution.objects.values_list(
        "template", "lever", "channel", "kind", "size_band", "segment") for value in values}
    assert not any("@" in text for text in texts)


def test_size_bands():
    assert [size_band(n) for n in (0, 249, 250, 2499, 2500)] == [
        "small", "small", "medium", "medium", "large"]


def _synthetic(count: int) -> None:
    rng = random.Random(5)
    for index in range(count):
        for segment in (ALL, "26-35"):
            EvidenceContribution.objects.create(
                organisation_key=f"k{index}", kind="company", size_band="small",
                template=SLUG, segment=segment, campaigns=4 if segment == ALL else 0,
                decided=4 if segment == ALL else 0, reached=rng.randint(2, 4),
                sent=40, pledged=rng.randint(8, 20), attended=6, people=30)
            EvidenceContribution.objects.create(
                organisation_key=f"k{index}", kind="company", size_band="small",
                template=SLUG, lever="social_proof", segment=segment, sent=40,
                pledged=rng.randint(8, 20), attended=6, people=30)


@pytest.mark.django_db
def test_pages_and_api_show_published_evidence_and_own_figures(org_a, owner_a, consultant):
    _fill(org_a)
    client = tenant_client(org_a, owner_a)
    page = client.get(f"/methodology/{SLUG}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "not enough organisations yet" in page.content.decode()
    assert "Your campaigns: 1 of 2 reached their target (50%)" in page.content.decode()
    _synthetic(6)
    # One association: its cells are suppressed, and the companies' lever cells with them
    # (all kinds minus companies would give it away).
    EvidenceContribution.objects.create(
        organisation_key="lone", kind="association", size_band="small", template=SLUG,
        lever="social_proof", segment=ALL, sent=10, pledged=3, people=9)
    evidence_publish()
    cell = EvidenceCell.objects.get(template=SLUG, lever="", channel="", kind="",
                                    size_band="", segment=ALL)
    assert cell.published and cell.organisations == 6
    page = client.get(f"/methodology/{SLUG}/").content.decode()
    rate = round(cell.success_rate * 100)
    label = "same template, companies, 6 organisations"
    assert f"reached their target {rate}% of the time ({label})" in page
    assert f"benchmark {rate}% ({label})" in page
    assert "Social proof" in page and "social_proof" not in page
    library = client.get("/methodology/").content.decode()
    assert f"reached their target {rate}% of the time ({label})" in library
    response = client.get("/api/v1/evidence/", {"template": SLUG})
    assert response.status_code == 200, response.content
    data = json.loads(response.content)
    assert data["success"]["organisations"] == 6
    assert data["levers"][0]["name"] == "Social proof"
    assert data["own"] == {"decided": 2, "reached": 1}
    assert client.get("/api/v1/evidence/").status_code == 400
    console = public_client(consultant).get(f"/console/{SLUG}/").content.decode()
    assert "What worked for whom" in console and "Companies" in console
    assert "Associations" in console and "not enough organisations yet (at least 5" in console
    french = client.get(f"/methodology/{SLUG}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Vos campagnes" in french


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock():
        ensure_configured_broker()
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    cmd = [PYTHON, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
           "--loglevel", "INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"]
    with running(cmd, child_env(), log) as process:
        ready = wait_for(lambda: "ready" in log.read_text() or process.poll() is not None, 90)
        assert ready and process.poll() is None, log.read_text()
        yield log


@pytest.mark.worker
def test_the_nightly_pass_runs_on_a_real_worker(committed, worker):
    from lab.evidence.tasks import publish_evidence_nightly

    organisation = Organisation.objects.get(slug="otherco")
    key = organisation_key(organisation.schema_name)
    started = timezone.now() - timedelta(seconds=1)
    EvidenceContribution.objects.create(organisation_key="gone", kind="company",
                                        size_band="small", people=3)
    try:
        publish_evidence_nightly.delay()

        def done():
            return (EvidenceContribution.objects.filter(
                organisation_key=key, computed_at__gte=started).exists()
                and not EvidenceContribution.objects.filter(organisation_key="gone").exists()
                and EvidenceCell.objects.filter(computed_at__gte=started).exists())

        assert wait_for(done, 60), worker.read_text()
        total = EvidenceCell.objects.get(template="", lever="", channel="", kind="",
                                         size_band="", segment=ALL)
        assert not total.published and total.organisations is None  # two organisations
    finally:
        EvidenceContribution.objects.all().delete()
        EvidenceCell.objects.all().delete()
