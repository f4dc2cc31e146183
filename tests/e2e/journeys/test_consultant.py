"""A Fullmobs consultant at a desk (1,366 px), in English and in French: logs in on the public
site, opens the methodology console, authors a new template with the form (sentences with
colons typed as they are), publishes it after the confirmation that says it is final, logs
accompaniment time and corrects it, opens My spaces, enters a client's space (which links
back to the console) and writes commentary on a report."""

import os
import re
import uuid

import pytest
from django.db import connection
from django.utils import translation
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import tenant_context

from billing.catalogue import options
from billing.models import ConsultantTime, Subscription
from methodology.models import Template
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
    """What the person reads for a message of the catalogue, in their language."""
    with translation.override(lang):
        return translation.gettext(text)


@pytest.fixture
def desk(django_db_blocker, request):
    """A consultant accompanying one client (all options paid) that has a report."""
    lang = request.node.callspec.params["lang"]
    tag = uuid.uuid4().hex[:6]
    slug = f"client-{lang}-{tag}"
    with django_db_blocker.unblock():
        organisation = organisation_provision(
            name="Ville de Lorient" if lang == "fr" else "Harbour Foods", slug=slug,
            owner_email=f"owner@{slug}.example", owner_password=PASSWORD,
            owner_name="Owner", locale=lang, status=Organisation.Status.ACTIVE,
            kind="local_authority" if lang == "fr" else "company")
        Subscription.objects.create(organisation=organisation, plan="territory",
                                    options=sorted(options()), stripe_status="active")
        consultant = User.objects.create_user(email=f"consultant-{tag}@fullmobs.example",
                                              password=PASSWORD, is_consultant=True,
                                              full_name="Camille Conseil")
        ConsultantAssignment.objects.create(consultant=consultant, organisation=organisation)
        # Consultants log in with a second factor: their authenticator app is set up.
        TOTPDevice.objects.create(user=consultant, name="phone", confirmed=True)
        with tenant_context(organisation):
            campaign = make_campaign(capacity=30, target=12)
            Report.objects.create(
                scope=Report.Scope.PROGRAMME, programme=campaign.programme, language=lang,
                title="Rapport d’impact : le programme" if lang == "fr"
                else "Impact report: the programme",
                status=Report.Status.READY, pages=4)
        connection.set_schema_to_public()
    yield organisation, consultant, tag
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        ConsultantTime.objects.filter(consultant=consultant).delete()
        ConsultantAccess.objects.filter(consultant=consultant).delete()
        # Published versions never change: a trigger refuses even a delete. The test's own
        # template is removed with triggers off (this session only).
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
            try:
                Template.objects.filter(slug__endswith=tag).delete()
            finally:
                cursor.execute("SET session_replication_role = origin")
        drop_organisation(Organisation.objects.get(pk=organisation.pk))
        consultant.delete()


def read(page, lang: str, name: str) -> None:
    check_page(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/consultant-1366-{lang}-{name}.png", full_page=True)


def fill(page, values: dict[str, str]) -> None:
    for name, value in values.items():
        page.locator(f'[name="{name}"]').fill(value)


def op(page, value: str) -> None:
    """Add, remove or move an item of the template (a round trip, nothing saved yet)."""
    with page.expect_navigation():
        page.locator(f'button[name="op"][value="{value}"]').click()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_consultant_authors_publishes_logs_time_and_comments(live_url, open_person, desk,
                                                             django_db_blocker, lang):
    organisation, consultant, tag = desk
    page = open_person(lang=lang, device="desktop")

    # Logs in on the public site; lands on My spaces.
    page.goto(f"{live_url}/")
    page.get_by_role("link", name=t(lang, "Log in"), exact=True).first.click()
    read(page, lang, "1-login")
    page.get_by_label(t(lang, "E-mail address")).fill(consultant.email)
    page.get_by_label(t(lang, "Password")).fill(PASSWORD)
    page.get_by_role("button", name=t(lang, "Log in")).click()
    page.wait_for_url(re.compile(rf"{re.escape(live_url)}/accounts/two-factor/verify/"))
    read(page, lang, "1b-code")
    with django_db_blocker.unblock():
        code = totp_now(TOTPDevice.objects.get(user=consultant))
    page.get_by_label(t(lang, "Code from your authenticator app")).fill(code)
    page.get_by_role("button", name=t(lang, "Confirm")).click()
    page.wait_for_url(f"{live_url}/accounts/")

    # The console, then a new template in the form.
    page.get_by_role("link", name=t(lang, "Methodology console")).first.click()
    page.wait_for_url(f"{live_url}/console/")
    read(page, lang, "2-console")
    page.get_by_role("button", name=t(lang, "New template")).click()
    page.wait_for_url(f"{live_url}/console/new/")
    read(page, lang, "3-new-form")
    for _ in range(3):
        op(page, "add:levers")
    op(page, "add:indicators")
    op(page, "add:survey.after_action")
    op(page, "add:survey.follow_up")
    assert page.get_by_text(t(lang, "Not saved yet: press “Save draft” to keep this change.")
                            ).is_visible()
    fill(page, {
        "slug": f"solidarity-day-{tag}",
        "title.fr": "Journée solidaire : nos équipes", "title.en": "Solidarity day: our teams",
        "summary.fr": "Une journée : trois heures, un objectif commun.",
        "summary.en": "One day: three hours, one shared goal.",
        "phases[0].steps[0].title.fr": "Choisir l’association : avec qui agir",
        "phases[0].steps[0].title.en": "Choose the charity: who we act with",
        "phases[0].steps[0].guidance.fr": "Réunissez le comité : une heure suffit.",
        "phases[0].steps[0].guidance.en": "Gather the committee: one hour is enough.",
        "survey.after_action[0].text.fr": "Note : reviendriez-vous ?",
        "survey.after_action[0].text.en": "Score: would you come again?",
        "survey.follow_up[0].text.fr": "Trois mois après : avez-vous continué ?",
        "survey.follow_up[0].text.en": "Three months on: did you keep going?",
    })
    for i in range(3):
        fill(page, {f"levers[{i}].note.fr": f"Usage {i + 1} : en réunion d’équipe.",
                    f"levers[{i}].note.en": f"Use {i + 1}: in team meetings."})
    for kind in ("invitation", "reminder_d7", "reminder_d1", "thank_you", "impact_recap",
                 "follow_up_survey"):
        page.locator(f"#f-messages-{kind.replace('_', '-')}").evaluate("e => e.open = true")
        fill(page, {f"messages.{kind}.subject.fr": "{campaign_title} : le rendez-vous",
                    f"messages.{kind}.subject.en": "{campaign_title}: the meeting",
                    f"messages.{kind}.body.fr": "Bonjour {participant_first_name} : {link}",
                    f"messages.{kind}.body.en": "Hello {participant_first_name}: {link}"})
    page.locator('button[name="save"]').first.click()
    page.wait_for_url(f"{live_url}/console/solidarity-day-{tag}/v1/edit/")
    assert page.get_by_text(t(lang, "Draft saved.")).is_visible()
    assert page.locator("#editor-issues").count() == 0  # complete: nothing to fix
    assert page.locator('[name="title.en"]').input_value() == "Solidarity day: our teams"
    read(page, lang, "4-draft-saved")

    # Publishing asks first, and says it is final.
    page.locator('button[name="preview"]').first.click()
    page.wait_for_url(f"{live_url}/console/solidarity-day-{tag}/v1/")
    read(page, lang, "5-preview")
    page.get_by_role("button", name=t(lang, "Publish…")).click()
    page.wait_for_url(f"{live_url}/console/solidarity-day-{tag}/v1/publish/")
    assert page.get_by_text(t(lang, "Publishing is final.")).is_visible()
    read(page, lang, "6-confirm")
    with translation.override(lang):
        publish = translation.gettext("Publish version %(n)s, for good") % {"n": 1}
    page.get_by_role("button", name=publish).click()
    page.wait_for_url(f"{live_url}/console/solidarity-day-{tag}/v1/")
    assert page.get_by_text(t(lang, "Version %(number)s is published.") % {"number": 1}
                            ).is_visible()
    read(page, lang, "7-published")

    # Accompaniment time: logged, then corrected.
    page.goto(f"{live_url}/console/")
    page.get_by_role("button", name=t(lang, "Accompaniment time")).click()
    page.wait_for_url(f"{live_url}/console/time/")
    page.get_by_label(t(lang, "Organisation")).select_option(organisation.slug)
    page.get_by_label(t(lang, "Minutes")).fill("90")
    page.get_by_label(t(lang, "What was done")).fill("Atelier : lancement" if lang == "fr"
                                                     else "Workshop: kick-off")
    page.get_by_role("button", name=t(lang, "Log"), exact=True).click()
    page.wait_for_url(f"{live_url}/console/time/")
    read(page, lang, "8-time-logged")
    page.locator("table.time-log tbody tr").first.get_by_role("link").click()
    page.wait_for_url(re.compile(rf"{re.escape(live_url)}/console/time/\d+/$"))
    read(page, lang, "9-time-correct")
    page.get_by_label(t(lang, "Minutes")).fill("60")
    page.get_by_role("button", name=t(lang, "Save the correction")).click()
    page.wait_for_url(f"{live_url}/console/time/")
    assert page.get_by_text(t(lang, "The entry is corrected.")).is_visible()
    first_row = page.locator("table.time-log tbody tr").first
    assert first_row.locator("td").nth(2).inner_text().strip() == "60"

    # My spaces: the client's state, then its space.
    page.get_by_role("link", name=t(lang, "My spaces")).first.click()
    page.wait_for_url(f"{live_url}/accounts/")
    read(page, lang, "10-my-spaces")
    row = page.locator("table.spaces tbody tr", has_text=organisation.name)
    assert t(lang, "Active") in row.inner_text()
    assert "60 minutes" in row.inner_text()
    row.get_by_role("link", name=organisation.name).click()
    base = tenant_url(live_url, organisation.slug)
    page.wait_for_url(re.compile(rf"^{re.escape(base)}/"))
    read(page, lang, "11-client-space")
    console = page.get_by_role("link", name=t(lang, "Methodology console")).first
    assert console.get_attribute("href").endswith("/console/")

    # Commentary on the client's report.
    page.goto(f"{base}/reports/")
    read(page, lang, "12-reports")
    page.get_by_role("link", name=t(lang, "Commentary"), exact=True).first.click()
    page.wait_for_url(re.compile(r"/reports/commentary/"))
    read(page, lang, "13-commentary")
    page.locator("textarea").first.fill(
        "Mobilisation forte : 12 personnes sur 12." if lang == "fr"
        else "Strong mobilisation: 12 people out of 12.")
    page.get_by_role("button", name=t(lang, "Save the commentary")).click()
    page.wait_for_url(re.compile(r"/reports/commentary/"))
    assert page.get_by_text(t(lang, "Commentary saved: the next report on this subject "
                               "shows it.")).is_visible()
    read(page, lang, "14-commentary-saved")

    # Back to the console from the client's space.
    page.get_by_role("link", name=t(lang, "Methodology console")).first.click()
    page.wait_for_url(f"{live_url}/console/")
