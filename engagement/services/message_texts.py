"""What the e-mails to participants and invitees say.

The programme's own messages (``ProgrammeMessage``, its copy of the methodology template)
in the recipient's language, with the ``{placeholders}`` of
``methodology.document.PLACEHOLDERS`` filled. Kinds the methodology has no message for
(pledge confirmation, waiting list, promotion, campaign result), and programmes made without
a template, use the project's ``engagement/email/<kind>.txt``, whose first line is the
subject, translated by the catalogue. Every e-mail to a participant ends with their pledges
link and their unsubscribe link.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Max, Sum
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.functional import cached_property
from django.utils.translation import gettext, pgettext

from core.i18n import LANGUAGES
from core.tenancy import current_organisation
from core.zones import organisation_zone
from methodology.document import PLACEHOLDER_RE, PLACEHOLDERS
from methodology.models import SurveyMoment
from tenants.models import Organisation

from .. import links
from ..models import (
    Campaign,
    ImpactRecord,
    Invitation,
    OutboundEmail,
    Participant,
    Pledge,
    ProgrammeMessage,
    ProgrammeSurveyQuestion,
    Slot,
)
from .campaigns import mobilised_count
from .outbox import email_queue

# Units worth printing after a figure; counts (people, trees, bags…) are named by the label.
MEASURE_UNITS = {"kg": "kg", "m": "m", "m²": "m²", "km": "km", "EUR": "€"}

Values = dict[str, Callable[[], object]]


def one_line(text: str) -> str:
    """A value typed in a one-line field, kept on one line: a title or a name holding
    "\r\n" must not end the subject (the template's first line) and start the body."""
    return " ".join(str(text or "").split())


def fill_placeholders(text: str, values: Values) -> str:
    """Replace ``{name}`` for the known placeholder names we have a value for; anything
    else stays as written. (``str.format`` would choke on, or expose attributes through,
    braces in the programme's own text.)"""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in PLACEHOLDERS and name in values:
            return str(values[name]())
        return match.group(0)

    return PLACEHOLDER_RE.sub(replace, text)


def message_language(code: str, fallback: str) -> str:
    """The first of ``code`` and ``fallback`` that is one of the product's languages."""
    for language in (code, fallback):
        if language and language[:2] in LANGUAGES:
            return language[:2]
    return LANGUAGES[0]


def _number(value: Decimal | int | float) -> str:
    value = Decimal(value)
    # 2.50 → "2.5" / "2,5"; 120.00 → "120" (not "1.2E+2").
    value = value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()
    return formats.number_format(value)


def date_text(moment: datetime, time_zone: str) -> str:
    return formats.date_format(timezone.localtime(moment, ZoneInfo(time_zone)), "l j F Y")


def time_text(moment: datetime, time_zone: str) -> str:
    return formats.time_format(timezone.localtime(moment, ZoneInfo(time_zone)))


class CampaignFacts:
    """What messages say about one campaign, read once for a batch of recipients."""

    def __init__(self, campaign: Campaign):
        self.campaign = campaign

    @cached_property
    def organisation(self) -> Organisation:
        organisation: Organisation = current_organisation()
        return organisation

    @cached_property
    def messages(self) -> dict[str, ProgrammeMessage]:
        return {m.kind: m for m in ProgrammeMessage.objects.filter(
            programme_id=self.campaign.programme_id)}

    @cached_property
    def survey_moments(self) -> set[str]:
        return set(ProgrammeSurveyQuestion.objects.filter(
            programme_id=self.campaign.programme_id).values_list("moment", flat=True))

    @cached_property
    def people(self) -> int:
        """Confirmed people before the action, people who came after it."""
        if self.campaign.status != Campaign.Status.COMPLETED:
            return mobilised_count(self.campaign)
        parties = (Pledge.objects.filter(slot__campaign=self.campaign,
                                         attendance=Pledge.Attendance.ATTENDED)
                   .values("participant").annotate(companions=Max("companions")))
        return sum(1 + party["companions"] for party in parties)

    @cached_property
    def total_hours(self) -> Decimal:
        return Pledge.objects.filter(
            slot__campaign=self.campaign, attendance=Pledge.Attendance.ATTENDED,
        ).aggregate(total=Sum("hours_given"))["total"] or Decimal(0)

    @cached_property
    def spots_left(self) -> int:
        return sum(slot.seats_left for slot in Slot.objects.filter(campaign=self.campaign))

    @cached_property
    def impacts(self) -> list[ImpactRecord]:
        return list(ImpactRecord.objects.filter(campaign=self.campaign)
                    .select_related("indicator"))

    def impact_summary(self) -> str:
        """The recorded figures in the active language, or people and hours until some
        are recorded."""
        if not self.impacts:
            return gettext("%(people)s people took part, giving %(hours)s hours") % {
                "people": _number(self.people), "hours": _number(self.total_hours)}
        parts = []
        for record in self.impacts:
            unit = MEASURE_UNITS.get(record.indicator.unit)
            figure = _number(record.value) + (f" {unit}" if unit else "")
            parts.append(pgettext("impact summary", "%(label)s: %(figure)s") % {
                "label": record.indicator.tr("label"), "figure": figure})
        return pgettext("impact summary", "; ").join(parts)


def _inviter_first_name(invitation: Invitation | None, facts: CampaignFacts) -> str:
    """Who invited: the participant, the organiser, or else the organisation itself."""
    if invitation is not None and invitation.inviter is not None:
        inviter = invitation.inviter
        return inviter.first_name or inviter.display_name
    if invitation is not None and invitation.organiser is not None \
            and invitation.organiser.full_name:
        return invitation.organiser.get_short_name()
    return facts.organisation.name


def placeholder_values(facts: CampaignFacts, *, link: Callable[[], str],
                       participant: Participant | None = None, slot: Slot | None = None,
                       invitation: Invitation | None = None,
                       survey_moment: str = SurveyMoment.AFTER_ACTION) -> Values:
    """The placeholders' values, computed only when a text uses them (each at most once),
    and formatted in the language active at that time."""
    campaign = facts.campaign
    time_zone = organisation_zone(facts.organisation)
    starts_at = slot.starts_at if slot is not None else campaign.starts_at
    values: Values = {
        "organisation_name": lambda: one_line(facts.organisation.name),
        # The organisers' texts in the recipient's language, else in the other one.
        "programme_name": lambda: one_line(campaign.programme.localized("name").text),
        "campaign_title": lambda: one_line(campaign.localized("title").text),
        "action_date": lambda: date_text(starts_at, time_zone),
        "action_time": lambda: time_text(starts_at, time_zone),
        "place": lambda: one_line(campaign.place) or gettext("place to be announced"),
        "target": lambda: _number(campaign.participant_target),
        "participants_count": lambda: _number(facts.people),
        "spots_left": lambda: _number(facts.spots_left),
        "deadline": lambda: date_text(campaign.mobilisation_deadline, time_zone),
        "link": link,
        "total_hours": lambda: _number(facts.total_hours),
        "impact_summary": facts.impact_summary,
        "inviter_first_name": lambda: _inviter_first_name(invitation, facts),
    }
    if participant is not None:
        values |= {
            "participant_first_name": lambda: one_line(participant.first_name
                                                       or participant.display_name),
            "hours_given": lambda: _number(Pledge.objects.filter(
                participant=participant, slot__campaign=campaign,
                attendance=Pledge.Attendance.ATTENDED,
            ).aggregate(total=Sum("hours_given"))["total"] or 0),
            "survey_link": lambda: links.survey_url(participant, campaign, survey_moment),
            "unsubscribe_link": lambda: links.unsubscribe_url(participant),
        }
    return {name: functools.cache(value) for name, value in values.items()}


class _Placeholder:
    """A placeholder's value for the templates, computed when it is printed or tested:
    ``{% blocktrans %}`` prints its variables without calling them, as ``{{ }}`` would."""

    def __init__(self, value: Callable[[], object]):
        self.value = value

    def __str__(self) -> str:
        return str(self.value())

    def __bool__(self) -> bool:
        return bool(self.value())


class Wording:
    """A message's own wording ({"subject_fr", "subject_en", "body_fr", "body_en"}, as a
    lever experiment's variant writes it), in the shape of a programme's message: the
    active language's text, the other's when it is empty."""

    def __init__(self, texts: Mapping[str, str]):
        self.texts = texts

    def tr(self, field: str) -> str:
        first, second = ("en", "fr") if translation.get_language() == "en" else ("fr", "en")
        return self.texts.get(f"{field}_{first}") or self.texts.get(f"{field}_{second}") or ""


def message_compose(*, kind: str, facts: CampaignFacts, language: str, values: Values,
                    participant: Participant | None,
                    extra: dict[str, object] | None = None,
                    wording: Mapping[str, str] | None = None) -> tuple[str, str]:
    """Subject and body: ``wording`` if given, else the programme's message if it has one
    for ``kind``, else the project's template; with the pledges and unsubscribe links for
    a participant."""
    with translation.override(language):
        message = Wording(wording) if wording else facts.messages.get(kind)
        if message is not None:
            subject = fill_placeholders(message.tr("subject"), values)
            body = fill_placeholders(message.tr("body"), values)
        else:
            context = {name: _Placeholder(value) for name, value in values.items()}
            text = render_to_string(f"engagement/email/{kind}.txt",
                                    {**context, **(extra or {})})
            subject, _newline, body = text.strip().partition("\n")
        body = body.strip()
        if participant is not None:
            footer = render_to_string("engagement/email/_footer.txt", {
                "organisation_name": facts.organisation.name,
                "manage_link": links.manage_url(participant),
                "unsubscribe_link": values["unsubscribe_link"](),
            })
            body = f"{body}\n\n-- \n{footer.strip()}"
    # A header is one line, and the outbox column is 300 characters.
    return " ".join(subject.split())[:300], body + "\n"


# The placeholder holding the link each kind is about, when not ``link``.
ACTION_PLACEHOLDERS = {"thank_you": "survey_link", "follow_up_survey": "survey_link",
                       "survey_reminder": "survey_link",
                       "follow_up_survey_reminder": "survey_link"}


def message_action(kind: str, values: Values, body: str) -> str:
    """The link the message is about (the HTML part's button): the kind's link, if the
    text gives it (a programme's own wording may leave it out; then there is no button)."""
    name = ACTION_PLACEHOLDERS.get(kind, "link")
    if name not in values:
        return ""
    url = str(values[name]())
    return url if url and url in body else ""


def participant_email_queue(*, kind: str, dedupe_key: str, participant: Participant,
                            facts: CampaignFacts, values: Values,
                            extra: dict[str, object] | None = None,
                            calendar: Callable[[], str] | None = None,
                            wording: Mapping[str, str] | None = None) -> OutboundEmail | None:
    """Compose and queue an e-mail to a participant, in their language; ``calendar``
    makes the invitation it carries (called only when the e-mail is queued); ``wording``
    replaces the programme's message (see ``message_compose``)."""
    if OutboundEmail.objects.filter(dedupe_key=dedupe_key).exists():
        return None  # spare the rendering; email_queue's unique index is what decides
    language = message_language(participant.language, facts.organisation.locale)
    subject, body = message_compose(kind=kind, facts=facts, language=language,
                                    values=values, participant=participant, extra=extra,
                                    wording=wording)
    return email_queue(kind=kind, dedupe_key=dedupe_key, to_email=participant.email,
                       subject=subject, body=body, participant=participant,
                       campaign=facts.campaign, calendar=calendar() if calendar else "",
                       language=language, action_url=message_action(kind, values, body))
