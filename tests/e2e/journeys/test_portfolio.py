"""A Fullmobs consultant's portfolio ("My clients", /console/clients/): at a desk (1,366 px)
in English and in French, and on a phone (390 px) in French. The consultant logs in with
their second factor, opens My clients from My spaces, reads each client's state (the one
paying late first), filters to those needing attention, and enters a client's space in one
click, which is logged as a visit today."""

import os
import re
import uuid

import pytest
from django.db import connection
from django.utils import timezone, translation
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import tenant_context

from billing.models import ConsultantTime, Subscription
from lab.models import CampaignForecast
from reports.models import Report
from tenants.models import ConsultantAccess, ConsultantAssignment, Organisation, User
from tenants.services import organisation_provision
from tests.conftest import PASSWORD, drop_organisation
from tests.e2e.journey import check_page, tenant_url
from tests.factories import make_campaign
from tests.tenants.test_logins import totp_now

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("JOURNEY_SHOTS")


def t(lang: str, text: str) -> str:
    with translation.override(lang):
        return translation.gettext(text)


@pytest.fixture
def clients(django_db_blocker):
    """A consultant with two clients: a company with the accompaniment pack, an open
    campaign at risk and a report awaiting commentary; a local authority paying late."""
    tag = uuid.uuid4().hex[:6]
    made = []
    with django_db_blocker.unblock():
        consultant = User.objects.create_user(email=f"consultant-{tag}@fullmobs.example",
                                              password=PASSWORD, is_consultant=True,
                                              full_name="Camille Conseil")
        TOTPDevice.objects.create(user=consultant, name="phone", confirmed=True)
        for name, kind, status, options in (
                ("Harbour Foods", "company", "active", ["accompaniment_pack"]),
                ("Ville de Lorient", "local_authority", "past_due", [])):
            slug = f"pf-{kind[:5]}-{tag}".replace("_", "-")
            organisation = organisation_provision(
                name=name, slug=slug, owner_email=f"owner@{slug}.example",
                owner_password=PASSWORD, owner_name="Owner", locale="fr", kind=kind,
                status=status)
            Subscription.objects.create(organisation=organisation, plan="territory",
                                        options=options, stripe_status="active")
            ConsultantAssignment.objects.create(consultant=consultant,
                                                organisation=organisation)
            made.append(organisation)
        ConsultantTime.objects.create(consultant=consultant, organisation=made[0],
                                      worked_on=timezone.localdate(), minutes=90,
                                      description="Atelier")
        with tenant_context(made[0]):
            campaign = make_campaign(capacity=30, target=12)
            CampaignForecast.objects.create(
                campaign=campaign, probability=0.2, expected=6, low=3, high=9,
                baseline_share=0.1, linear=5, references=12, at_risk=True, method="test",
                elapsed=0.5, count=2, target=12)
            Report.objects.create(scope=Report.Scope.PROGRAMME, programme=campaign.programme,
                                  title="Impact report", status=Report.Status.READY,
                                  finished_at=timezone.now(), pages=4)
        connection.set_schema_to_public()
    yield consultant, made
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        ConsultantTime.objects.filter(consultant=consultant).delete()
        ConsultantAccess.objects.filter(consultant=consultant).delete()
        for organisation in made:
            drop_organisation(Organisation.objects.get(pk=organisation.pk))
        consultant.delete()


def log_in(page, live_url, consultant, lang, django_db_blocker) -> None:
    page.goto(f"{live_url}/accounts/login/")
    page.get_by_label(t(lang, "E-mail address")).fill(consultant.email)
    page.get_by_label(t(lang, "Password")).fill(PASSWORD)
    page.get_by_role("button", name=t(lang, "Log in")).click()
    page.wait_for_url(re.compile(rf"{re.escape(live_url)}/accounts/two-factor/verify/"))
    with django_db_blocker.unblock():
        code = totp_now(TOTPDevice.objects.get(user=consultant))
    page.get_by_label(t(lang, "Code from your authenticator app")).fill(code)
    page.get_by_role("button", name=t(lang, "Confirm")).click()
    page.wait_for_url(f"{live_url}/accounts/")


@pytest.mark.parametrize(("lang", "device"), [("en", "desktop"), ("fr", "desktop"),
                                              ("fr", "phone")])
def test_consultant_reads_the_portfolio_and_enters_a_client(live_url, open_person, clients,
                                                            django_db_blocker, lang, device):
    consultant, (company, city) = clients
    page = open_person(lang=lang, device=device)
    width = 1366 if device == "desktop" else 390

    def read(name: str) -> None:
        check_page(page)
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/portfolio-{width}-{lang}-{name}.png",
                            full_page=True)

    log_in(page, live_url, consultant, lang, django_db_blocker)
    page.get_by_role("link", name=t(lang, "My clients")).first.click()
    page.wait_for_url(f"{live_url}/console/clients/")
    read("1-portfolio")
    rows = page.locator("table.portfolio tbody tr")
    assert rows.count() == 2
    # Both need attention; by name then: Harbour Foods, Ville de Lorient.
    first, second = rows.nth(0).inner_text(), rows.nth(1).inner_text()
    assert company.name in first and city.name in second
    assert t(lang, "Needs attention") in first and t(lang, "Needs attention") in second
    assert t(lang, "Payment overdue") in second and t(lang, "Active") in first
    cells = rows.nth(0).locator("td")
    assert cells.nth(3).inner_text().strip() == "1"  # the campaign at risk
    assert cells.nth(6).inner_text().strip() == "1"  # the report awaiting commentary
    hours = cells.nth(7).inner_text()
    assert ("1,5 h sur 4 h" if lang == "fr" else "1.5 h of 4 h") in hours.replace("\xa0", " ")
    assert t(lang, "No pack") in rows.nth(1).locator("td").nth(7).inner_text()
    # The last column's header is read whole at 1,366 px (not clipped by the page).
    if device == "desktop":
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        header = page.locator("table.portfolio thead th").last
        assert header.inner_text().strip() == t(lang, "Time this month")
        # ... nor hidden behind the table's own scroll: every column is in view.
        assert page.evaluate("(() => { const r = document.querySelector('.table-scroll');"
                             " return r.scrollWidth <= r.clientWidth; })()")

    # The filter keeps those needing attention and finds a client by name.
    page.get_by_role("searchbox", name=t(lang, "Client")).fill("lorient")
    page.get_by_role("combobox", name=t(lang, "Show")).select_option("attention")
    page.get_by_role("button", name=t(lang, "Filter")).click()
    page.wait_for_url(re.compile(r"/console/clients/\?"))
    read("2-filtered")
    assert page.locator("table.portfolio tbody tr").count() == 1
    assert city.name in page.locator("table.portfolio tbody tr").inner_text()

    # One click enters the client's space, logged as a visit today.
    page.get_by_role("link", name=city.name).click()
    base = tenant_url(live_url, city.slug)
    page.wait_for_url(re.compile(rf"^{re.escape(base)}/"))
    read("3-client-space")
    with django_db_blocker.unblock():
        visits = ConsultantAccess.objects.filter(consultant=consultant, organisation=city)
        assert visits.count() == 1
        assert timezone.localdate(visits.get().entered_at) == timezone.localdate()
