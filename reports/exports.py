"""CSV exports for spreadsheets, streamed row by row.

French Excel opens a file as UTF-8 only with a byte-order mark, and splits columns on
semicolons; rows are read from the database in chunks (``iterator``), so a large
organisation's export never sits in memory as a whole.

Participants who did not agree to be contacted appear without name or e-mail, with only
their segment attributes and a stable row id.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from engagement.models import ImpactRecord, Invitation, Participant, Pledge

from .metrics import SENT

BOM = "\ufeff"
CHUNK = 2000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose ``write`` returns the line, for ``csv.writer``."""

    def write(self, value: str) -> str:
        return value


def _cell(value):
    """Text a spreadsheet would run as a formula (a name typed as ``=HYPERLINK(...)``)
    is prefixed with an apostrophe, which Excel and LibreOffice show as plain text."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def csv_lines(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    """The BOM and header, then one semicolon-separated line per row."""
    writer = csv.writer(_Echo(), delimiter=";")
    yield BOM + writer.writerow(header)
    for row in rows:
        yield writer.writerow([_cell(value) for value in row])


def _when(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def participant_rows() -> Iterator[list]:
    participants = (Participant.objects.select_related("team")
                    .annotate(confirmed_pledges=Count(
                        "pledges", filter=Q(pledges__status=Pledge.Status.CONFIRMED)))
                    .order_by("pk"))
    for person in participants.iterator(chunk_size=CHUNK):
        consent = person.consent_to_contact
        yield [person.pk,
               person.email if consent else "",
               person.first_name if consent else "",
               person.last_name if consent else "",
               person.team.name if person.team else "", person.site, person.postcode,
               person.age_band, person.language, person.source,
               "yes" if consent else "no", person.referred_by_id or "",
               person.confirmed_pledges]


PARTICIPANT_HEADER = ["id", "email", "first_name", "last_name", "team", "site", "postcode",
                      "age_band", "language", "source", "consent_to_contact", "referred_by",
                      "confirmed_pledges"]


def pledge_rows() -> Iterator[list]:
    """Pledges name participants by id only: the participants export says who consented."""
    pledges = (Pledge.objects.select_related("slot__campaign__programme", "invitation")
               .order_by("pk"))
    for pledge in pledges.iterator(chunk_size=CHUNK):
        campaign = pledge.slot.campaign
        yield [pledge.pk, campaign.programme.name, campaign.pk, campaign.title,
               _when(pledge.slot.starts_at), _when(pledge.slot.ends_at),
               pledge.participant_id, pledge.status, pledge.attendance, pledge.companions,
               pledge.hours_given,
               pledge.invitation.lever_code if pledge.invitation else "",
               pledge.invitation.channel if pledge.invitation else "",
               _when(pledge.created_at)]


PLEDGE_HEADER = ["id", "programme", "campaign_id", "campaign", "slot_starts", "slot_ends",
                 "participant_id", "status", "attendance", "companions", "hours_given",
                 "lever", "channel", "created"]


def impact_rows() -> Iterator[list]:
    records = (ImpactRecord.objects.select_related("campaign__programme", "indicator")
               .order_by("campaign__starts_at", "campaign_id", "indicator__position"))
    for record in records.iterator(chunk_size=CHUNK):
        indicator = record.indicator
        yield [record.campaign.programme.name, record.campaign_id, record.campaign.title,
               _when(record.campaign.starts_at), indicator.code, indicator.label_fr,
               indicator.label_en, indicator.unit, indicator.sdg, record.value, record.note]


IMPACT_HEADER = ["programme", "campaign_id", "campaign", "campaign_starts", "indicator",
                 "label_fr", "label_en", "unit", "sdg", "value", "note"]


def invitation_rows() -> Iterator[list]:
    """Every invitation recorded, with whether it counts as sent (``metrics.SENT``: a
    participant's personal link counts once shared) and the live pledges made through
    it, so that a spreadsheet finds the dashboard's invitations and conversion."""
    invitations = (Invitation.objects.select_related("campaign__programme")
                   .annotate(sent=Exists(Invitation.objects.filter(SENT, pk=OuterRef("pk"))),
                             live_pledges=Count("pledges", filter=~Q(
                                 pledges__status=Pledge.Status.CANCELLED), distinct=True))
                   .order_by("pk"))
    for invitation in invitations.iterator(chunk_size=CHUNK):
        campaign = invitation.campaign
        yield [invitation.pk, campaign.programme.name, campaign.pk, campaign.title,
               "participant" if invitation.inviter_id else "organiser",
               invitation.channel, invitation.lever_code, _when(invitation.sent_at),
               "yes" if invitation.sent else "no", invitation.open_count,
               invitation.live_pledges]


INVITATION_HEADER = ["id", "programme", "campaign_id", "campaign", "from", "channel", "lever",
                     "recorded", "sent", "opened", "live_pledges"]
