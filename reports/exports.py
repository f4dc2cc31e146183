"""CSV exports for spreadsheets, streamed row by row.

French Excel opens a file as UTF-8 only with a byte-order mark, and splits columns on
semicolons; rows are read from the database in chunks (``iterator``), so a large
organisation's export never sits in memory as a whole.

Who appears with name and e-mail follows the one rule of pages and API
(``tenants.access.sees_participant_identity``): owners and managers see everyone;
consultants see only participants who agreed to be contacted; the others appear with
their segment attributes and a stable row id.

A CSV is read by people in a spreadsheet: headers and values are in the requester's
language (statuses, yes/no, levers and channels by name, never a catalogue code), numbers
with that language's decimal mark and no grouping (so French Excel reads them as numbers),
dates as ISO ``YYYY-MM-DD HH:MM`` (which every spreadsheet sorts) in the organisation's time
zone, which each such column's header names ("Slot starts (Réunion Time (UTC+4))"): the
rows are streamed after the view returns, so the view keeps the zone active while they are
(reports.views_dashboard._csv). Programs read the API.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.db.models import Count, Q
from django.utils import formats, timezone
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.i18n import language
from core.zones import zone_name
from engagement.models import Campaign, Channel, ImpactRecord, Participant, Pledge, Skill
from engagement.selectors import invitations_with_funnel

from .formatting import lever_names
from .value import hour_value, pledge_value

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


def csv_lines(header: list, rows: Iterable[list]) -> Iterator[str]:
    """The BOM and header, then one semicolon-separated line per row."""
    writer = csv.writer(_Echo(), delimiter=";")
    yield BOM + writer.writerow([str(label) for label in header])
    for row in rows:
        yield writer.writerow([_cell(value) for value in row])


def _timed(label: Any) -> Any:
    """A date column's header, naming the zone its times are in (read when written out,
    in the zone and language active then)."""
    return format_lazy("{} ({})", label, lazy(zone_name, str)())


def _when(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def _number(value) -> str:
    """"120,5" in French, "120.5" in English: a number to a spreadsheet of that language."""
    return formats.number_format(value, use_l10n=True) if value is not None else ""


def _names() -> tuple[dict, dict]:
    """Levers and channels by code, named in the active language."""
    return lever_names(language()), dict(Channel.choices)


def participant_rows(access=None) -> Iterator[list]:
    """Names and addresses where ``tenants.access.sees_participant_identity`` lets the
    requester see them (the rule of every page and the API); without an access, nobody's.

    One query, read as tuples: no model per row, and the labels (source, yes/no) are
    translated once per export instead of once per row (``get_source_display`` hashed and
    translated every choice for every person, most of the export's time)."""
    from tenants.access import sees_participant_identity

    participants = (Participant.objects
                    .annotate(confirmed_pledges=Count(
                        "pledges", filter=Q(pledges__status=Pledge.Status.CONFIRMED)))
                    .order_by("pk")
                    .values_list("pk", "email", "first_name", "last_name", "team__name",
                                 "site", "postcode", "age_band", "language", "source",
                                 "consent_to_contact", "referred_by_id",
                                 "confirmed_pledges"))
    # Read in the language active while the rows stream (the view keeps the requester's).
    sources = {code: str(label) for code, label in Participant.Source.choices}
    yes_no = {True: _yes_no(True), False: _yes_no(False)}
    named = {consent: sees_participant_identity(access, consented=consent)
             for consent in (True, False)}
    for (pk, email, first_name, last_name, team, site, postcode, age_band, language_,
         source, consent, referred_by, confirmed) in participants.iterator(chunk_size=CHUNK):
        shown = named[bool(consent)]
        yield [pk,
               email if shown else "",
               first_name if shown else "",
               last_name if shown else "",
               team or "", site, postcode,
               age_band, language_, sources.get(source, source),
               yes_no[bool(consent)], referred_by or "",
               confirmed]


PARTICIPANT_HEADER = [gettext_lazy("Row"), gettext_lazy("E-mail"), gettext_lazy("First name"),
                      gettext_lazy("Last name"), gettext_lazy("Team"), gettext_lazy("Site"),
                      gettext_lazy("Postcode"), gettext_lazy("Age band"),
                      gettext_lazy("Language"), gettext_lazy("Source"),
                      gettext_lazy("Agrees to be contacted"),
                      gettext_lazy("Brought by (row)"), gettext_lazy("Confirmed pledges")]


def _title(campaign: Campaign) -> str:
    """The campaign's title in the export's language, or the other one if that is all
    there is (engagement.bilingual)."""
    return campaign.localized("title").text


def _programme(campaign: Campaign) -> str:
    return campaign.programme.localized("name").text


def pledge_rows() -> Iterator[list]:
    """Pledges name participants by id only: the participants export says who consented."""
    pledges = (Pledge.objects.select_related("slot__campaign__programme", "invitation",
                                             "skill", "slot__skill")
               .order_by("pk"))
    levers, channels = _names()
    # Valued like the dashboard's amount (reports.value): the column adds up to it.
    default = hour_value()
    for pledge in pledges.iterator(chunk_size=CHUNK):
        campaign = pledge.slot.campaign
        invitation = pledge.invitation
        yield [pledge.pk, _programme(campaign), campaign.pk, _title(campaign),
               _when(pledge.slot.starts_at), _when(pledge.slot.ends_at),
               pledge.participant_id, pledge.get_status_display(),
               pledge.get_attendance_display(), pledge.companions,
               _number(pledge.hours_given),
               (pledge.skill or pledge.slot.skill or Skill(name="")).name,
               _number(pledge_value(pledge, default)),
               levers.get(invitation.lever_code, _("Other")) if invitation else "",
               channels.get(invitation.channel, _("Other")) if invitation else "",
               _when(pledge.created_at)]


PLEDGE_HEADER = [gettext_lazy("Row"), gettext_lazy("Programme"), gettext_lazy("Campaign (row)"),
                 gettext_lazy("Campaign"), _timed(gettext_lazy("Slot starts")),
                 _timed(gettext_lazy("Slot ends")), gettext_lazy("Participant (row)"),
                 gettext_lazy("Status"), gettext_lazy("Attendance"),
                 gettext_lazy("Companions"), gettext_lazy("Hours given"),
                 gettext_lazy("Skill (skills-based volunteering)"),
                 gettext_lazy("Value of the hours given (€)"),
                 gettext_lazy("Lever"), gettext_lazy("Channel"),
                 _timed(gettext_lazy("Made on"))]


def impact_rows() -> Iterator[list]:
    records = (ImpactRecord.objects.select_related("campaign__programme", "indicator")
               .order_by("campaign__starts_at", "campaign_id", "indicator__position"))
    french = language() == "fr"
    for record in records.iterator(chunk_size=CHUNK):
        indicator = record.indicator
        yield [_programme(record.campaign), record.campaign_id, _title(record.campaign),
               _when(record.campaign.starts_at),
               indicator.label_fr if french else indicator.label_en,
               indicator.unit, indicator.sdg, _number(record.value), record.note]


IMPACT_HEADER = [gettext_lazy("Programme"), gettext_lazy("Campaign (row)"),
                 gettext_lazy("Campaign"), _timed(gettext_lazy("Campaign starts")),
                 gettext_lazy("Indicator"), gettext_lazy("Unit"),
                 gettext_lazy("UN Sustainable Development Goal"), gettext_lazy("Value"),
                 gettext_lazy("Note")]


def invitation_rows() -> Iterator[list]:
    """Every invitation recorded, with whether it counts as sent (``INVITATION_SENT``: a
    participant's personal link counts once shared) and the live pledges made through
    it, so that a spreadsheet finds the dashboard's invitations and conversion."""
    invitations = invitations_with_funnel().select_related("campaign__programme").order_by("pk")
    levers, channels = _names()
    for invitation in invitations.iterator(chunk_size=CHUNK):
        campaign = invitation.campaign
        yield [invitation.pk, _programme(campaign), campaign.pk, _title(campaign),
               _("A participant") if invitation.inviter_id else _("An organiser"),
               channels.get(invitation.channel, _("Other")),
               levers.get(invitation.lever_code, _("Other")), _when(invitation.sent_at),
               _yes_no(invitation.counts_as_sent), invitation.open_count, invitation.pledged]


INVITATION_HEADER = [gettext_lazy("Row"), gettext_lazy("Programme"),
                     gettext_lazy("Campaign (row)"), gettext_lazy("Campaign"),
                     gettext_lazy("Sent by"), gettext_lazy("Channel"), gettext_lazy("Lever"),
                     _timed(gettext_lazy("Recorded")), gettext_lazy("Counts as sent"),
                     gettext_lazy("Times opened"), gettext_lazy("Pledges through it")]


def csrd_rows(figures: dict) -> Iterator[list]:
    """The CSRD figures (``reports.csrd``), one line for the whole organisation, then one
    per site and per team of at least five people."""
    def line(breakdown: str, name: str, row: dict) -> list:
        share = row["share_of_workforce"]
        return [figures["period"]["start"], figures["period"]["end"], breakdown, name,
                row["employees"], figures["workforce_size"] or "",
                _number(round(share * 100, 2)) if share is not None else "",
                _number(row["hours"]), _number(row["hours_per_employee"]),
                _number(row["amount"]), _number(row["skills_based_hours"]),
                _number(row["skills_based_amount"])]

    yield line(str(_("Whole organisation")), "", figures["total"])
    names = {"site": _("Site"), "team": _("Team")}
    for group in figures["groups"]:
        yield line(str(names[group["dimension"]]), group["name"], group)


CSRD_HEADER = [gettext_lazy("Period start"), gettext_lazy("Period end"),
               gettext_lazy("Breakdown"), gettext_lazy("Group"),
               gettext_lazy("Employees who took part"), gettext_lazy("Workforce size"),
               gettext_lazy("Share of the workforce (%)"), gettext_lazy("Hours given"),
               gettext_lazy("Hours per participating employee"),
               gettext_lazy("Value of the hours given (€)"),
               gettext_lazy("Skills-based hours"),
               gettext_lazy("Value of the skills-based hours (€)")]
