"""A CSR manager at a desk (1,366 px), in English and in French: opens the dashboard of a
programme with real pledges, companions, attendance and invitations, reads its figures,
requests a PDF report on /reports/ with the form, and sees it listed, then ready to
download once a worker has rendered it."""

from __future__ import annotations

import os
import re
import uuid

import pytest
from django.db import connection
from django.utils import translation
from django_tenants.utils import tenant_context

from billing.catalogue import options
from billing.models import Subscription
from core.roles import Role
from reports.models import Report
from reports.services import report_render
from tenants.models import Membership, Organisation, User
from tenants.services import organisation_provision
from tests.conftest import PASSWORD, drop_organisation
from tests.e2e.journey import check_page, tenant_url
from tests.reports.test_one_truth import _build

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("JOURNEY_SHOTS")


def t(lang: str, text: str, **values) -> str:
    """What the person reads for a message of the catalogue, in their language."""
    with translation.override(lang):
        return translation.gettext(text) % values if values else translation.gettext(text)


@pytest.fixture
def desk(django_db_blocker, request):
    """An organisation with all options, a manager, and the one-truth programme."""
    lang = request.node.callspec.params["lang"]
    slug = f"figures-{lang}-{uuid.uuid4().hex[:6]}"
    with django_db_blocker.unblock():
        organisation = organisation_provision(
            name="Ville de Brest" if lang == "fr" else "Harbour Foods", slug=slug,
            owner_email=f"owner@{slug}.example", owner_password=PASSWORD, owner_name="Owner",
            locale=lang, status=Organisation.Status.ACTIVE)
        Subscription.objects.create(organisation=organisation, plan="territory",
                                    options=sorted(options()), stripe_status="active")
        manager = User.objects.create_user(email=f"manager@{slug}.example", password=PASSWORD,
                                           full_name="Claire Martin")
        Membership.objects.create(user=manager, organisation=organisation,
                                  role=Role.MANAGER)
        with tenant_context(organisation):
            programme = _build(manager)
        connection.set_schema_to_public()
    yield organisation, manager, programme
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        drop_organisation(Organisation.objects.get(pk=organisation.pk))
        User.objects.filter(pk=manager.pk).delete()


def read(page, lang: str, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/figures-1366-{lang}-{name}.png", full_page=True)
    check_page(page)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_manager_reads_the_figures_and_requests_a_report(live_url, open_person, desk,
                                                           django_db_blocker, lang):
    organisation, manager, programme = desk
    base = tenant_url(live_url, organisation.slug)
    page = open_person(lang=lang, device="desktop")

    # Logs in on the organisation's space, lands on the programme's dashboard.
    page.goto(f"{base}/dashboard/programmes/{programme.pk}/")
    page.get_by_label(t(lang, "E-mail address")).fill(manager.email)
    page.get_by_label(t(lang, "Password")).fill(PASSWORD)
    page.get_by_role("button", name=t(lang, "Log in")).click()
    page.wait_for_url(re.compile(rf".*/dashboard/programmes/{programme.pk}/$"))
    read(page, lang, "1-dashboard")
    figures = page.locator("section.figures").inner_text()
    with translation.override(lang):
        mobilised = translation.ngettext("person mobilised", "people mobilised", 6)
        including = translation.ngettext("person, including companions",
                                         "people, including companions", 8)
    assert re.search(rf"\b6\s+{re.escape(mobilised)}", figures), figures
    assert re.search(rf"\b8\s+{re.escape(including)}", figures), figures
    assert re.search(r"\b67\u00a0?%", figures) and "16" in figures
    snowball = page.locator("table").first.inner_text()
    assert re.search(r"\b3\b", snowball) and re.search(r"\b100\u00a0?%", snowball)

    # The reports page: the request form, with a real choice of subject.
    page.get_by_role("link", name=t(lang, "Reports"), exact=True).first.click()
    page.wait_for_url(f"{base}/reports/")
    read(page, lang, "2-reports")
    page.get_by_label(t(lang, "Programme"), exact=True).check()
    page.locator('select[name="programme"]').select_option(str(programme.pk))
    page.locator('select[name="language"]').select_option(lang)
    page.get_by_role("button", name=t(lang, "Request the report")).click()
    page.wait_for_url(f"{base}/reports/")
    assert page.get_by_text(t(lang, "Report requested: it will be ready in a moment.")
                            ).is_visible()
    title = t(lang, "Impact report: %(name)s", name="One truth")
    row = page.locator("#report-rows tr", has_text=title)
    assert row.count() == 1
    read(page, lang, "3-requested")

    # A worker renders it (the service the worker task calls); the list updates itself.
    with django_db_blocker.unblock(), tenant_context(organisation):
        report = Report.objects.get(title=title)
        assert report_render(report_id=report.pk).status == Report.Status.READY
    connection.set_schema_to_public()
    download = row.get_by_role("button", name=t(lang, "Download"))
    download.wait_for(timeout=15_000)
    read(page, lang, "4-ready")
    with page.expect_download() as info:
        download.click()
    # (The browser replaces the colon, which a file name cannot hold everywhere.)
    name = info.value.suggested_filename
    assert name.endswith(".pdf") and "One truth" in name
    with open(info.value.path(), "rb") as file:
        assert file.read(5) == b"%PDF-"
