"""The organisation's time zone everywhere: a campaign run by an organisation in Réunion
(UTC+4) and one in Guadeloupe (UTC−4), end to end, while the site's own zone is Paris.

The actions are set at hours whose day differs in Paris (02:00 in Réunion is 23:00 the
evening before in Paris; 21:00 in Guadeloupe is 02:00 the next morning there), so a date or
a time read in any other zone than the organisation's shows up as a wrong day or hour.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, time, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.utils import formats, timezone, translation
from django_tenants.utils import tenant_context

from config.celery import app
from core import zones
from engagement.models import Campaign, EmailKind, OutboundEmail, Pledge
from engagement.tasks import run_engagement_schedule
from reports.services import report_request
from reports.tasks import render_report
from tenants.services import organisation_update

from .conftest import tenant_client
from .factories import ProgrammeFactory
from .reports.test_pdf import pdf_text

# The zone, the local start of the action, and how the forms and pages name the zone.
CASES = [
    pytest.param("Indian/Reunion", time(2, 0), "heure de La Réunion (UTC+4)",
                 "Réunion Time (UTC+4)", id="reunion"),
    pytest.param("America/Guadeloupe", time(21, 0), "heure de l’Atlantique (UTC−4)",
                 "Atlantic Time (UTC−4)", id="guadeloupe"),
]
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
    return tmp_path


def in_schema(task, organisation, *args):
    """Run ``task`` as a worker would: from the public schema, with the organisation's
    schema in the message's headers (tenant-schemas-celery), in a process whose own zone
    is UTC. The task must find its organisation's zone by itself."""
    connection.set_schema_to_public()
    with timezone.override(ZoneInfo("UTC")):
        result = task.apply(args=args, headers={"_schema_name": organisation.schema_name})
        assert timezone.get_current_timezone_name() == "UTC"  # restored after the task
    return result.get()


def errors(response) -> list[str]:
    """What a refused form says, each message with the start of the field it is under."""
    page = response.content.decode()
    return [page[max(0, m.start() - 200):m.end()] for m in
            re.finditer(r'class="errorlist[^"]*"[^>]*>.*?</ul>', page, re.S)]


def local_text(moment: datetime, fmt: str, language: str) -> str:
    with translation.override(language):
        return formats.date_format(moment, fmt)


@pytest.mark.django_db
@pytest.mark.parametrize(("zone", "start_time", "name_fr", "name_en"), CASES)
def test_a_campaign_runs_in_its_organisations_time_zone_end_to_end(
        zone, start_time, name_fr, name_en, org_a, owner_a, eager,
        django_capture_on_commit_callbacks):
    tz = ZoneInfo(zone)
    organisation_update(organisation=org_a, name=org_a.name, locale="fr", time_zone=zone,
                        brand_colour=org_a.brand_colour)
    day = (timezone.now().astimezone(tz) + timedelta(days=20)).date()
    start = datetime.combine(day, start_time, tzinfo=tz)
    end, deadline = start + timedelta(hours=3), start - timedelta(days=3)
    assert start.astimezone(PARIS).date() != day  # another day in Paris
    with tenant_context(org_a):
        programme = ProgrammeFactory(starts_on=day - timedelta(days=60),
                                     ends_on=day + timedelta(days=60))

    # 1. The organiser creates it through the form, typing local times; the form says
    # which zone they are in.
    owner = tenant_client(org_a, owner_a)
    new_url = f"/programmes/{programme.pk}/campaigns/new/"
    form_page = owner.get(new_url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert f"Heure locale : {name_fr}." in form_page
    assert f"Local time: {name_en}." in owner.get(
        new_url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    local = "%Y-%m-%dT%H:%M"
    response = owner.post(new_url, {
        "title": "Nettoyage du littoral", "description": "", "place": "Plage",
        "starts_at": start.strftime(local), "ends_at": end.strftime(local),
        "participant_target": 1, "capacity": 10, "visibility": "public",
        "mobilisation_deadline": deadline.strftime(local), "party_approval_above": 5,
        "freed_seats": "offer",
    })
    assert response.status_code == 302, errors(response)
    with tenant_context(org_a):
        campaign = Campaign.objects.get(title="Nettoyage du littoral")
        slot = campaign.slots.get()
    assert (campaign.starts_at, campaign.ends_at, campaign.mobilisation_deadline) == (
        start, end, deadline)
    assert (slot.starts_at, slot.ends_at) == (start, end)
    # Shown again in local time in the edit form.
    edit = owner.get(f"/campaigns/{campaign.pk}/edit/").content.decode()
    assert f'value="{start.strftime(local)}"' in edit
    assert owner.post(f"/campaigns/{campaign.pk}/open/").status_code == 302

    # 2. The public page shows local times and names the zone, whatever the reader's.
    visitor = tenant_client(org_a)
    page = visitor.get(f"/c/{campaign.code}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert local_text(start, "DATETIME_FORMAT", "en") in page
    assert f"Times in {name_en}." in page
    assert local_text(start.astimezone(PARIS), "DATETIME_FORMAT", "en") not in page

    # 3. A participant joins (in French); the confirmation e-mail has the local date and
    # time, and the e-mail is composed by the outbox's task in the organisation's zone.
    with django_capture_on_commit_callbacks(execute=True):
        joined = visitor.post(f"/c/{campaign.code}/join/", {
            "email": "lea@example.test", "first_name": "Léa", "slots": [slot.pk],
            "companions": 0}, HTTP_ACCEPT_LANGUAGE="fr")
    assert joined.status_code == 302
    me = joined["Location"]
    with tenant_context(org_a):
        pledge = Pledge.objects.get(participant__email="lea@example.test")
        confirmation = OutboundEmail.objects.get(kind=EmailKind.PLEDGE_CONFIRMED)
    with translation.override("fr"):
        date_fr = formats.date_format(start, "l j F Y")
    time_local = start.strftime("%H:%M")
    assert date_fr in confirmation.body and time_local in confirmation.body
    assert start.astimezone(PARIS).strftime("%H:%M") not in confirmation.body
    assert any(date_fr in message.body for message in mail.outbox)

    # 4. Her own page and the calendar file: local on the page, UTC in the file.
    home = visitor.get(me, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert local_text(start, "DATETIME_FORMAT", "fr") in home and name_fr in home
    ics = visitor.get(f"{me}pledges/{pledge.pk}/calendar.ics").content.decode()
    utc = "%Y%m%dT%H%M%SZ"
    assert f"DTSTART:{start.astimezone(ZoneInfo('UTC')).strftime(utc)}" in ics
    assert f"DTEND:{end.astimezone(ZoneInfo('UTC')).strftime(utc)}" in ics
    assert "TZID" not in ics
    public_ics = visitor.get(f"/c/{campaign.code}/calendar.ics").content.decode()
    assert f"DTSTART:{start.astimezone(ZoneInfo('UTC')).strftime(utc)}" in public_ics

    # 5. The D-1 reminder falls due 24 hours before, the evening or night before in local
    # terms, run by the schedule's task as the beat queues it; it says the local day.
    def schedule_at(moment):
        with mock.patch("django.utils.timezone.now", return_value=moment), \
                django_capture_on_commit_callbacks(execute=True):
            return in_schema(run_engagement_schedule, org_a)

    def reminders_d1() -> list[OutboundEmail]:
        with tenant_context(org_a):
            return list(OutboundEmail.objects.filter(kind=EmailKind.REMINDER_D1))

    schedule_at(start - timedelta(days=1, minutes=5))
    assert reminders_d1() == []
    due = start - timedelta(days=1) + timedelta(minutes=5)
    assert due.astimezone(tz).date() == day - timedelta(days=1)
    schedule_at(due)
    [reminder] = reminders_d1()
    assert reminder.subject == "C’est demain : « Nettoyage du littoral »"
    assert date_fr in reminder.body and time_local in reminder.body

    # 6. The PDF report, rendered by a worker, prints the local day.
    with tenant_context(org_a):
        report = report_request(scope="campaign", campaign=campaign, language="fr",
                                user=owner_a)
    assert in_schema(render_report, org_a, report.pk) == "ready"
    with tenant_context(org_a):
        report.refresh_from_db()
        with report.file.open("rb") as file:
            text = pdf_text(file.read())
    assert local_text(start, "DATE_FORMAT", "fr") in text
    assert local_text(start.astimezone(PARIS), "DATE_FORMAT", "fr") not in text

    # 7. The CSV export: local times, the zone named in the column's header.
    export = owner.get("/dashboard/exports/pledges.csv", HTTP_ACCEPT_LANGUAGE="fr")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode()
                                       .lstrip("\ufeff")), delimiter=";"))
    header, [row] = rows[0], rows[1:]
    column = header.index(f"Début du créneau ({name_fr})")
    assert row[column] == start.strftime("%Y-%m-%d %H:%M")

    # 8. The API: ISO 8601 with the organisation's offset.
    api = owner.get(f"/api/v1/campaigns/{campaign.pk}/").json()
    assert api["starts_at"] == start.isoformat()
    assert re.search(r"[+-]\d\d:00$", api["slots"][0]["starts_at"])


@pytest.mark.django_db
def test_api_reads_naive_times_in_the_organisations_zone_and_keeps_offsets(
        org_a, owner_a):
    organisation_update(organisation=org_a, name=org_a.name, locale="fr",
                        time_zone="Indian/Reunion", brand_colour=org_a.brand_colour)
    tz = ZoneInfo("Indian/Reunion")
    day = (timezone.now().astimezone(tz) + timedelta(days=30)).date()
    with tenant_context(org_a):
        programme = ProgrammeFactory(starts_on=day - timedelta(days=60),
                                     ends_on=day + timedelta(days=60))
    client = tenant_client(org_a, owner_a)
    created = client.post("/api/v1/campaigns/", {
        "programme": programme.pk, "title": "Plantation", "place": "Saint-Denis",
        "starts_at": f"{day}T08:00", "ends_at": f"{day}T11:00:00Z",
        "participant_target": 5, "mobilisation_deadline": f"{day - timedelta(days=2)}T18:00",
        "visibility": "public"}, content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["starts_at"] == f"{day}T08:00:00+04:00"  # naive: local
    assert body["ends_at"] == f"{day}T15:00:00+04:00"  # 11:00 UTC is 15:00 in Réunion


@pytest.mark.django_db
def test_settings_offer_overseas_and_european_zones_and_refuse_others(org_a, owner_a):
    client = tenant_client(org_a, owner_a)
    page = client.get("/settings/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    for name, label in [("Indian/Reunion", "La Réunion (UTC+4)"),
                        ("America/Guadeloupe", "Guadeloupe (UTC−4)"),
                        ("America/Martinique", "Martinique (UTC−4)"),
                        ("America/Cayenne", "Guyane française (UTC−3)"),
                        ("Indian/Mayotte", "Mayotte (UTC+3)"),
                        ("Pacific/Noumea", "Nouvelle-Calédonie (UTC+11)"),
                        ("Pacific/Tahiti", "Polynésie française (UTC−10)"),
                        ("America/Miquelon", "Saint-Pierre-et-Miquelon"),
                        ("Europe/London", "Royaume-Uni"),
                        ("Europe/Paris", "France")]:
        assert re.search(rf'<option value="{name}"[^>]*>{re.escape(label)}', page), name
    assert 'value="Indian/Reunion"' in page and "Indian/Reunion<" not in page
    form = {"name": org_a.name, "locale": "fr", "allowed_email_domains": "",
            "brand_colour": org_a.brand_colour,
            "participant_retention_months": "", "report_retention_months": ""}
    refused = client.post("/settings/", {**form, "time_zone": "Mars/Olympus"},
                          HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400
    assert "Choose a time zone from the list." in refused.content.decode()
    org_a.refresh_from_db()
    assert org_a.time_zone == "Europe/Paris"
    saved = client.post("/settings/", {**form, "time_zone": "America/Guadeloupe"})
    assert saved.status_code == 302, errors(saved)
    org_a.refresh_from_db()
    assert org_a.time_zone == "America/Guadeloupe"


def test_zone_names_in_both_languages():
    with translation.override("fr"):
        assert zones.zone_name("Indian/Reunion") == "heure de La Réunion (UTC+4)"
        assert zones.zone_name("Europe/Paris") == "heure d’Europe centrale"
        assert zones.offset_label("Asia/Kolkata") == "UTC+5:30"
    with translation.override("en"):
        assert zones.zone_name("America/Cayenne") == "French Guiana Time (UTC−3)"
        assert zones.zone_name("Pacific/Tahiti") == "Tahiti Time (UTC−10)"
    assert zones.offset_label("UTC") == "UTC"


@pytest.mark.django_db
def test_a_task_runs_in_its_organisations_zone_and_the_beat_in_the_sites(
        org_a, org_b, settings):
    org_a.time_zone = "Indian/Reunion"
    org_a.save(update_fields=["time_zone"])

    @app.task(name="tests.time_zone_probe", shared=False)
    def probe() -> str:
        return timezone.get_current_timezone_name()

    assert in_schema(probe, org_a) == "Indian/Reunion"
    assert in_schema(probe, org_b) == org_b.time_zone
    connection.set_schema_to_public()
    with timezone.override(ZoneInfo("UTC")):
        assert probe.apply(headers={"_schema_name": "public"}).get() == settings.TIME_ZONE


@pytest.mark.django_db
def test_a_request_leaves_no_zone_behind(org_a, owner_a, settings):
    org_a.time_zone = "America/Guadeloupe"
    org_a.save(update_fields=["time_zone"])
    assert tenant_client(org_a, owner_a).get("/campaigns/").status_code == 200
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE


def test_a_time_that_summer_time_skips_is_refused_in_words():
    from engagement.forms import SlotForm

    with timezone.override(ZoneInfo("Europe/Paris")), translation.override("en"):
        # 28 March 2027: clocks go from 02:00 to 03:00 in Paris.
        form = SlotForm({"starts_at": "2027-03-28T02:30", "ends_at": "2027-03-28T05:00",
                         "capacity": 5})
        assert not form.is_valid()
        [message] = form.errors["starts_at"]
        assert message.startswith("This time does not exist or occurs twice on that day in "
                                  "Central European Time")
        assert "Europe/Paris" not in message
        assert "Local time: Central European Time." in str(form.fields["starts_at"].help_text)
        ok = SlotForm({"starts_at": "2027-03-28T09:30", "ends_at": "2027-03-28T12:00",
                       "capacity": 5})
        assert ok.is_valid(), ok.errors
        assert ok.cleaned_data["starts_at"] == datetime(2027, 3, 28, 9, 30,
                                                        tzinfo=ZoneInfo("Europe/Paris"))
