"""A CSR manager sets up a lever experiment on a laptop (1,366 px) in French: the power
calculation shows before launch and follows the fields as they change, plans the days
the campaign leaves (not a fixed 14), a too-small audience is warned about, the
experiment is saved and launched once. The organiser then reads the results in English
on a phone (390 px): the verdict in plain words."""

import os
import uuid

import pytest
from django_tenants.utils import tenant_context

from engagement.models import Participant, Team
from lab.experiments.models import Assignment, Experiment
from lab.experiments.results import experiment_look_store
from tenants.models import Organisation
from tenants.services import organisation_provision
from tests.conftest import PASSWORD, drop_organisation
from tests.e2e.journey import check_page, tenant_url
from tests.factories import PledgeFactory, make_campaign

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("JOURNEY_SHOTS")


@pytest.fixture
def company(django_db_blocker):
    slug = f"exp-{uuid.uuid4().hex[:6]}"
    with django_db_blocker.unblock():
        organisation = organisation_provision(
            name="Acme Industries", slug=slug, owner_email=f"csr@{slug}.example",
            owner_password=PASSWORD, owner_name="Claire Martin", locale="fr")
        with tenant_context(organisation):
            campaign = make_campaign(capacity=500, target=80)
            teams = [Team.objects.create(name=f"Équipe {n}") for n in range(6)]
            for n in range(120):
                Participant.objects.create(email=f"p{n}@{slug}.example", first_name=f"P{n}",
                                           team=teams[n % 6], consent_to_contact=True)
    yield organisation, campaign
    with django_db_blocker.unblock():
        drop_organisation(Organisation.objects.get(pk=organisation.pk))


def read(page, name: str) -> None:
    check_page(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/experiments-{name}.png", full_page=True)


def log_in(page, base: str, email: str, lang: str) -> None:
    labels = {"fr": ("Adresse e-mail", "Mot de passe", "Se connecter"),
              "en": ("E-mail address", "Password", "Log in")}[lang]
    # The first request of a gunicorn worker loads the whole project: on a busy machine
    # that can take longer than the default 20 s.
    page.goto(f"{base}/accounts/login/", timeout=120_000)
    page.get_by_label(labels[0]).fill(email)
    page.get_by_label(labels[1]).fill(PASSWORD)
    page.get_by_role("button", name=labels[2]).click()
    page.wait_for_url(f"{base}/")


def test_set_up_in_french_on_a_laptop_then_results_in_english_on_a_phone(
        live_url, open_person, company, django_db_blocker):
    organisation, campaign = company
    base = tenant_url(live_url, organisation.slug)
    email = f"csr@{organisation.slug}.example"
    page = open_person(lang="fr", device="desktop")
    log_in(page, base, email, "fr")
    page.goto(f"{base}/campaigns/{campaign.pk}/")
    page.get_by_role("link", name="Expériences sur les leviers").click()
    page.get_by_role("button", name="Préparer une expérience").click()
    page.get_by_label("Titre").fill("Mot du manager")
    page.get_by_label("Hypothèse").fill("Un mot du manager fait venir plus de collègues.")
    page.get_by_label("Variante 2 : levier").select_option("leader_example")
    page.get_by_label("Variante 2 : objet en français").fill("Je serai là, et vous ?")
    # The power calculation follows the fields (htmx), before anything is saved.
    page.get_by_label("Plus petit effet à détecter (points)").fill("30")
    page.get_by_label("Plus petit effet à détecter (points)").blur()
    page.get_by_text("120 personnes peuvent recevoir cette vague maintenant").wait_for()
    page.get_by_text("Le public est assez grand pour détecter cet effet.").wait_for()
    # Fourteen days asked, five left before pledging closes: five daily readings planned.
    page.get_by_text("Une lecture par jour pendant 5 jours, écourtée par les dates de la "
                     "campagne", exact=False).wait_for()
    page.get_by_label("Plus petit effet à détecter (points)").fill("3")
    page.get_by_label("Plus petit effet à détecter (points)").blur()
    page.get_by_text("Le public est trop petit pour détecter cet effet", exact=False).wait_for()
    read(page, "1-setup-fr-1366")
    page.get_by_label("Plus petit effet à détecter (points)").fill("30")
    page.get_by_role("button", name="Enregistrer l’expérience").click()
    page.get_by_role("heading", name="Calcul de puissance").wait_for()
    page.get_by_role("button", name="Lancer l’expérience").click()
    page.get_by_text("L’expérience est lancée").wait_for()
    read(page, "2-launched-fr-1366")

    with django_db_blocker.unblock(), tenant_context(organisation):
        experiment = Experiment.objects.get(campaign=campaign)
        assert experiment.status == "running"
        assert Assignment.objects.filter(experiment=experiment).count() == 120
        slot = campaign.slots.get()
        for n, row in enumerate(Assignment.objects.filter(experiment=experiment)
                                .select_related("variant").order_by("pk")):
            if row.variant.name != "Message habituel" and not row.variant.is_holdout \
                    or n % 5 == 0:
                PledgeFactory(slot=slot, participant_id=row.participant_id)
        experiment_look_store(experiment_id=experiment.pk)

    phone = open_person(lang="en", device="phone")
    log_in(phone, base, email, "en")
    phone.goto(f"{base}/experiments/{experiment.pk}/")
    phone.get_by_role("heading", name="Results").wait_for()
    verdict = phone.locator("p.verdict").inner_text()
    assert "raised sign-ups by" in verdict or "not enough evidence yet" in verdict, verdict
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    read(phone, "3-results-en-390")
