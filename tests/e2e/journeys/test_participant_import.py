"""An organiser imports a list of 20,000 employees, at a desk (1,366 px) and on a phone
(390 px), in English and in French: the file is chosen, the page follows the worker's check
with a progress bar, then shows what would happen (people to create and to complete, a
refused row by its line and column); the organiser chooses to import only the valid rows,
confirms, and the bar follows the writing to "Import done". A real worker does the work."""

import os
import re
import uuid

import pytest
from django_tenants.utils import tenant_context

from engagement.models import BulkJob, Participant
from tenants.models import Organisation
from tenants.services import organisation_provision
from tests.conftest import PASSWORD, drop_organisation
from tests.e2e.journey import check_page, tenant_url
from tests.e2e.journeys.test_csr_manager import worker  # noqa: F401 (a real worker)

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("JOURNEY_SHOTS")
ROWS = 20_000

T = {
    "en": {
        "email": "E-mail address", "password": "Password", "log_in": "Log in",
        "file": "CSV file", "consent": "Our organisation collected the consent",
        "check": "Check the file", "checked": "Check of the file",
        "only_valid": "Import only the valid rows", "import": "Import",
        "done": "Import done", "bar": "Rows checked", "written": "Rows written",
        "problem": "is not a language we write in",
    },
    "fr": {
        "email": "Adresse e-mail", "password": "Mot de passe", "log_in": "Se connecter",
        "file": "Fichier CSV", "consent": "Notre organisation a recueilli le consentement",
        "check": "Vérifier le fichier", "checked": "Vérification du fichier",
        "only_valid": "N’importer que les lignes valides", "import": "Importer",
        "done": "Import terminé", "bar": "Lignes vérifiées", "written": "Lignes écrites",
        "problem": "n’est pas une langue",
    },
}


@pytest.fixture
def space(django_db_blocker, request, tmp_path):
    lang = request.node.callspec.params["lang"]
    slug = f"import-{lang}-{uuid.uuid4().hex[:6]}"
    with django_db_blocker.unblock():
        organisation = organisation_provision(
            name="Ville de Brest" if lang == "fr" else "Brest Harbour Ltd", slug=slug,
            owner_email=f"lead@{slug}.example", owner_password=PASSWORD,
            owner_name="Léa Organiser", locale=lang, kind="company")
        with tenant_context(organisation):
            Participant.objects.create(email=f"person0@{slug}.example", first_name="Known")
            # An import another organiser left running (no worker has it): its page
            # shows where it is, whatever the timing of this run.
            running = BulkJob.objects.create(
                kind=BulkJob.Kind.IMPORT, status=BulkJob.Status.RUNNING, total=19_999,
                processed=8_000, options={"confirmed": True, "language": lang})
    lines = ["email;first_name;team;language;consent"]
    lines += [f"person{n}@{slug}.example;Person {n};Team {n % 9};{'fr' if n % 2 else 'en'};"
              f"{'yes' if n % 4 == 0 else ''}" for n in range(ROWS - 1)]
    lines.append(f"bad@{slug}.example;Bad;;klingon;")
    path = tmp_path / "employees.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    yield organisation, path, running
    with django_db_blocker.unblock():
        drop_organisation(Organisation.objects.get(pk=organisation.pk))


def spaced(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


def fmt(lang: str, text: str) -> str:
    """Every number of ``text`` grouped by thousands as ``lang`` writes it."""
    separator = "," if lang == "en" else " "
    return re.sub(r"\d{4,}", lambda m: f"{int(m.group()):,}".replace(",", separator), text)


def read(page, name: str) -> None:
    check_page(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/import-{name}.png", full_page=True)


@pytest.mark.parametrize("device", ["desktop", "phone"])
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_organiser_imports_a_large_list_with_a_progress_bar(
        live_url, open_person, worker, space, lang, device, django_db_blocker):  # noqa: F811
    organisation, path, running = space
    t = T[lang]
    width = 1366 if device == "desktop" else 390
    base = tenant_url(live_url, organisation.slug)
    page = open_person(lang=lang, device=device)
    page.goto(f"{base}/")
    page.get_by_label(t["email"]).fill(f"lead@{organisation.slug}.example")
    page.get_by_label(t["password"]).fill(PASSWORD)
    page.get_by_role("button", name=t["log_in"]).click()
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/participants/import/{running.pk}/")
    bar = page.get_by_role("progressbar", name=t["written"])
    assert (bar.get_attribute("value"), bar.get_attribute("max")) == ("8000", "19999")
    # Counts as the language writes them, by the server and by the script alike.
    assert fmt(lang, "8000 / 19999") in spaced(page.locator(".job-progress").inner_text())
    read(page, f"{width}-{lang}-0-running")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width

    page.goto(f"{base}/participants/import/")
    page.get_by_label(t["file"]).set_input_files(str(path))
    # The box's help text overlaps its lower edge (tenants/_form.html puts it inside the
    # label): a click there still ticks it, as the label's own click.
    page.get_by_label(t["consent"]).check(force=True)
    assert page.get_by_label(t["consent"]).is_checked()
    page.get_by_role("button", name=t["check"]).click()
    page.wait_for_url(f"{base}/participants/import/*/")
    # The worker checks 20,000 rows for a second or two: the page shows the bar meanwhile
    # (its label says which step), then loads the report by itself.
    bar = page.get_by_role("progressbar", name=t["bar"])
    if bar.count():
        read(page, f"{width}-{lang}-1-checking")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    page.get_by_role("heading", name=t["checked"]).wait_for(timeout=60_000)
    read(page, f"{width}-{lang}-2-checked")
    figures = spaced(page.locator(".figures").inner_text())
    assert fmt(lang, f"{ROWS}") in figures and fmt(lang, f"{ROWS - 2}") in figures
    issues = spaced(page.locator("table.issues").inner_text())
    assert fmt(lang, f"{ROWS + 1}") in issues and "language" in issues
    assert "klingon" in issues and t["problem"] in issues
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    with django_db_blocker.unblock(), tenant_context(organisation):
        assert Participant.objects.count() == 1  # the check wrote nothing

    page.get_by_label(t["only_valid"]).check()
    page.get_by_role("button", name=t["import"], exact=True).click()
    page.wait_for_url(f"{base}/participants/import/*/")
    if page.get_by_role("progressbar", name=t["written"]).count():
        read(page, f"{width}-{lang}-3-writing")
    page.get_by_role("heading", name=t["done"]).wait_for(timeout=60_000)
    read(page, f"{width}-{lang}-4-done")
    with django_db_blocker.unblock(), tenant_context(organisation):
        job = BulkJob.objects.exclude(pk=running.pk).get()
        assert (job.status, job.processed, job.total) == ("done", ROWS - 1, ROWS - 1)
        assert Participant.objects.count() == ROWS - 1
        assert Participant.objects.get(email=f"person0@{organisation.slug}.example"
                                       ).first_name == "Person 0"
