"""The files the pages hand out: calendar entries (.ics) and QR codes (SVG)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import segno
from django.http import HttpResponse
from django.utils import timezone
from icalendar import Calendar, Event

from core.tenancy import current_schema


def ics_response(events: list[tuple[str, datetime, datetime, str, str]],
                 filename: str, *, sequence: int = 0) -> HttpResponse:
    """A calendar file of ``(uid, start, end, summary, location)`` events. ``sequence`` is
    a moved slot's (its e-mailed invitations' SEQUENCE): a file downloaded after a move
    then replaces the entry instead of losing to the invitation already in the calendar.

    Times are written in UTC (``DTSTART:20260314T050000Z``), whatever zone the datetimes
    come in: every calendar reads them without a VTIMEZONE and shows them in the reader's
    own zone, so an action at 09:00 in Réunion is at 09:00 in a calendar set to Réunion."""
    calendar = Calendar()
    calendar.add("prodid", "-//Fullmobs//fullmobs//")
    calendar.add("version", "2.0")
    for uid, start, end, summary, location in events:
        event = Event()
        event.add("uid", f"{uid}@{current_schema()}.fullmobs")
        event.add("dtstart", start.astimezone(UTC))
        event.add("dtend", end.astimezone(UTC))
        event.add("dtstamp", timezone.now().astimezone(UTC))
        if sequence:
            event.add("sequence", sequence)
        event.add("summary", summary)
        if location:
            event.add("location", location)
        calendar.add_component(event)
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def qr_svg(url: str, *, title: str, scale: int = 8) -> str:
    """A standalone SVG document (namespace, width, height and viewBox), which a browser
    shows as an image, an <img> sizes, and a printer scales without blur."""
    qr = segno.make(url, error="m")
    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", omitsize=True, dark="#1d1d1b", light="#ffffff",
            title=title, xmldecl=True, border=4)
    size = qr.symbol_size(scale=scale, border=4)[0]
    return buffer.getvalue().decode().replace(
        "<svg ", f'<svg width="{size}" height="{size}" ', 1)


def qr_response(svg: str, filename: str) -> HttpResponse:
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
