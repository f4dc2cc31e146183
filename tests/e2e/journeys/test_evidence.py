"""Evidence across organisations, in the browser: a CSR manager at a desk (1,366 px, French)
reads how campaigns from a template did across organisations and their own figures beside
the benchmark; a consultant in the console (English) reads what worked for whom; the
library on a phone (390 px) stays within the screen."""

import os
import random
import re
import uuid

import pytest
from django.utils import translation
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import tenant_context

from engagement.models import Campaign
from lab.evidence.publication import evidence_publish
from methodology.models import EvidenceCell, EvidenceContribution, Template
from methodology.selectors import latest_published
from methodology.services import library_load
from tenants.models import Organisation, User
from tenants.services import organisation_provision
from tests.conftest import PASSWORD, drop_organisation
from tests.e2e.journey import check_page, tenant_url
from tests.factories import ProgrammeFactory, make_campaign_with_slot
from tests.tenants.test_logins import totp_now

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("JOURNEY_SHOTS")
SLUG = "beach-clean-up"


def t(lang: str, text: str) -> str:
    with translation.override(lang):
        return translation.gettext(text)


def _contributions(count: int) -> None:
    rng = random.Random(9)  # noqa: S311 - test data
    for index in range(count):
        for lever, sent in (("", 90), ("social_proof", 50), ("deadline", 40)):
            EvidenceContribution.objects.create(
                organisation_key=f"journey-{index}", kind="company",
                size_band="medium" if index == count - 1 else "small",
                template=SLUG, lever=lever, campaigns=4 if not lever else 0,
                decided=4 if not lever else 0, reached=rng.randint(2, 4) if not lever else 0,
                sent=sent, pledged=rng.randint(sent // 5, sent // 2), attended=sent // 6,
                people=sent - 5)


@pytest.fixture
def client_space(django_db_blocker):
    tag = uuid.uuid4().hex[:6]
    with django_db_blocker.unblock():
        library_load()
        organisation = organisation_provision(
            name="Acme Évidence", slug=f"evidence-{tag}", owner_email=f"rse@{tag}.example",
            owner_password=PASSWORD, owner_name="Claire RSE", locale="fr", kind="company")
        with tenant_context(organisation):
            programme = ProgrammeFactory(
                template_version=latest_published(Template.objects.get(slug=SLUG)))
            for days, status in ((-40, "succeeded"), (-30, "succeeded"), (-20, "completed"),
                                 (-10, "failed")):
                make_campaign_with_slot(programme, days=days, hours=2,
                                        status=Campaign.Status(status))
        consultant = User.objects.create_user(email=f"consultant-{tag}@fullmobs.example",
                                              password=PASSWORD, is_consultant=True,
                                              preferred_language="en")
        TOTPDevice.objects.create(user=consultant, name="phone", confirmed=True)
        _contributions(6)
        evidence_publish()
    yield organisation, consultant, programme
    with django_db_blocker.unblock():
        EvidenceContribution.objects.filter(organisation_key__startswith="journey-").delete()
        EvidenceCell.objects.all().delete()
        drop_organisation(Organisation.objects.get(pk=organisation.pk))
        TOTPDevice.objects.filter(user=consultant).delete()
        consultant.delete()


def read(page, name: str) -> None:
    check_page(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/evidence-{name}.png", full_page=True)


def log_in(page, base: str, email: str, lang: str) -> None:
    page.set_default_timeout(60_000)  # a loaded machine: slow pages are not failures here
    page.goto(f"{base}/accounts/login/")
    page.get_by_label(t(lang, "E-mail address")).fill(email)
    page.get_by_label(t(lang, "Password")).fill(PASSWORD)
    page.get_by_role("button", name=t(lang, "Log in")).click()


def success_text(lang: str) -> str:
    cell = EvidenceCell.objects.get(template=SLUG, lever="", channel="", kind="",
                                    size_band="", segment="all")
    with translation.override(lang):
        from core.formatting import percent
        return percent(cell.success_rate)


def test_csr_manager_reads_the_evidence_and_their_own_figures(live_url, open_person,
                                                              client_space,
                                                              django_db_blocker):
    organisation, _consultant, programme = client_space
    base = tenant_url(live_url, organisation.slug)
    page = open_person(lang="fr", device="desktop")
    log_in(page, base, f"rse@{organisation.slug.split('-')[1]}.example", "fr")
    page.wait_for_url(f"{base}/")
    with django_db_blocker.unblock():
        rate = success_text("fr")
    page.goto(f"{base}/methodology/")
    read(page, "1366-fr-library")
    # The benchmark, named: the same on the library, the template page and the dashboard.
    label = "(même modèle, entreprises, 6 organisations)"
    assert page.locator(".evidence-line", has_text=label).count() == 1
    page.goto(f"{base}/methodology/{SLUG}/")
    section = page.locator("section.evidence")
    text = section.inner_text()
    assert f"ont atteint leur objectif dans {rate} des cas {label}" in text
    assert "IC à 95" in text.replace("\u202f", " ").replace("\xa0", " ")
    plain = rate.replace("\u202f", " ").replace("\xa0", " ")
    assert (f"Vos campagnes : 3 sur 4 ont atteint leur objectif (75 %) — référence {plain} "
            f"{label}") in text.replace("\u202f", " ").replace("\xa0", " ")
    assert "Preuve sociale" in text and "Date limite de mobilisation" in text
    assert "social_proof" not in text
    read(page, "1366-fr-template")
    page.goto(f"{base}/dashboard/programmes/{programme.pk}/")
    own = page.locator(".evidence-own").inner_text().replace("\u202f", " ").replace(
        "\xa0", " ")
    assert "3 sur 4" in own and f"référence {plain} {label}" in own
    read(page, "1366-fr-dashboard")


def test_consultant_sees_what_worked_for_whom(live_url, open_person, client_space,
                                              django_db_blocker):
    _organisation, consultant, _programme = client_space
    page = open_person(lang="en", device="desktop")
    log_in(page, live_url, consultant.email, "en")
    page.wait_for_url(re.compile(rf"{re.escape(live_url)}/accounts/two-factor/verify/"))
    with django_db_blocker.unblock():
        code = totp_now(TOTPDevice.objects.get(user=consultant))
    page.get_by_label(t("en", "Code from your authenticator app")).fill(code)
    page.get_by_role("button", name=t("en", "Confirm")).click()
    page.wait_for_url(f"{live_url}/accounts/")
    page.goto(f"{live_url}/console/{SLUG}/")
    panel = page.locator("section.what-worked")
    text = panel.inner_text()
    assert "What worked for whom" in text and "Companies" in text
    rows = panel.locator("details").first.locator("tbody tr")
    assert rows.count() == 2
    assert "Social proof" in text and "Deadline" in text.title()
    # One company of medium size: its cells are under the threshold, and the small ones
    # are suppressed with them (else "all companies" minus "small" would give it away).
    # (the size bands are folded: their text is read from the page's content)
    # Nothing published for a size band: one line, no heading over an empty table.
    small = panel.locator(".what-worked-empty", has_text="fewer than 250 people")
    assert "not enough organisations yet" in small.inner_text()
    assert "reached their target" not in small.inner_text()
    assert panel.locator("details", has_text="fewer than 250 people").count() == 0
    assert SLUG not in page.locator("h1").inner_text()
    read(page, "1366-en-console")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_library_on_a_phone(live_url, open_person, client_space, lang):
    organisation, _consultant, _programme = client_space
    base = tenant_url(live_url, organisation.slug)
    page = open_person(lang=lang, device="phone")
    log_in(page, base, f"rse@{organisation.slug.split('-')[1]}.example", lang)
    page.wait_for_url(f"{base}/")
    for path in ("/methodology/", f"/methodology/{SLUG}/"):
        page.goto(f"{base}{path}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        read(page, f"390-{lang}-{path.strip('/').replace('/', '-')}")
