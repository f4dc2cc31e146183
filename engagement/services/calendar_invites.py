"""Calendar invitations carried by e-mails (iCalendar, RFC 5545, with iTIP's METHOD,
RFC 5546): a REQUEST when a pledge is confirmed, reminded or its slot moves, a CANCEL when
it is cancelled.

One event per pledge, whose UID is the pledge's and never changes (the same as the calendar
file of the participant's page), so a calendar updates or removes the entry it already has
instead of adding another. Its SEQUENCE is the slot's: moving the slot raises it, so the
newer REQUEST wins. Times are written in UTC (``...Z``), which every client reads without a
VTIMEZONE and shows in the reader's own zone.
"""

from __future__ import annotations

from datetime import UTC
from email.utils import parseaddr
from typing import Literal

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from core.tenancy import current_organisation, current_schema

from ..models import Pledge

Method = Literal["REQUEST", "CANCEL"]


def pledge_uid(pledge_id: int) -> str:
    """The event's UID: stable for the pledge's whole life, unique across organisations."""
    return f"pledge-{pledge_id}@{current_schema()}.fullmobs"


def pledge_calendar(*, pledge: Pledge, method: Method, url: str = "") -> str:
    """The iCalendar text of one pledge's event, for ``OutboundEmail.calendar``."""
    slot, campaign, participant = pledge.slot, pledge.slot.campaign, pledge.participant
    calendar = Calendar()
    calendar.add("prodid", "-//Fullmobs//fullmobs//")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", pledge_uid(pledge.pk))
    event.add("sequence", slot.sequence)
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("dtstart", slot.starts_at.astimezone(UTC))
    event.add("dtend", slot.ends_at.astimezone(UTC))
    # In the participant's language (or the other one when the organisers wrote only that).
    event.add("summary", " ".join(campaign.localized("title", participant.language)
                                  .text.split()))
    if campaign.place:
        event.add("location", " ".join(campaign.place.split()))
    if url:
        event.add("url", url)
        event.add("description", url)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    organiser = vCalAddress(f"mailto:{parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}")
    organiser.params["cn"] = vText(current_organisation().name)
    event.add("organizer", organiser)
    attendee = vCalAddress(f"mailto:{participant.email}")
    if participant.display_name != participant.email:
        attendee.params["cn"] = vText(participant.display_name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    # The person pledged already: nothing to answer, their calendar just holds the date.
    attendee.params["partstat"] = vText("DECLINED" if method == "CANCEL" else "ACCEPTED")
    attendee.params["rsvp"] = vText("FALSE")
    event.add("attendee", attendee)
    calendar.add_component(event)
    text: str = calendar.to_ical().decode()
    return text
