"""The owner, on a desktop (1,366 px), in English and in French, sets how long the data of
inactive participants is kept: a period out of bounds is refused with the field named, a
good one is saved; the help text says what happens at the end."""

import os

import pytest

from tenants.models import Organisation
from tests.conftest import PASSWORD
from tests.e2e.journey import check_page, tenant_url

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("JOURNEY_SHOTS")

T = {
    "en": {"email": "E-mail address", "password": "Password", "log_in": "Log in",
           "field": "Keep the personal data of inactive participants for (months)",
           "help": "A month before, they get an e-mail",
           "error": "Keep participants' data between 6 and 72 months.",
           "save": "Save", "saved": "Settings saved."},
    "fr": {"email": "Adresse e-mail", "password": "Mot de passe", "log_in": "Se connecter",
           "field": "Conserver les données personnelles des participants inactifs pendant "
                    "(mois)",
           "help": "Un mois avant, elle reçoit un e-mail",
           "error": "Conservez les données des participants entre 6 et 72 mois.",
           "save": "Enregistrer", "saved": "Paramètres enregistrés."},
}


@pytest.fixture
def testco(django_db_blocker):
    with django_db_blocker.unblock():
        organisation = Organisation.objects.get(slug="testco")
    yield organisation
    with django_db_blocker.unblock():
        Organisation.objects.filter(pk=organisation.pk).update(
            participant_retention_months=24, report_retention_months=36)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_owner_sets_the_retention_period(live_url, open_person, testco, django_db_blocker,
                                         lang):
    t = T[lang]
    base = tenant_url(live_url, testco.slug)
    page = open_person(lang=lang, device="desktop")
    page.goto(f"{base}/settings/")
    page.get_by_label(t["email"]).fill("owner@testco.test")
    page.get_by_label(t["password"]).fill(PASSWORD)
    page.get_by_role("button", name=t["log_in"]).click()
    page.wait_for_url(f"{base}/settings/")
    field = page.get_by_label(t["field"])
    assert field.input_value() == "24"
    assert t["help"] in page.locator("main").inner_text()

    # The browser's own check (min 6) would stop the form: the server's is what we test.
    field.evaluate("input => input.removeAttribute('min')")
    field.fill("5")
    page.get_by_role("button", name=t["save"]).click()
    page.wait_for_load_state("load")
    check_page(page)
    assert t["error"] in page.get_by_role("alert").first.inner_text()
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/retention-settings-{lang}-error.png", full_page=True)

    page.get_by_label(t["field"]).fill("12")
    page.get_by_role("button", name=t["save"]).click()
    page.wait_for_url(f"{base}/settings/")
    check_page(page)
    assert t["saved"] in page.locator("body").inner_text()
    assert page.get_by_label(t["field"]).input_value() == "12"
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/retention-settings-{lang}-saved.png", full_page=True)
    with django_db_blocker.unblock():
        assert Organisation.objects.get(pk=testco.pk).participant_retention_months == 12


@pytest.fixture
def deleted_report(django_db_blocker):
    """A report of Test Company whose file was deleted at the end of its retention."""
    from datetime import timedelta

    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from engagement.models import Programme
    from reports.models import Report

    with django_db_blocker.unblock():
        organisation = Organisation.objects.get(slug="testco")
        with tenant_context(organisation):
            programme = Programme.objects.create(name="Old programme", starts_on="2020-01-01",
                                                 ends_on="2021-12-31")
            made = timezone.now() - timedelta(days=3 * 365 + 40)
            report = Report.objects.create(
                scope="programme", programme=programme, title="Annual report 2021",
                status=Report.Status.READY, pages=4, requested_at=made, finished_at=made,
                file_deleted_at=made + timedelta(days=3 * 365 + 1))
    yield report
    with django_db_blocker.unblock(), tenant_context(organisation):
        Report.objects.filter(pk=report.pk).delete()
        programme.delete()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_deleted_report_file_is_explained(live_url, open_person, deleted_report, lang):
    t = T[lang]
    base = tenant_url(live_url, "testco")
    page = open_person(lang=lang, device="desktop")
    page.goto(f"{base}/reports/")
    page.get_by_label(t["email"]).fill("owner@testco.test")
    page.get_by_label(t["password"]).fill(PASSWORD)
    page.get_by_role("button", name=t["log_in"]).click()
    page.wait_for_url(f"{base}/reports/")
    check_page(page)
    row = page.locator("tr", has_text="Annual report 2021")
    expected = {"en": "(kept 36 months)", "fr": "(conservé 36 mois)"}[lang]
    deleted = {"en": "File deleted on", "fr": "Fichier supprimé le"}[lang]
    assert deleted in row.inner_text() and expected in row.inner_text()
    assert row.get_by_role("button").count() == 0 and row.get_by_role("link").count() <= 1
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/retention-reports-{lang}.png", full_page=True)
