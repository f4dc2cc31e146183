"""One truth for every figure: one organisation's programme, with real pledges,
attendance, companions and invitations, read on the dashboard, through the API, in the
CSV exports and in the PDF report — the same people mobilised, attendance, hours,
invitations and conversion everywhere, each under a label that says what it counts."""

from __future__ import annotations

import csv
import io
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from engagement.models import Campaign, Invitation, Programme
from engagement.services.joining import invitation_record_open
from reports.services import report_render, report_request

from ..conftest import tenant_client
from ..factories import (
    CampaignFactory,
    ParticipantFactory,
    ProgrammeFactory,
    SlotFactory,
    make_pledge,
)
from .test_dashboard_reading import visible_text

# What happened, counted by hand:
# - "Clean-up" (over, 3 h): Ana (+2 companions) and Ben came, Cy did not, Dee never
#   checked in either (pending, the action is over: counted, not attended).
# - "Planting" (over, 2 h): Ana came again (alone); Eve came through Ana's shared link.
# - "Winter drive" (missed its target): Fay pledged; its action never took place.
# People mobilised: Ana, Ben, Cy, Dee, Eve, Fay = 6 (Ana once).
# Attendance: 6 pledges counted (4 of Clean-up, 2 of Planting), 4 attended → 67 %.
# Hours given: Ana 9 (3 h × 3 seats) + Ben 3 + Ana 2 + Eve 2 = 16.
# Invitations sent: the manager's intranet post (Clean-up), Ben's e-mail to Cy, Ana's
# shared link to Planting (opened); Dee's personal link was never shared: 3 sent.
# Pledges through them: Ben (intranet), Cy (Ben's e-mail), Eve (Ana's link) = 3 → 100 %.
MOBILISED, ATTENDANCE, HOURS, SENT, CONVERSION = 6, 67, 16, 3, 100


def _build(owner) -> Programme:
    now = timezone.now()
    programme = ProgrammeFactory(name="One truth", starts_on=(now - timedelta(days=60)).date(),
                                 ends_on=(now + timedelta(days=60)).date(), participant_target=10)

    def campaign(title, days, hours, status=Campaign.Status.COMPLETED):
        start = now - timedelta(days=days)
        created = CampaignFactory(
            programme=programme, title=title, starts_at=start, hours=hours,
            participant_target=3, mobilisation_deadline=start - timedelta(days=2),
            status=status)
        return created, SlotFactory(campaign=created, capacity=20)

    clean, clean_slot = campaign("Clean-up", 20, 3)
    plant, plant_slot = campaign("Planting", 10, 2)
    _failed, failed_slot = campaign("Winter drive", 5, 2, status=Campaign.Status.FAILED)
    people = {name: ParticipantFactory(email=f"{name}@example.test",
                                       first_name=name.capitalize())
              for name in ("ana", "ben", "cy", "dee", "eve", "fay")}
    intranet = Invitation.objects.create(campaign=clean, organiser=owner, channel="intranet",
                                         lever_code="social_proof")
    email = Invitation.objects.create(campaign=clean, inviter=people["ben"], channel="email",
                                      lever_code="personal_invitation",
                                      invitee_email="cy@example.test")
    Invitation.objects.create(campaign=clean, inviter=people["dee"], channel="link_share",
                              lever_code="personal_invitation")  # never shared
    link = Invitation.objects.create(campaign=plant, inviter=people["ana"],
                                     channel="link_share", lever_code="personal_invitation")
    invitation_record_open(campaign=plant, code=link.code)

    def pledge(slot, name, *, attendance="pending", hours=0, companions=0, invitation=None):
        make_pledge(slot, people[name], attendance=attendance, hours=hours,
                    companions=companions, invitation=invitation)

    pledge(clean_slot, "ana", attendance="attended", hours=9, companions=2)
    pledge(clean_slot, "ben", attendance="attended", hours=3, invitation=intranet)
    pledge(clean_slot, "cy", attendance="no_show", invitation=email)
    pledge(clean_slot, "dee")
    pledge(plant_slot, "ana", attendance="attended", hours=2)
    pledge(plant_slot, "eve", attendance="attended", hours=2, invitation=link)
    pledge(failed_slot, "fay")
    return programme


def _number(pattern: str, text: str) -> float:
    match = re.search(pattern, text)
    assert match, (pattern, text[:3000])
    return float(match[1].replace("\xa0", "").replace(",", ""))


def _csv(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"


@pytest.mark.django_db
def test_dashboard_api_exports_and_pdf_give_the_same_figures(org_a, owner_a, tmp_path):
    with tenant_context(org_a):
        programme = _build(owner_a)
        report = report_render(report_id=report_request(
            scope="programme", programme=programme, language="en", user=owner_a).pk)
        assert report.status == "ready", report.error
        pdf_path = Path(tmp_path, "report.pdf")
        pdf_path.write_bytes(report.file.open("rb").read())
    client = tenant_client(org_a, owner_a)

    # The dashboard, as a manager reads it.
    page = visible_text(client.get(f"/dashboard/programmes/{programme.pk}/",
                                   HTTP_ACCEPT_LANGUAGE="en").content.decode())
    dashboard = {
        "mobilised": _number(r"(\d+) people mobilised", page),
        "attendance": _number(r"(\d+)% attendance: 4 of 6 pledges whose action is over "
                              r"or checked in", page),
        "hours": _number(r"(\d+) hours given \(people who came\)", page),
        "sent": _number(r"Invitations sent \(by organisers and participants\) (\d+)", page),
        "conversion": _number(r"Conversion \(pledges / invitations sent\) (\d+)%", page),
    }
    # 6 people and the 2 companions Ana brought to the clean-up.
    assert "8 people, including companions" in page

    # The API.
    api = client.get(f"/api/v1/metrics/programmes/{programme.pk}/").json()
    from_api = {"mobilised": api["participants"]["mobilised"],
                "attendance": round(100 * api["attendance"]["attendance_rate"]),
                "hours": api["hours"]["attended"], "sent": api["invitations"]["sent"],
                "conversion": round(100 * api["invitations"]["conversion"])}

    # The CSV exports, added up as a spreadsheet would.
    pledges = [row for row in _csv(client.get("/dashboard/exports/pledges.csv"))
               if row["Programme"] == "One truth" and row["Status"] == "Confirmed"]
    counted = [row for row in pledges if row["Campaign"] != "Winter drive"]
    invitations = [row for row in _csv(client.get("/dashboard/exports/invitations.csv"))
                   if row["Programme"] == "One truth"]
    sent = [row for row in invitations if row["Counts as sent"] == "Yes"]
    from_csv = {
        "mobilised": len({row["Participant (row)"] for row in pledges}),
        "attendance": round(100 * sum(row["Attendance"] == "Attended" for row in counted)
                            / len(counted)),
        "hours": sum(float(row["Hours given"]) for row in pledges
                     if row["Attendance"] == "Attended"),
        "sent": len(sent),
        "conversion": round(100 * sum(int(row["Pledges through it"]) > 0 for row in sent)
                            / len(sent)),
    }

    # The PDF's text.
    text = subprocess.run(["pdftotext", "-raw", str(pdf_path), "-"], check=True,
                          capture_output=True, text=True).stdout
    text = re.sub(r"[ \t\r\n]+", " ", text)
    from_pdf = {
        "mobilised": _number(r"(\d+) people mobilised", text),
        "attendance": _number(r"(\d+)% attendance: 4 of 6 pledges whose action is over "
                              r"or checked in", text),
        "hours": _number(r"(\d+) hours given \(people who came\)", text),
        "sent": _number(r"(\d+) invitations sent \(by organisers and participants\)", text),
        "conversion": _number(r"(\d+)% of invitations sent turned into a pledge", text),
    }
    truth = {"mobilised": MOBILISED, "attendance": ATTENDANCE, "hours": HOURS, "sent": SENT,
             "conversion": CONVERSION}
    assert dashboard == truth
    assert from_api == truth
    assert from_csv == truth
    assert from_pdf == truth
