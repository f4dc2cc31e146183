"""The success forecast: an organiser on a phone (390 px, French) opens a campaign behind
its target a week before the deadline and reads the chance of reaching it, the expected
people with their interval, the chart, and the at-risk notice naming the plan's levers not
used yet with a link to invite with each; a CSR manager on a laptop (1,366 px, English)
reads the same forecast in the programme dashboard's list of campaigns."""

import os
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.roles import Role
from engagement.models import Campaign, Participant, Pledge, ProgrammeLever
from lab.forecasts.services import forecasts_refresh
from tenants.models import Membership, Organisation, User
from tenants.services import organisation_provision
from tests.conftest import PASSWORD, drop_organisation
from tests.e2e.journey import check_page, tenant_url
from tests.factories import PledgeFactory, make_campaign

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("JOURNEY_SHOTS")
LEVERS = [("social_proof", "Preuve sociale", "Social proof"),
          ("personal_invitation", "Invitation personnelle", "Personal invitation"),
          ("leader_example", "Exemple de la direction", "Leadership example")]


@pytest.fixture
def behind(django_db_blocker):
    slug = f"fc-{uuid.uuid4().hex[:6]}"
    with django_db_blocker.unblock():
        organisation = organisation_provision(
            name="Acme Énergie", slug=slug, owner_email=f"lead@{slug}.example",
            owner_password=PASSWORD, owner_name="Léa Organiser", locale="fr")
        manager = User.objects.create_user(email=f"csr@{slug}.example", password=PASSWORD,
                                           full_name="Sam Manager", preferred_language="en")
        Membership.objects.create(user=manager, organisation=organisation, role=Role.MANAGER)
        with tenant_context(organisation):
            campaign = make_campaign(target=60, capacity=80, starts_in=timedelta(days=20),
                                     deadline_in=timedelta(days=6))
            now = timezone.now()
            opened = now - timedelta(days=14)
            Campaign.objects.filter(pk=campaign.pk).update(opened_at=opened)
            for position, (code, fr, en) in enumerate(LEVERS):
                ProgrammeLever.objects.create(programme=campaign.programme, code=code,
                                              position=position, name_fr=fr, name_en=en)
            for n, hours in enumerate((1, 3, 6, 20, 50, 120, 200)):
                when = opened + timedelta(hours=hours)
                PledgeFactory(slot=campaign.slots.get(), status=Pledge.Status.CONFIRMED,
                              participant=Participant.objects.create(
                                  email=f"p{n}@{slug}.example", first_name=f"Pers{n}"),
                              created_at=when, confirmed_at=when)
            forecasts_refresh()
    yield organisation, campaign
    with django_db_blocker.unblock():
        drop_organisation(Organisation.objects.get(pk=organisation.pk))


def log_in(page, base: str, email: str, *, french: bool) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Adresse e-mail" if french else "E-mail address").fill(email)
    page.get_by_label("Mot de passe" if french else "Password").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter" if french else "Log in").click()
    page.wait_for_url(f"{base}/")


def test_an_organiser_on_a_phone_reads_the_chance_and_the_levers_left(
        live_url, open_person, behind):
    organisation, campaign = behind
    base = tenant_url(live_url, organisation.slug)
    page = open_person(lang="fr", device="phone")
    log_in(page, base, f"lead@{organisation.slug}.example", french=True)
    page.goto(f"{base}/campaigns/{campaign.pk}/")
    check_page(page)
    section = page.locator("#forecast")
    text = section.inner_text()
    assert "Chance d’atteindre l’objectif d’ici le" in text
    assert "personnes attendues (intervalle à 80\u00a0%\u00a0: de" in text
    assert "Cette campagne risque de ne pas atteindre son objectif." in text
    for _code, french, _english in LEVERS:
        assert french in text
    assert "personal_invitation" not in text and "social_proof" not in text
    chart = section.locator("svg.forecast-chart").bounding_box()
    assert chart is not None and chart["width"] <= 390
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/forecast-390-fr.png", full_page=True)
    section.get_by_role("link", name="Inviter avec ce levier").nth(1).click()
    page.wait_for_url(f"**/campaigns/{campaign.pk}/invite-many/?lever=personal_invitation")
    assert page.get_by_label("Levier").evaluate("e => e.value") == "personal_invitation"


def test_a_csr_manager_reads_the_forecast_in_the_programme_dashboard(
        live_url, open_person, behind):
    organisation, campaign = behind
    base = tenant_url(live_url, organisation.slug)
    page = open_person(lang="en", device="desktop")
    log_in(page, base, f"csr@{organisation.slug}.example", french=False)
    page.goto(f"{base}/dashboard/programmes/{campaign.programme_id}/")
    check_page(page)
    line = page.locator(".forecast-line").inner_text()
    assert line.startswith("At risk · Chance of reaching the target by ")
    assert "% · expected " in line and "(80% interval: " in line
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/forecast-1366-en-dashboard.png", full_page=True)
