"""A CSR manager at 1,366 px, and a municipal programme lead in French, from the public site
to a PDF report: sign-up (the address follows the name), the first-run checklist, a
programme from a methodology template (dates filled from its duration), a campaign with a
time slot (warned while the target exceeds the places), opened and its address copied, a
colleague joining through it, the dashboard, a CSV export, and an impact report requested on
/reports/, rendered by a real worker and downloaded. Every page read is checked."""

import csv
import io
import os
import re
import shutil
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from config.broker import ensure_configured_broker
from methodology.models import Template
from methodology.selectors import latest_published
from tenants.models import Organisation
from tenants.services import verification_url
from tests.conftest import PASSWORD, PYTHON, child_env, drop_organisation, running, wait_for
from tests.e2e.journey import check_page, tenant_url
from tests.reports.test_pdf import pdf_text

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("JOURNEY_SHOTS")

T = {
    "en": {
        "trial": "Start a free 30-day trial", "name": "Organisation name", "kind": "Kind",
        "language": "Language", "your_name": "Your name", "email": "Your work e-mail",
        "password": "Password", "create_space": "Create my space", "available": "Available:",
        "get_started": "Get started", "send_again": "Send the link again",
        "confirmed": "Address confirmed", "choose_template": "Choose a methodology template",
        "create_programme": "Create the programme", "methodology": "Methodology: {title}, "
        "version 1 of", "new_campaign": "New campaign", "save": "Save",
        "places_warning": "The target is more than the places offered",
        "preview": "Preview the public page", "open": "Open for pledges",
        "opened": "The campaign is open: share its address with the share kit below.",
        "copy": "Copy the address", "copied": "Address copied.", "steps": "3 of 4 steps done.",
        "join_email": "E-mail address", "first_name": "First name", "give": "Give my time",
        "dashboard": "Dashboard", "pledges_csv": "Pledges (CSV)", "reports": "Reports",
        "request": "Request the report", "download": "Download", "programme": "Programme",
    },
    "fr": {
        "trial": "Essayer gratuitement 30 jours", "name": "Nom de la structure",
        "kind": "Type", "language": "Langue", "your_name": "Votre nom",
        "email": "Votre e-mail professionnel", "password": "Mot de passe",
        "create_space": "Créer mon espace", "available": "Disponible",
        "get_started": "Pour bien démarrer", "send_again": "Renvoyer le lien",
        "confirmed": "Adresse confirmée",
        "choose_template": "Choisir une fiche-modèle de la méthodologie",
        "create_programme": "Créer le programme",
        "methodology": "Méthodologie\u00a0: {title}, version 1 du",
        "new_campaign": "Nouvelle campagne", "save": "Enregistrer",
        "places_warning": "L’objectif dépasse les places offertes",
        "preview": "Prévisualiser la page publique", "open": "Ouvrir aux engagements",
        "opened": "La campagne est ouverte\u00a0: partagez son adresse avec le kit de partage "
                  "ci-dessous.",
        "copy": "Copier l’adresse", "copied": "Adresse copiée.",
        "steps": "Étapes faites\u00a0: 3 sur 4.",
        "join_email": "Adresse e-mail", "first_name": "Prénom", "give": "Donner mon temps",
        "dashboard": "Tableau de bord", "pledges_csv": "Engagements (CSV)",
        "reports": "Rapports", "request": "Demander le rapport", "download": "Télécharger",
        "programme": "Programme",
    },
}

PEOPLE = {
    # (language, kind): who signs up, for what, with which template.
    ("en", "company"): ("Lumière Foods", "Claire Dubois", "beach-clean-up"),
    ("fr", "company"): ("Lumière Alimentaire", "Claire Dubois", "beach-clean-up"),
    ("fr", "local_authority"): ("Ville de Quimper", "Yann Le Gall", "municipal-greening"),
}


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """A real Celery worker on the test database and queue, writing reports where the live
    server reads them."""
    with django_db_blocker.unblock():
        ensure_configured_broker()
    log = tmp_path_factory.mktemp("csr-worker") / "worker.log"
    cmd = [PYTHON, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
           "--loglevel", "INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"]
    with running(cmd, child_env(), log) as process:
        ready = wait_for(lambda: "ready" in log.read_text() or process.poll() is not None, 90)
        assert ready and process.poll() is None, log.read_text()
        yield log


@pytest.fixture
def new_space(django_db_blocker):
    """The suffix that makes this run's organisation unique; dropped afterwards with its
    files."""
    suffix = uuid.uuid4().hex[:6]
    yield suffix
    with django_db_blocker.unblock():
        for organisation in Organisation.objects.filter(slug__endswith=f"-{suffix}"):
            shutil.rmtree(settings.MEDIA_ROOT / organisation.schema_name, ignore_errors=True)
            drop_organisation(organisation)


def read(page, name: str, shots: str) -> None:
    check_page(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/csr-{shots}-{name}.png", full_page=True)


def local_minute(delta: timedelta, hour: int) -> str:
    day = timezone.localtime() + delta
    return day.strftime(f"%Y-%m-%dT{hour:02d}:00")


@pytest.mark.parametrize(("lang", "kind"), list(PEOPLE), ids=["csr-en", "csr-fr",
                                                              "municipal-fr"])
def test_from_the_public_site_to_a_pdf_report(live_url, open_person, worker, new_space,
                                              django_db_blocker, lang, kind):
    t = T[lang]
    organisation_name, owner_name, template_slug = PEOPLE[(lang, kind)]
    name = f"{organisation_name} {new_space}"
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower().replace("è", "e")).strip("-")
    shots = f"{kind}-{lang}"
    with django_db_blocker.unblock():
        version = latest_published(Template.objects.get(slug=template_slug))
    template_title = version.title_fr if lang == "fr" else version.title_en
    page = open_person(lang=lang, device="desktop")

    # The public site, then sign-up: the address is derived from the name as it is typed.
    page.goto(f"{live_url}/")
    read(page, "1-landing", shots)
    page.get_by_role("button", name=t["trial"]).first.click()
    read(page, "2-signup", shots)
    page.get_by_label(t["name"]).press_sequentially(name, delay=5)
    assert page.locator("#id_slug").input_value() == slug
    assert page.locator("#slug-host").inner_text().startswith(f"{slug}.localhost:")
    page.locator("#slug-check").get_by_text(t["available"]).wait_for()
    page.get_by_label(t["kind"]).select_option(kind)
    page.get_by_label(t["language"]).select_option(lang)
    page.get_by_label(t["your_name"]).fill(owner_name)
    page.get_by_label(t["email"]).fill(f"claire@{slug}.example")
    page.get_by_label(t["password"]).fill(PASSWORD)
    page.get_by_role("button", name=t["create_space"]).click()
    base = tenant_url(live_url, slug)
    page.wait_for_url(f"{base}/")
    read(page, "3-home", shots)
    assert page.get_by_role("heading", name=t["get_started"]).is_visible()
    # A first look until the address is confirmed: the owner opens the e-mailed link.
    assert page.get_by_role("button", name=t["send_again"]).is_visible()
    with django_db_blocker.unblock():
        link = verification_url(Organisation.objects.get(slug=slug), f"claire@{slug}.example")
    page.goto(live_url + "/signup/" + link.split("/signup/", 1)[1])
    read(page, "3b-confirmed", shots)
    assert page.get_by_role("heading", name=t["confirmed"]).is_visible()
    page.goto(f"{base}/")
    assert not page.get_by_role("button", name=t["send_again"]).is_visible()

    # A programme from a methodology template: described first, dates already filled.
    page.get_by_role("link", name=t["choose_template"]).click()
    read(page, "4-library", shots)
    page.get_by_role("link", name=template_title).click()
    read(page, "5-template", shots)
    form = page.locator("form[data-shift-dates]")
    assert page.locator("details").first.bounding_box()["y"] < form.bounding_box()["y"]
    today = timezone.localdate()
    assert page.locator("#id_starts_on").input_value() == today.isoformat()
    assert page.locator("#id_ends_on").input_value() == (
        today + timedelta(days=version.typical_duration_days)).isoformat()
    form.get_by_role("button", name=t["create_programme"]).click()
    page.wait_for_url(re.compile(rf"{re.escape(base)}/programmes/\d+/$"))
    read(page, "6-programme", shots)
    assert page.get_by_text(t["methodology"].format(title=template_title)).is_visible()
    assert template_slug not in page.inner_text("main")

    # A campaign with its time slot; the form warns while the target exceeds the places.
    page.get_by_role("button", name=t["new_campaign"]).click()
    read(page, "7-campaign-form", shots)
    page.locator("#id_title").fill("Plogging du printemps" if lang == "fr" else "Spring plogging")
    page.locator("#id_place").fill("Parc de la Tête d’Or")
    page.locator("#id_starts_at").fill(local_minute(timedelta(days=20), 10))
    page.locator("#id_ends_at").fill(local_minute(timedelta(days=20), 13))
    page.locator("#id_mobilisation_deadline").fill(local_minute(timedelta(days=10), 18))
    page.locator("#id_visibility").select_option("public")
    page.locator("#id_participant_target").fill("40")
    page.locator("#id_capacity").fill("25")
    assert page.get_by_text(t["places_warning"]).is_visible()
    page.locator("#id_capacity").fill("45")
    assert not page.get_by_text(t["places_warning"]).is_visible()
    page.get_by_role("button", name=t["save"]).click()
    page.wait_for_url(re.compile(rf"{re.escape(base)}/campaigns/\d+/$"))
    read(page, "8-draft", shots)
    preview = page.get_by_role("button", name=t["preview"])
    assert re.search(r"/c/[\w-]+/$", preview.get_attribute("href"))

    # Opened: a banner without a stray bullet, and the address copied from the share kit.
    page.get_by_role("button", name=t["open"]).click()
    page.wait_for_url(re.compile(r"/campaigns/\d+/#share$"))
    banner = page.locator("ul.messages li").first
    assert banner.inner_text() == t["opened"]
    assert banner.evaluate("(li) => getComputedStyle(li).listStyleType") == "none"
    assert banner.evaluate("(li) => getComputedStyle(li, '::marker').content") in ("none", "")
    page.get_by_role("button", name=t["copy"]).click()
    page.get_by_text(t["copied"]).wait_for()
    address = page.locator("#share-link").input_value()
    assert page.evaluate("() => navigator.clipboard.readText()") == address
    read(page, "9-open", shots)

    # A colleague opens the copied address on their phone and joins.
    colleague = open_person(lang=lang, device="phone")
    colleague.goto(re.sub(r"^https?://[^/]+", base, address))
    read(colleague, "9b-campaign-page", shots)
    colleague.locator("input[name=slots]").first.check()
    colleague.get_by_label(t["join_email"], exact=True).fill(f"marc@{slug}.example")
    colleague.get_by_label(t["first_name"], exact=True).fill("Marc")
    colleague.get_by_role("button", name=t["give"]).click()
    colleague.wait_for_url(re.compile(r"/me/"))

    # Back home, the checklist has ticked what was done.
    page.goto(f"{base}/")
    assert page.get_by_text(t["steps"]).is_visible()

    # The dashboard and a CSV export.
    page.locator("ul.nav-links").get_by_role("link", name=t["dashboard"], exact=True).click()
    read(page, "10-dashboard", shots)
    assert page.get_by_role("link", name=template_title).first.is_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name=t["pledges_csv"]).click()
    rows = list(csv.reader(io.StringIO(
        download_info.value.path().read_text(encoding="utf-8-sig"))))
    assert len(rows) == 2  # the header and Marc's pledge

    # A PDF report on the programme, requested on the page, rendered by the worker.
    page.locator("ul.nav-links").get_by_role("link", name=t["reports"], exact=True).click()
    read(page, "11-reports", shots)
    page.get_by_role("radio", name=t["programme"], exact=True).check()
    page.locator("#id_programme").select_option(label=template_title)
    page.get_by_role("button", name=t["request"]).click()
    download_link = page.get_by_role("button", name=t["download"])
    download_link.wait_for(timeout=120_000)  # the list refreshes itself until it is ready
    read(page, "12-report-ready", shots)
    with page.expect_download() as download_info:
        download_link.click()
    data = download_info.value.path().read_bytes()
    assert data.startswith(b"%PDF")
    assert template_title.split()[0] in pdf_text(data)
