"""The organisation's time zone, read by people whose own browsers are elsewhere.

A city in Réunion (UTC+4, no summer time) plans a beach clean-up: its programme lead, on a
desktop (1,366 px) in French with a browser set to Paris time, types the slot at 08:00 local
time; the form says the times are Réunion's, and the campaign page shows 08:00. A
participant on a phone (390 px) in English with a browser set to New York time reads 08:00
and Réunion Time on the public page, joins, and reads 08:00 on their own page. Paris would
be 05:00 and New York 23:00 the evening before: the server renders the organisation's zone,
whatever the browser's."""

import os
import re
import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import formats, timezone, translation
from django.utils.translation import gettext
from django_tenants.utils import tenant_context

from engagement.models import Campaign, Pledge
from tenants.models import Organisation
from tenants.services import organisation_provision
from tests.conftest import PASSWORD, drop_organisation
from tests.e2e.journey import check_page, tenant_url
from tests.factories import ProgrammeFactory

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("JOURNEY_SHOTS")
REUNION = ZoneInfo("Indian/Reunion")
ELSEWHERE = {"organiser": "Europe/Paris", "participant": "America/New_York"}


def t(lang: str, text: str) -> str:
    """A text of the interface as the person reads it."""
    with translation.override(lang):
        return gettext(text)


def shown(moment: datetime, fmt: str, lang: str) -> str:
    with translation.override(lang):
        return formats.date_format(moment, fmt)


@pytest.fixture
def reunion(django_db_blocker):
    """A city in Réunion, in French, with a programme and nothing planned yet."""
    slug = f"saint-denis-{uuid.uuid4().hex[:6]}"
    with django_db_blocker.unblock():
        organisation = organisation_provision(
            name="Ville de Saint-Denis", slug=slug, owner_email=f"lead@{slug}.example",
            owner_password=PASSWORD, owner_name="Léa Payet", locale="fr",
            kind="local_authority", timezone_name="Indian/Reunion")
        day = (timezone.now().astimezone(REUNION) + timedelta(days=20)).date()
        with tenant_context(organisation):
            programme = ProgrammeFactory(name="Littoral propre",
                                         starts_on=day - timedelta(days=30),
                                         ends_on=day + timedelta(days=30))
    yield organisation, programme, day
    with django_db_blocker.unblock():
        drop_organisation(Organisation.objects.get(pk=organisation.pk))


def read(page, name: str) -> None:
    check_page(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/time-zones-{name}.png", full_page=True)


def test_times_are_the_organisations_whatever_the_browsers(live_url, open_person, reunion,
                                                            django_db_blocker):
    organisation, programme, day = reunion
    base = tenant_url(live_url, organisation.slug)
    start = datetime.combine(day, time(8, 0), tzinfo=REUNION)
    end, deadline = start + timedelta(hours=3), start - timedelta(days=2)
    local = "%Y-%m-%dT%H:%M"

    # The programme lead, in French on a desktop, her browser on Paris time.
    lead = open_person(lang="fr", device="desktop", timezone_id=ELSEWHERE["organiser"])
    assert lead.evaluate("() => Intl.DateTimeFormat().resolvedOptions().timeZone") \
        == "Europe/Paris"
    lead.goto(f"{base}/accounts/login/")
    lead.get_by_label(t("fr", "E-mail address")).fill(f"lead@{organisation.slug}.example")
    lead.get_by_label(t("fr", "Password")).fill(PASSWORD)
    lead.get_by_role("button", name=t("fr", "Log in")).click()
    lead.wait_for_url(f"{base}/")
    lead.goto(f"{base}/programmes/{programme.pk}/campaigns/new/")
    zone_fr = "heure de La Réunion (UTC+4)"
    # By their ids: the labels of the texts depend on the space's languages.
    for field, value in [("title", "Nettoyage de la plage"), ("place", "Plage de Boucan Canot"),
                         ("starts_at", start.strftime(local)), ("ends_at", end.strftime(local)),
                         ("participant_target", "10"),
                         ("mobilisation_deadline", deadline.strftime(local)),
                         ("capacity", "20")]:
        lead.locator(f"#id_{field}").fill(value)
    lead.locator("#id_visibility").select_option("public")
    # The zone is said under each date field, inside its label (read with it).
    for field in ("starts_at", "ends_at", "mobilisation_deadline"):
        assert f"Heure locale : {zone_fr}." in lead.locator(
            f"label[for=id_{field}]").inner_text()
    read(lead, "1-organiser-1366-fr-new-campaign")
    lead.get_by_role("button", name=t("fr", "Save")).click()
    lead.wait_for_url(re.compile(rf"{re.escape(base)}/campaigns/\d+/$"))
    with django_db_blocker.unblock(), tenant_context(organisation):
        campaign = Campaign.objects.get(title="Nettoyage de la plage")
        assert (campaign.starts_at, campaign.mobilisation_deadline) == (start, deadline)
        assert campaign.slots.get().starts_at == start
    slots = lead.locator("p.time-zone + table")
    assert shown(start, "SHORT_DATETIME_FORMAT", "fr") in slots.inner_text()
    assert lead.get_by_text(f"Horaires : {zone_fr}.").is_visible()
    read(lead, "2-organiser-1366-fr-campaign")
    lead.get_by_role("button", name=t("fr", "Open for pledges")).click()
    lead.wait_for_load_state("load")

    # A participant, in English on a phone, their browser on New York time.
    person = open_person(lang="en", device="phone", timezone_id=ELSEWHERE["participant"])
    person.goto(f"{base}/c/{campaign.code}/")
    read(person, "3-participant-390-en-campaign")
    text = person.locator("main").inner_text()
    assert shown(start, "DATETIME_FORMAT", "en") in text
    assert "Times in Réunion Time (UTC+4)." in text
    for elsewhere in ELSEWHERE.values():  # neither Paris nor New York
        assert shown(start.astimezone(ZoneInfo(elsewhere)), "DATETIME_FORMAT", "en") \
            not in text
    person.get_by_label(t("en", "E-mail address"), exact=True).fill("sam@reunion.example")
    person.get_by_label(t("en", "First name"), exact=True).fill("Sam")
    slot = person.locator("fieldset.slot-choice input[type=checkbox]").first
    if not slot.is_checked():
        slot.check()
    person.get_by_role("button", name=t("en", "Give my time")).click()
    person.wait_for_url(re.compile(rf"{re.escape(base)}/me/"))
    read(person, "4-participant-390-en-my-pledges")
    mine = person.locator("main").inner_text()
    assert (f"You are in: {shown(start, 'DATETIME_FORMAT', 'en')} – "
            f"{end.astimezone(REUNION):%H:%M}") in mine
    assert "Times in Réunion Time (UTC+4)." in mine
    with django_db_blocker.unblock(), tenant_context(organisation):
        assert Pledge.objects.get(participant__email="sam@reunion.example").slot.starts_at \
            == start


@pytest.mark.parametrize(("lang", "device", "label", "saved"), [
    ("fr", "desktop", "Guadeloupe (UTC−4)", "Paramètres enregistrés."),
    ("en", "phone", "Guadeloupe (UTC−4)", "Settings saved."),
])
def test_the_owner_chooses_the_zone_by_its_name(live_url, open_person, reunion,
                                                django_db_blocker, lang, device, label, saved):
    organisation, _programme, _day = reunion
    base = tenant_url(live_url, organisation.slug)
    owner = open_person(lang=lang, device=device, timezone_id="Asia/Tokyo")
    owner.goto(f"{base}/accounts/login/")
    owner.get_by_label(t(lang, "E-mail address")).fill(f"lead@{organisation.slug}.example")
    owner.get_by_label(t(lang, "Password")).fill(PASSWORD)
    owner.get_by_role("button", name=t(lang, "Log in")).click()
    owner.wait_for_url(f"{base}/")
    owner.goto(f"{base}/settings/")
    zone = owner.locator("#id_time_zone")
    # The space's zone is chosen, named by its place and offset; France overseas first.
    assert zone.locator("option:checked").inner_text() == (
        "La Réunion (UTC+4)" if lang == "fr" else "Réunion (UTC+4)")
    groups = zone.locator("optgroup").evaluate_all("(gs) => gs.map((g) => g.label)")
    assert groups[:2] == [t(lang, "France overseas"), "Europe"]
    read(owner, f"5-owner-{'1366' if device == 'desktop' else '390'}-{lang}-settings")
    zone.select_option(label=label)
    owner.get_by_role("button", name=t(lang, "Save")).first.click()
    owner.get_by_text(saved).wait_for()
    with django_db_blocker.unblock():
        assert Organisation.objects.get(pk=organisation.pk).time_zone == "America/Guadeloupe"
