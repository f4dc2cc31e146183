"""A participant's rights over their data: a copy of everything held about them (access and
portability), and erasure, by the person on their own page or by an organiser.

The export is written in the person's language (headers and values: statuses, channels and
levers by name, never a catalogue code) and holds nothing about anyone else: of the
invitations they sent, how many people joined through each, never who.

Erasure blanks every field named in a tenant model's ``PERSONAL_FIELDS`` on the rows that
belong to the person, in one transaction, and keeps the anonymous facts (pledges, hours,
attendance, who brought whom, consent records as proof) so that no figure changes.
tests/engagement/test_privacy_fields.py fails when a model gains a text field that is
neither personal nor declared not personal.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime
from decimal import Decimal
from typing import Any, TypedDict

from django.db import transaction
from django.db.models import Count, Model, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.i18n import language
from core.tenancy import current_organisation
from methodology.models import Lever, QuestionKind

from ..models import (
    Channel,
    ConsentRecord,
    EmailDeliverability,
    Invitation,
    OutboundEmail,
    Participant,
    Pledge,
    PrivacyLog,
    SurveyAnswer,
)
from .bulk_jobs import bulk_jobs_erase_person
from .consent import consent_record
from .profile_links import participant_profile_unlink

Value = str | int | None


class Section(TypedDict):
    key: str
    title: str
    columns: list[str]
    rows: list[dict[str, Value]]


class Export(TypedDict):
    organisation: str
    exported_at: str
    language: str
    sections: list[Section]


def _when(moment: datetime | None) -> str:
    """A date and time in the organisation's time zone, as ISO 8601 without seconds."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _yes(value: bool) -> str:
    return _("yes") if value else _("no")


def _hours(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text.replace(".", ",") if language() == "fr" else text


def _section(key: str, title: str, columns: list[str], rows: list[list[Value]]) -> Section:
    return {"key": key, "title": title, "columns": columns,
            "rows": [dict(zip(columns, row, strict=True)) for row in rows]}


def _identity(participant: Participant) -> Section:
    columns = [_("E-mail address"), _("First name"), _("Last name"), _("Language"),
               _("Team"), _("Site"), _("Postcode"), _("Age band"),
               _("Agrees to be contacted"), _("How you joined"), _("Joined on"),
               _("Last action"), _("Unsubscribed on"),
               _("People who joined through your link")]
    row: list[Value] = [
        participant.email, participant.first_name, participant.last_name,
        {"fr": _("French"), "en": _("English")}.get(language(participant.language), ""),
        participant.team.name if participant.team else "", participant.site,
        participant.postcode, participant.age_band, _yes(participant.consent_to_contact),
        participant.get_source_display(), _when(participant.created_at),
        _when(participant.last_active_at), _when(participant.unsubscribed_at),
        participant.referrals.count()]
    return _section("identity", _("Who you are"), columns, [row])


def _pledges(participant: Participant) -> Section:
    columns = [_("Campaign"), _("Starts"), _("Ends"), _("Status"), _("Companions"),
               _("Companions' first names"), _("Attendance"), _("Hours given"),
               _("Checked in at"), _("Pledged on")]
    pledges = (Pledge.objects.filter(participant=participant)
               .select_related("slot__campaign").order_by("slot__starts_at", "pk"))
    return _section("pledges", _("Pledges"), columns, [
        [p.slot.campaign.localized("title").text, _when(p.slot.starts_at), _when(p.slot.ends_at),
         p.get_status_display(), p.companions, p.companion_names, p.get_attendance_display(),
         _hours(p.hours_given), _when(p.checked_in_at), _when(p.created_at)]
        for p in pledges])


def _invitations(participant: Participant) -> Section:
    """Invitations the person sent: through which channel and lever, and how many people
    joined through each (a count: who they are is theirs)."""
    columns = [_("Campaign"), _("Channel"), _("Lever"), _("Sent on"),
               _("Times opened"), _("People who joined through it")]
    levers = {lever.code: lever.tr("name") for lever in Lever.objects.all()}
    channels = dict(Channel.choices)
    invitations = (Invitation.objects.filter(inviter=participant).select_related("campaign")
                   .annotate(joined=Count("pledges__participant", distinct=True,
                                          filter=~Q(pledges__participant=participant)))
                   .order_by("sent_at", "pk"))
    return _section("invitations", _("Invitations you sent"), columns, [
        [i.campaign.localized("title").text, str(channels.get(i.channel, _("Other"))),
         levers.get(i.lever_code, _("Other")), _when(i.sent_at), i.open_count, i.joined]
        for i in invitations])


def _answers(participant: Participant) -> Section:
    columns = [_("Campaign"), _("Question"), _("Answer"), _("Answered on")]
    answers = (SurveyAnswer.objects.filter(participant=participant)
               .select_related("campaign", "question").order_by("answered_at", "pk"))
    yes_no = {"yes": _("yes"), "no": _("no")}
    return _section("survey_answers", _("Survey answers"), columns, [
        [a.campaign.localized("title").text, a.question.tr("text"),
         yes_no.get(a.answer, a.answer) if a.question.kind == QuestionKind.YES_NO
         else a.answer, _when(a.answered_at)]
        for a in answers])


def _consents(participant: Participant) -> Section:
    columns = [_("Recorded on"), _("Purpose"), _("Choice"), _("How"), _("Wording shown"),
               _("Wording version")]
    records = ConsentRecord.objects.filter(participant=participant).order_by("recorded_at",
                                                                            "pk")
    return _section("consents", _("Consents"), columns, [
        [_when(r.recorded_at), r.get_purpose_display(),
         _("given") if r.given else _("withdrawn"), r.get_source_display(), r.wording,
         r.wording_version]
        for r in records])


def _emails(participant: Participant) -> Section:
    columns = [_("Created on"), pgettext("e-mail", "Sent on"), _("Subject"), _("Status")]
    # With those sent to their address before they joined (an e-mail invitation).
    emails = OutboundEmail.objects.filter(
        Q(participant=participant) | Q(to_email__iexact=participant.email)
    ).order_by("created_at", "pk")
    return _section("emails", _("E-mails sent to you"), columns, [
        [_when(e.created_at), _when(e.sent_at), e.subject, e.get_status_display()]
        for e in emails])


def _log(kind: str, actor: str, now: datetime | None = None) -> None:
    PrivacyLog.objects.create(kind=kind, actor=actor, count=1, at=now or timezone.now())


def participant_export(*, participant: Participant, actor: str | None = None,
                       in_language: str | None = None) -> Export:
    """Everything the organisation holds about the person, JSON-able, in ``in_language``
    (the page the person reads it from) or else in the person's own language.
    With ``actor`` (a PrivacyLog.Actor value), the export is counted in the privacy log."""
    lang = language(in_language or participant.language)
    with translation.override(lang):
        export: Export = {
            "organisation": current_organisation().name,
            "exported_at": _when(timezone.now()),
            "language": lang,
            "sections": [_identity(participant), _pledges(participant),
                         _invitations(participant), _answers(participant),
                         _consents(participant), _emails(participant)],
        }
    if actor is not None:
        _log(PrivacyLog.Kind.EXPORT, actor)
    return export


def participant_export_csv(*, participant: Participant, actor: str | None = None,
                           in_language: str | None = None) -> bytes:
    """The export as a zip of one CSV file per section (UTF-8 with a byte-order mark, so
    that spreadsheets read accents), in the language ``participant_export`` chooses."""
    export = participant_export(participant=participant, actor=actor, in_language=in_language)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for number, section in enumerate(export["sections"], start=1):
            text = io.StringIO()
            writer = csv.writer(text)
            writer.writerow(section["columns"])
            for row in section["rows"]:
                writer.writerow(["" if row[c] is None else row[c] for c in section["columns"]])
            archive.writestr(f"{number}-{section['key']}.csv",
                             "\ufeff" + text.getvalue())
    return buffer.getvalue()


def erased_email(participant: Participant) -> str:
    """What the unique e-mail column holds after erasure: no address of anyone, unique."""
    return f"erased-{participant.pk}@erased.invalid"


def _blank(model: type[Model], rows: QuerySet[Any], **overrides: str) -> int:
    """Blank ``model.PERSONAL_FIELDS`` on ``rows`` (a queryset), with ``overrides``."""
    values: dict[str, str] = {name: "" for name in model.PERSONAL_FIELDS}  # type: ignore[attr-defined]
    values.update(overrides)
    return int(rows.update(**values))


def participant_erase(*, participant: Participant, actor: str,
                      now: datetime | None = None) -> None:
    """Erase the person's personal data, keeping the anonymous facts: every field named in
    ``PERSONAL_FIELDS`` is blanked on their rows, their pledges, hours, attendance, the
    links of who brought whom and their consent records (the proof, now of an anonymous
    person) stay, so no figure changes. Erasing twice does nothing the second time.
    ``actor`` is a PrivacyLog.Actor value; the schedule's erasures count as retention."""
    now = now or timezone.now()
    with transaction.atomic():
        person = Participant.objects.select_for_update().get(pk=participant.pk)
        if person.erased_at is not None:
            participant.refresh_from_db()
            return
        address = person.email
        if person.consent_to_contact and actor != PrivacyLog.Actor.SCHEDULE:
            # The withdrawal is recorded like any other (the schedule's erasures of
            # inactive people are not a choice of theirs: erased_at says why).
            consent_record(participant=person, given=False, language=person.language,
                           source=ConsentRecord.Source.OWN_PAGE
                           if actor == PrivacyLog.Actor.PERSON
                           else ConsentRecord.Source.ORGANISER)
        _blank(Invitation, Invitation.objects.filter(
            Q(inviter=person) | Q(invitee_email__iexact=address)))
        _blank(Pledge, Pledge.objects.filter(participant=person))
        # A choice or a score is an anonymous fact; free text may say anything.
        _blank(SurveyAnswer, SurveyAnswer.objects.filter(participant=person,
                                                         question__kind=QuestionKind.TEXT))
        emails = OutboundEmail.objects.filter(Q(participant=person)
                                              | Q(to_email__iexact=address))
        # Nothing waiting in the outbox goes out any more (it would have no address).
        emails.filter(status=OutboundEmail.Status.QUEUED).update(
            status=OutboundEmail.Status.SKIPPED)
        _blank(OutboundEmail, emails, to_email=erased_email(person))
        # What the e-mail provider said of the address goes with it.
        EmailDeliverability.objects.filter(email=address.strip().lower()).delete()
        # The Fullmobs profile's link goes too (and with this transaction only).
        participant_profile_unlink(participant_id=person.pk)
        # A list an organiser uploaded, and its report's errors, quote the address.
        bulk_jobs_erase_person(email=address)
        for name in Participant.PERSONAL_FIELDS:
            setattr(person, name, "")
        person.email = erased_email(person)
        person.erased_at = now
        person.unsubscribed_at = person.unsubscribed_at or now
        person.consent_to_contact = False
        person.save()
        _log(PrivacyLog.Kind.RETENTION_ERASURE if actor == PrivacyLog.Actor.SCHEDULE
             else PrivacyLog.Kind.ERASURE, actor, now)
    participant.refresh_from_db()
