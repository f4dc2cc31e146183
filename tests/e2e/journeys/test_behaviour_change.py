"""A CSR manager reads behaviour change on the programme dashboard: on a laptop (1,366 px)
in French, on a phone (390 px) in English; the page keeps within the phone's width, shows
lever names (never codes) and the same figures as the PDF report."""

import os
import uuid

import pytest
from django_tenants.utils import tenant_context

from core.roles import Role
from reports.services import report_render, report_request
from tenants.models import Organisation
from tenants.services import organisation_provision
from tests.conftest import PASSWORD, drop_organisation, make_member
from tests.e2e.journey import check_page, tenant_url
from tests.reports.test_behaviour_pages import _data
from tests.reports.test_pdf import pdf_text

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("JOURNEY_SHOTS")

T = {
    "en": {"email": "E-mail address", "password": "Password", "log_in": "Log in",
           "title": "Behaviour change", "lever": "Personal invitation",
           "change": "Average change per person: 1 point (95 % confidence interval",
           "returning": "Returning participants", "mcnemar": "McNemar test, p ="},
    "fr": {"email": "Adresse e-mail", "password": "Mot de passe", "log_in": "Se connecter",
           "title": "Évolution des comportements", "lever": "Invitation personnelle",
           "change": "Variation moyenne par personne : 1 point (intervalle de confiance",
           "returning": "Participants qui reviennent", "mcnemar": "test de McNemar, p ="},
}


@pytest.fixture
def company(django_db_blocker, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
    slug = f"behaviour-{uuid.uuid4().hex[:6]}"
    with django_db_blocker.unblock():
        organisation = organisation_provision(
            name="Acme Behaviour", slug=slug, owner_email=f"owner@{slug}.example",
            owner_password=PASSWORD, owner_name="Claire Martin", locale="fr",
            kind="company")
        manager = make_member(organisation, Role.MANAGER, f"csr@{slug}.example")
        with tenant_context(organisation):
            programme = _data()
    yield organisation, manager, programme
    with django_db_blocker.unblock():
        drop_organisation(Organisation.objects.get(pk=organisation.pk))


def _log_in(page, base, t, email):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label(t["email"]).fill(email)
    page.get_by_label(t["password"]).fill(PASSWORD)
    page.get_by_role("button", name=t["log_in"]).click()
    page.wait_for_url(f"{base}/")


@pytest.mark.parametrize("lang,device", [("fr", "desktop"), ("en", "phone")])
def test_a_csr_manager_reads_behaviour_change(live_url, open_person, company, lang, device,
                                              django_db_blocker):
    organisation, manager, programme = company
    t = T[lang]
    base = tenant_url(live_url, organisation.slug)
    page = open_person(lang=lang, device=device)
    _log_in(page, base, t, manager.email)
    page.goto(f"{base}/dashboard/programmes/{programme.pk}/")
    section = page.locator("section.behaviour")
    section.scroll_into_view_if_needed()
    check_page(page)
    if SHOTS:
        section.screenshot(path=f"{SHOTS}/behaviour-{device}-{lang}.png")
    text = " ".join(section.inner_text().split())
    assert t["title"] in text and t["returning"] in text
    assert t["change"] in text and t["mcnemar"] in text
    assert t["lever"] in text and "personal_invitation" not in text
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width
    # The PDF report says the same.
    with django_db_blocker.unblock(), tenant_context(organisation):
        report = report_render(report_id=report_request(
            scope="programme", programme=programme, language=lang,
            user=manager).pk)
        with report.file.open("rb") as file:
            pdf = pdf_text(file.read())
    assert t["title"] in pdf and t["change"] in pdf and t["lever"] in pdf
