"""Calendar invitations in e-mails: a REQUEST with a stable UID on confirmation, an update
with SEQUENCE + 1 when an organiser moves the slot, a CANCEL with the same UID."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context
from icalendar import Calendar

from engagement import links
from engagement.models import OutboundEmail, Participant, Slot
from engagement.services import campaign_join, pledge_cancel

from ..conftest import tenant_client
from ..factories import make_campaign


def invitation(email: OutboundEmail):
    calendar = Calendar.from_ical(email.calendar)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def moved(slot: Slot, hours: int) -> dict[str, str]:
    start = timezone.localtime(slot.starts_at + timedelta(hours=hours))
    end = timezone.localtime(slot.ends_at + timedelta(hours=hours))
    return {f"move-{slot.pk}-starts_at": f"{start:%Y-%m-%dT%H:%M}",
            f"move-{slot.pk}-ends_at": f"{end:%Y-%m-%dT%H:%M}"}


@pytest.mark.django_db
def test_request_then_update_then_cancel_with_one_uid(
        org_a, manager_a, eager, django_capture_on_commit_callbacks):
    with tenant_context(org_a):
        campaign = make_campaign(capacity=1)
        slot = campaign.slots.get()
        with django_capture_on_commit_callbacks(execute=True):
            [pledge] = campaign_join(campaign=campaign, email="lea@example.test",
                                     first_name="Léa", slot_ids=[slot.pk])
            campaign_join(campaign=campaign, email="sam@example.test", slot_ids=[slot.pk])
        lea = Participant.objects.get(email="lea@example.test")
        confirmed = OutboundEmail.objects.get(kind="pledge_confirmed")
        calendar, event = invitation(confirmed)
        uid = f"pledge-{pledge.pk}@{org_a.schema_name}.fullmobs"
        assert calendar["method"] == "REQUEST"
        assert (str(event["uid"]), int(event["sequence"])) == (uid, 0)
        assert event.decoded("dtstart") == slot.starts_at.astimezone(UTC).replace(
            microsecond=0)
        assert event["dtstart"].to_ical().endswith(b"Z")  # in UTC
        assert str(event["attendee"]) == "mailto:lea@example.test"
        assert str(event["organizer"]).startswith("mailto:")
        assert str(event["summary"]) == campaign.title
        # Waiting for a place: no invitation yet.
        assert OutboundEmail.objects.get(kind="pledge_waitlisted").calendar == ""

    # The organiser moves the slot by two hours, twice: each update supersedes the last.
    client = tenant_client(org_a, manager_a)
    for hours, sequence in ((2, 1), (3, 2)):
        with tenant_context(org_a):
            slot.refresh_from_db()
            data = moved(slot, hours)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/campaigns/{campaign.pk}/slots/{slot.pk}/move/", data)
        assert response.status_code == 302
        with tenant_context(org_a):
            update = OutboundEmail.objects.filter(kind="slot_moved").latest("id")
            assert update.participant == lea  # not the person waiting
            _calendar, event = invitation(update)
            assert (str(event["uid"]), int(event["sequence"])) == (uid, sequence)
            slot.refresh_from_db()
            assert event.decoded("dtstart") == slot.starts_at.astimezone(UTC)
            assert slot.sequence == sequence
    with tenant_context(org_a):
        assert OutboundEmail.objects.filter(kind="slot_moved").count() == 2
        token = links.participant_token(lea)
    # The calendar file of the person's page is the same event, at the same SEQUENCE.
    ics = tenant_client(org_a).get(f"/me/{token}/pledges/{pledge.pk}/calendar.ics")
    [event] = Calendar.from_ical(ics.content).walk("VEVENT")
    assert (str(event["uid"]), int(event["sequence"])) == (uid, 2)
    with tenant_context(org_a):
        with django_capture_on_commit_callbacks(execute=True):
            pledge_cancel(pledge=pledge)
        cancelled = OutboundEmail.objects.get(kind="pledge_cancelled")
        calendar, event = invitation(cancelled)
        assert calendar["method"] == "CANCEL" and str(event["status"]) == "CANCELLED"
        assert (str(event["uid"]), int(event["sequence"])) == (uid, 2)


@pytest.mark.django_db
def test_only_managers_of_this_organisation_move_slots(org_a, org_b, viewer_a, owner_b):
    with tenant_context(org_a):
        slot = make_campaign().slots.get()
        data = moved(slot, 1)
    url = f"/campaigns/{slot.campaign_id}/slots/{slot.pk}/move/"
    assert tenant_client(org_a, viewer_a).post(url, data).status_code in (403, 404)
    assert tenant_client(org_b, owner_b).post(url, data).status_code == 404
    with tenant_context(org_a):
        assert Slot.objects.get(pk=slot.pk).sequence == 0
