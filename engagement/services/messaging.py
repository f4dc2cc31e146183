"""The outbox: every e-mail to a participant or an invitee is a row, sent by a worker.

Writing the message as an ``OutboundEmail`` row before anything is sent means a failing mail
server or a lost task loses nothing: the worker retries with backoff, and the engagement
schedule re-queues rows whose task went missing. ``dedupe_key`` names the logical message
(this reminder for this pledge, this result for this participant), and its unique index
makes each one exist once however often, or however concurrently, it is queued.

Text: the programme's own messages (``ProgrammeMessage``, its copy of the methodology
template) in the recipient's language, with the ``{placeholders}`` of
``methodology.document.PLACEHOLDERS`` filled. Kinds the methodology has no message for
(pledge confirmation, waiting list, promotion, campaign result), and programmes made without
a template, use ``engagement/email/<kind>_<language>.txt``, whose first line is the subject.
Every e-mail to a participant ends with their pledges link and their unsubscribe link.

What ``{link}`` opens depends on the message:

- invitation: the campaign page through that invitation (the snowball is counted);
- reminder D-7: the participant's personal invitation link, safe to forward — the
  templates ask people to pass it on, and their own pledges link would let anyone cancel
  their pledges;
- reminder D-1, pledge and result e-mails: the participant's pledges page (details,
  calendar, cancel);
- thank-you, impact recap, follow-up survey: the campaign page (results, photos).

Unsubscribed participants get no e-mail. Their message still gets its row, with status
"skipped": the organisation can see who was not reached, and the dedupe key is taken, so a
participant who subscribes again is not sent stale reminders.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import CharField, Exists, Max, OuterRef, Q, Sum, Value
from django.db.models.functions import Cast, Concat
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.functional import cached_property

from core.tenancy import current_organisation, enqueue_on_commit
from methodology.document import PLACEHOLDER_RE, PLACEHOLDERS
from methodology.models import SurveyMoment

from .. import links
from ..models import (
    Campaign,
    Channel,
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
from .joining import personal_invitation_ensure


class EmailKind(StrEnum):
    """``OutboundEmail.kind``; the first six are also the programme's message kinds."""

    INVITATION = "invitation"
    REMINDER_D7 = "reminder_d7"
    REMINDER_D1 = "reminder_d1"
    THANK_YOU = "thank_you"
    IMPACT_RECAP = "impact_recap"
    FOLLOW_UP_SURVEY = "follow_up_survey"
    PLEDGE_CONFIRMED = "pledge_confirmed"
    PLEDGE_WAITLISTED = "pledge_waitlisted"
    PLEDGE_AWAITING = "pledge_awaiting"
    PLEDGE_PROMOTED = "pledge_promoted"
    CAMPAIGN_SUCCEEDED = "campaign_succeeded"
    CAMPAIGN_FAILED = "campaign_failed"


LANGUAGES = ("fr", "en")

# Delivery: the first try and eight retries, waiting 1, 2, 4 … minutes, at most an hour
# (about three hours in all), before a message is given up as failed.
MAX_ATTEMPTS = 9
RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=1)
# A queued message this late on its retry schedule has lost its task: queue it again.
STALLED_AFTER = timedelta(minutes=15)

# Reminders go to slots starting within (now + lead - 1 day, now + lead]: a window as wide
# as the gap between two reminders, so a schedule running every few minutes misses none.
REMINDER_LEADS = ((EmailKind.REMINDER_D7, timedelta(days=7)),
                  (EmailKind.REMINDER_D1, timedelta(days=1)))
REMINDER_WINDOW = timedelta(days=1)
# The thank-you waits for the organisers' first impact figures, at most this long.
IMPACT_GRACE = timedelta(days=1)
FOLLOW_UP_DELAY = timedelta(days=90)
# Campaigns older than these windows are left alone, so that turning the schedule on (or
# restoring an old backup) does not mail every past participant; an outage shorter than
# the window loses nothing.
AFTER_ACTION_WINDOW = timedelta(days=14)
FOLLOW_UP_WINDOW = timedelta(days=7)
RESULT_CATCH_UP = timedelta(days=1)
# One result per participant and campaign, whichever it is, to every live pledge.
RESULT_KEY = "campaign_result"
LIVE = (Pledge.Status.CONFIRMED, Pledge.Status.WAITLISTED)

# Units worth printing after a figure; counts (people, trees, bags…) are named by the label.
MEASURE_UNITS = {"kg": "kg", "m": "m", "m²": "m²", "km": "km", "EUR": "€"}
PHRASES = {
    "colon": {"fr": " :", "en": ":"},
    "separator": {"fr": " ; ", "en": "; "},
    "place_tbc": {"fr": "lieu communiqué prochainement", "en": "place to be announced"},
    "people_and_hours": {"fr": "%(people)s personnes mobilisées, %(hours)s heures données",
                         "en": "%(people)s people took part, giving %(hours)s hours"},
}

Values = dict[str, Callable[[], object]]


# --- Queuing and delivery ---------------------------------------------------------------

def queue_email(*, kind: str, dedupe_key: str, to_email: str, subject: str, body: str,
                participant: Participant | None = None,
                campaign: Campaign | None = None) -> OutboundEmail | None:
    """Put one logical message in the outbox; None if it is there already.

    The send task leaves on commit, so a rolled-back caller sends nothing. A participant
    who unsubscribed gets a "skipped" row and no task (see the module docstring)."""
    status = (OutboundEmail.Status.SKIPPED
              if participant is not None and not participant.can_be_emailed
              else OutboundEmail.Status.QUEUED)
    try:
        with transaction.atomic():
            email = OutboundEmail.objects.create(
                participant=participant, campaign=campaign, kind=kind, dedupe_key=dedupe_key,
                to_email=to_email, subject=subject, body=body, status=status)
    except IntegrityError:
        if OutboundEmail.objects.filter(dedupe_key=dedupe_key).exists():
            return None  # queued already, by this caller earlier or by a concurrent one
        raise
    if status == OutboundEmail.Status.QUEUED:
        _send_on_commit(email.pk, attempt=0)
    return email


def _send_on_commit(email_id: int, *, attempt: int) -> None:
    from ..tasks import send_outbound_email

    enqueue_on_commit(send_outbound_email, email_id, attempt)


def retry_delay(failed_attempts: int) -> timedelta:
    """How long to wait after the ``failed_attempts``-th failure: doubling, capped."""
    return min(RETRY_BASE * 2 ** (failed_attempts - 1), RETRY_CAP)


def deliver_email(*, email_id: int, attempt: int) -> int | None:
    """Send one queued e-mail, for the task; returns the number of failed attempts when it
    should be tried again, None when there is nothing more to do.

    ``attempt`` is how many attempts the caller expects the row to have had. The row is
    locked while it is sent, so two deliveries of the same row never both send; and a
    delivery whose ``attempt`` no longer matches (a retry overtaken by a re-queued copy)
    stops, so duplicated task messages never become duplicated retry chains."""
    with transaction.atomic():
        email = (OutboundEmail.objects.select_for_update(of=("self",))
                 .select_related("participant").filter(pk=email_id).first())
        if email is None or email.status != OutboundEmail.Status.QUEUED \
                or email.attempts != attempt:
            return None
        if email.participant is not None and not email.participant.can_be_emailed:
            email.status = OutboundEmail.Status.SKIPPED  # unsubscribed after it was queued
            email.save(update_fields=["status"])
            return None
        email.attempts += 1
        try:
            _email_message(email).send()
        except Exception as exc:  # whatever the backend raises, the row must survive it
            email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if email.attempts >= MAX_ATTEMPTS:
                email.status = OutboundEmail.Status.FAILED
            email.save(update_fields=["attempts", "last_error", "status"])
            return email.attempts if email.status == OutboundEmail.Status.QUEUED else None
        email.status = OutboundEmail.Status.SENT
        email.sent_at = timezone.now()
        email.save(update_fields=["attempts", "status", "sent_at"])
    return None


def _email_message(email: OutboundEmail) -> EmailMessage:
    headers = {}
    if email.participant is not None:
        headers["List-Unsubscribe"] = f"<{links.unsubscribe_url(email.participant)}>"
    return EmailMessage(subject=email.subject, body=email.body,
                        from_email=settings.DEFAULT_FROM_EMAIL, to=[email.to_email],
                        headers=headers)


def requeue_stalled_emails(*, now: datetime) -> int:
    """Queue again the e-mails whose task went missing (a broker or worker lost it).

    The outbox keeps no time of the last attempt, so "late" is measured against the retry
    schedule: a row with ``n`` failed attempts is due at the earliest ``created_at`` plus
    the first ``n`` retry delays; more than ``STALLED_AFTER`` past that, its task is taken
    for lost. A retry that was merely slow is harmless: ``deliver_email`` runs one of the
    two copies and drops the other."""
    stalled = Q()
    due_after = timedelta(0)
    for attempts in range(MAX_ATTEMPTS):
        if attempts:
            due_after += retry_delay(attempts)
        stalled |= Q(attempts=attempts, created_at__lt=now - due_after - STALLED_AFTER)
    rows = list(OutboundEmail.objects.filter(stalled, status=OutboundEmail.Status.QUEUED)
                .values_list("pk", "attempts"))
    for email_id, attempts in rows:
        _send_on_commit(email_id, attempt=attempts)
    return len(rows)


# --- Text --------------------------------------------------------------------------------

def one_line(text: str) -> str:
    """A value typed in a one-line field, kept on one line: a title or a name holding
    "\r\n" must not end the subject (the template's first line) and start the body."""
    return " ".join(str(text or "").split())


def fill_placeholders(text: str, values: Values) -> str:
    """Replace ``{name}`` for the known placeholder names we have a value for; anything
    else stays as written. (``str.format`` would choke on, or expose attributes through,
    braces in the programme's own text.)"""

    def replace(match) -> str:
        name = match.group(1)
        if name in PLACEHOLDERS and name in values:
            return str(values[name]())
        return match.group(0)

    return PLACEHOLDER_RE.sub(replace, text)


def _language(code: str, fallback: str) -> str:
    for language in (code, fallback):
        if language and language[:2] in LANGUAGES:
            return language[:2]
    return LANGUAGES[0]


def _phrase(name: str) -> str:
    return PHRASES[name][_language(translation.get_language() or "", "")]


def _number(value: Decimal | int | float) -> str:
    value = Decimal(value)
    # 2.50 → "2.5" / "2,5"; 120.00 → "120" (not "1.2E+2").
    value = value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()
    return formats.number_format(value)


def _date(moment: datetime, time_zone: str) -> str:
    return formats.date_format(timezone.localtime(moment, ZoneInfo(time_zone)), "l j F Y")


def _time(moment: datetime, time_zone: str) -> str:
    return formats.time_format(timezone.localtime(moment, ZoneInfo(time_zone)))


class _CampaignFacts:
    """What messages say about one campaign, read once for a batch of recipients."""

    def __init__(self, campaign: Campaign):
        self.campaign = campaign

    @cached_property
    def organisation(self):
        return current_organisation()

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
            return _phrase("people_and_hours") % {"people": _number(self.people),
                                                  "hours": _number(self.total_hours)}
        parts = []
        for record in self.impacts:
            unit = MEASURE_UNITS.get(record.indicator.unit)
            figure = _number(record.value) + (f" {unit}" if unit else "")
            parts.append(f"{record.indicator.tr('label')}{_phrase('colon')} {figure}")
        return _phrase("separator").join(parts)


def _inviter_first_name(invitation: Invitation | None, facts: _CampaignFacts) -> str:
    """Who invited: the participant, the organiser, or else the organisation itself."""
    if invitation is not None and invitation.inviter is not None:
        inviter = invitation.inviter
        return inviter.first_name or inviter.display_name
    if invitation is not None and invitation.organiser is not None \
            and invitation.organiser.full_name:
        return invitation.organiser.get_short_name()
    return facts.organisation.name


def _values(facts: _CampaignFacts, *, link: Callable[[], str],
            participant: Participant | None = None, slot: Slot | None = None,
            invitation: Invitation | None = None,
            survey_moment: str = SurveyMoment.AFTER_ACTION) -> Values:
    """The placeholders' values, computed only when a text uses them (each at most once),
    and formatted in the language active at that time."""
    campaign = facts.campaign
    time_zone = campaign.programme.time_zone
    starts_at = slot.starts_at if slot is not None else campaign.starts_at
    values: Values = {
        "organisation_name": lambda: one_line(facts.organisation.name),
        "programme_name": lambda: one_line(campaign.programme.name),
        "campaign_title": lambda: one_line(campaign.title),
        "action_date": lambda: _date(starts_at, time_zone),
        "action_time": lambda: _time(starts_at, time_zone),
        "place": lambda: one_line(campaign.place) or _phrase("place_tbc"),
        "target": lambda: _number(campaign.participant_target),
        "participants_count": lambda: _number(facts.people),
        "spots_left": lambda: _number(facts.spots_left),
        "deadline": lambda: _date(campaign.mobilisation_deadline, time_zone),
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


def _compose(*, kind: str, facts: _CampaignFacts, language: str, values: Values,
             participant: Participant | None,
             extra: dict[str, object] | None = None) -> tuple[str, str]:
    """Subject and body: the programme's message if it has one for ``kind``, else the
    project's template; with the pledges and unsubscribe links for a participant."""
    with translation.override(language):
        message = facts.messages.get(kind)
        if message is not None:
            subject = fill_placeholders(message.tr("subject"), values)
            body = fill_placeholders(message.tr("body"), values)
        else:
            text = render_to_string(f"engagement/email/{kind}_{language}.txt",
                                    {**values, **(extra or {})})
            subject, _newline, body = text.strip().partition("\n")
        body = body.strip()
        if participant is not None:
            footer = render_to_string(f"engagement/email/_footer_{language}.txt", {
                "organisation_name": facts.organisation.name,
                "manage_link": links.manage_url(participant),
                "unsubscribe_link": values["unsubscribe_link"](),
            })
            body = f"{body}\n\n-- \n{footer.strip()}"
    # A header is one line, and the outbox column is 300 characters.
    return " ".join(subject.split())[:300], body + "\n"


def _queue_to_participant(*, kind: str, dedupe_key: str, participant: Participant,
                          facts: _CampaignFacts, values: Values,
                          extra: dict[str, object] | None = None) -> OutboundEmail | None:
    if OutboundEmail.objects.filter(dedupe_key=dedupe_key).exists():
        return None  # spare the rendering; queue_email's unique index is what decides
    subject, body = _compose(
        kind=kind, facts=facts, language=_language(participant.language,
                                                   facts.organisation.locale),
        values=values, participant=participant, extra=extra)
    return queue_email(kind=kind, dedupe_key=dedupe_key, to_email=participant.email,
                       subject=subject, body=body, participant=participant,
                       campaign=facts.campaign)


# --- Dedupe keys ---------------------------------------------------------------------------

def dedupe_key(prefix: str, **ids: int) -> str:
    """``dedupe_key("reminder_d7", pledge=12)`` → ``"reminder_d7:pledge:12"``."""
    return prefix + "".join(f":{name}:{value}" for name, value in ids.items())


def _already_queued(prefix: str, **refs: str) -> Exists:
    """SQL twin of ``dedupe_key`` over the outer query's fields, to leave out, in the
    query itself, the recipients a schedule has already served."""
    parts: list = [Value(prefix)]
    for name, field in refs.items():
        parts += [Value(f":{name}:"), Cast(OuterRef(field), output_field=CharField())]
    return Exists(OutboundEmail.objects.filter(
        dedupe_key=Concat(*parts, output_field=CharField())))


# --- Messages on events ---------------------------------------------------------------------

def _pledge_with_context(pledge_id: int) -> Pledge | None:
    return (Pledge.objects.select_related("participant", "slot__campaign__programme",
                                          "invitation__inviter", "invitation__organiser")
            .filter(pk=pledge_id).first())


def _queue_pledge_message(kind: EmailKind, pledge: Pledge, facts: _CampaignFacts, *,
                          link: Callable[[], str]) -> OutboundEmail | None:
    participant, campaign = pledge.participant, facts.campaign
    values = _values(facts, link=link, participant=participant, slot=pledge.slot,
                     invitation=pledge.invitation)
    extra = {"invite_link": functools.cache(lambda: _personal_link(campaign, participant)),
             "companions": pledge.companions}
    return _queue_to_participant(kind=kind, dedupe_key=dedupe_key(kind, pledge=pledge.pk),
                                 participant=participant, facts=facts, values=values,
                                 extra=extra)


def _personal_link(campaign: Campaign, participant: Participant) -> str:
    invitation = personal_invitation_ensure(campaign=campaign, participant=participant)
    return links.campaign_url(campaign, invitation_code=invitation.code)


def notify_pledge(pledge_id: int) -> None:
    """After sign-up: the pledge is confirmed, on the waiting list, or (a large party)
    awaiting an organiser's approval; after that approval, confirmed or waiting.

    This is the join's confirmation: it goes to the address typed, whoever typed it, so
    it carries no free text of the visitor's (no name in its greeting) and says what to
    do with a pledge one did not make. Its link is the participant's signed page: the
    only way in for someone who joined with an address already known."""
    pledge = _pledge_with_context(pledge_id)
    if pledge is None or pledge.status == Pledge.Status.CANCELLED:
        return
    kind = {Pledge.Status.CONFIRMED: EmailKind.PLEDGE_CONFIRMED,
            Pledge.Status.AWAITING_APPROVAL: EmailKind.PLEDGE_AWAITING,
            }.get(pledge.status, EmailKind.PLEDGE_WAITLISTED)
    _queue_pledge_message(kind, pledge, _CampaignFacts(pledge.slot.campaign),
                          link=lambda: links.manage_url(pledge.participant))


def notify_promoted(pledge_id: int) -> None:
    """A seat freed up: the waiting-list pledge is now confirmed."""
    pledge = _pledge_with_context(pledge_id)
    if pledge is None or pledge.status != Pledge.Status.CONFIRMED:
        return
    _queue_pledge_message(EmailKind.PLEDGE_PROMOTED, pledge,
                          _CampaignFacts(pledge.slot.campaign),
                          link=lambda: links.manage_url(pledge.participant))


def _untold():
    """Live pledges whose participant has not had their campaign's result yet."""
    return (Pledge.objects.filter(status__in=LIVE)
            .exclude(_already_queued(RESULT_KEY, campaign="slot__campaign_id",
                                     participant="participant_id")))


def notify_campaign_result(campaign_id: int) -> None:
    """At the deadline, to everyone with a live pledge: it will take place, or not."""
    campaign = Campaign.objects.select_related("programme").filter(pk=campaign_id).first()
    if campaign is not None:
        _queue_results(campaign)


def _queue_results(campaign: Campaign) -> int:
    """A decided campaign's result, to each participant with a live pledge not told yet
    (one e-mail listing their slots); returns how many were queued."""
    if campaign.status not in (Campaign.Status.SUCCEEDED, Campaign.Status.FAILED):
        return 0
    kind = (EmailKind.CAMPAIGN_SUCCEEDED if campaign.status == Campaign.Status.SUCCEEDED
            else EmailKind.CAMPAIGN_FAILED)
    facts = _CampaignFacts(campaign)
    time_zone = campaign.programme.time_zone
    by_participant: dict[int, list[Pledge]] = {}
    for pledge in (_untold().filter(slot__campaign=campaign)
                   .select_related("participant", "slot")
                   .order_by("participant_id", "slot__starts_at")):
        by_participant.setdefault(pledge.participant_id, []).append(pledge)
    queued = 0
    for pledges in by_participant.values():
        participant = pledges[0].participant
        confirmed = [p for p in pledges if p.status == Pledge.Status.CONFIRMED]
        values = _values(facts, link=functools.partial(links.manage_url, participant),
                         participant=participant, slot=(confirmed or pledges)[0].slot)
        extra = {
            # Called by the template, in the recipient's language.
            "slots": lambda pledges=pledges: [
                {"date": _date(p.slot.starts_at, time_zone),
                 "time": _time(p.slot.starts_at, time_zone),
                 "waitlisted": p.status == Pledge.Status.WAITLISTED} for p in pledges],
            "waitlisted": not confirmed,
        }
        if _queue_to_participant(
                kind=kind, participant=participant, facts=facts, values=values, extra=extra,
                dedupe_key=dedupe_key(RESULT_KEY, campaign=campaign.pk,
                                      participant=participant.pk)) is not None:
            queued += 1
    return queued


def send_invitation_email(invitation_id: int) -> None:
    """An e-mail invitation, in the invitee's language if they are a participant already
    (whose unsubscribe is honoured), else in the organisation's."""
    invitation = (Invitation.objects.select_related("campaign__programme", "inviter",
                                                    "organiser")
                  .filter(pk=invitation_id, channel=Channel.EMAIL).first())
    if invitation is None or not invitation.invitee_email:
        return
    campaign = invitation.campaign
    participant = Participant.objects.filter(email__iexact=invitation.invitee_email).first()
    facts = _CampaignFacts(campaign)
    values = _values(
        facts, participant=participant, invitation=invitation,
        link=lambda: links.campaign_url(campaign, invitation_code=invitation.code))
    key = dedupe_key(EmailKind.INVITATION, invitation=invitation.pk)
    if participant is not None:
        _queue_to_participant(kind=EmailKind.INVITATION, dedupe_key=key,
                              participant=participant, facts=facts, values=values)
        return
    subject, body = _compose(kind=EmailKind.INVITATION, facts=facts,
                             language=_language("", facts.organisation.locale),
                             values=values, participant=None)
    queue_email(kind=EmailKind.INVITATION, dedupe_key=key, to_email=invitation.invitee_email,
                subject=subject, body=body, campaign=campaign)


# --- Scheduled messages (run by engagement.tasks.run_engagement_schedule) -------------------

def queue_reminders(*, now: datetime) -> int:
    """Reminders D-7 and D-1 for confirmed pledges of campaigns still taking place; each
    once per pledge, however often or concurrently this runs. Returns how many were
    queued."""
    queued = 0
    facts: dict[int, _CampaignFacts] = {}
    for kind, lead in REMINDER_LEADS:
        pledges = (Pledge.objects
                   .filter(status=Pledge.Status.CONFIRMED,
                           slot__campaign__status__in=[Campaign.Status.OPEN,
                                                       Campaign.Status.SUCCEEDED],
                           slot__starts_at__gt=now + lead - REMINDER_WINDOW,
                           slot__starts_at__lte=now + lead)
                   .exclude(_already_queued(kind, pledge="pk"))
                   .select_related("participant", "slot__campaign__programme",
                                   "invitation__inviter", "invitation__organiser"))
        for pledge in pledges:
            campaign = pledge.slot.campaign
            campaign_facts = facts.setdefault(campaign.pk, _CampaignFacts(campaign))
            participant = pledge.participant
            link = (functools.partial(_personal_link, campaign, participant)
                    if kind == EmailKind.REMINDER_D7
                    else functools.partial(links.manage_url, participant))
            if _queue_pledge_message(kind, pledge, campaign_facts, link=link) is not None:
                queued += 1
    return queued


def queue_missing_results(*, now: datetime) -> int:
    """Safety net for ``notify_campaign_result``: it runs once the deadline decision has
    committed, so if it failed then (a database or template error), nothing would ever
    retry it. Campaigns decided within ``RESULT_CATCH_UP`` with someone not yet told get
    their result e-mails here."""
    pending = (Campaign.objects.select_related("programme")
               .filter(status__in=[Campaign.Status.SUCCEEDED, Campaign.Status.FAILED],
                       closed_at__gt=now - RESULT_CATCH_UP)
               .filter(Exists(_untold().filter(slot__campaign=OuterRef("pk")))))
    return sum(_queue_results(campaign) for campaign in pending)


def _attendees(pledges: Iterable[Pledge]) -> Iterable[tuple[Campaign, Participant]]:
    """Each (campaign, participant) once, from attended pledges."""
    seen: set[tuple[int, int]] = set()
    for pledge in pledges:
        pair = (pledge.slot.campaign_id, pledge.participant_id)
        if pair not in seen:
            seen.add(pair)
            yield pledge.slot.campaign, pledge.participant


def _queue_to_attendees(kind: EmailKind, pledges, *, survey_moment: str) -> int:
    queued = 0
    facts: dict[int, _CampaignFacts] = {}
    for campaign, participant in _attendees(pledges):
        campaign_facts = facts.setdefault(campaign.pk, _CampaignFacts(campaign))
        values = _values(campaign_facts, participant=participant, survey_moment=survey_moment,
                         link=functools.partial(links.campaign_url, campaign))
        extra = {"has_survey": survey_moment in campaign_facts.survey_moments}
        if _queue_to_participant(
                kind=kind, participant=participant, facts=campaign_facts, values=values,
                extra=extra, dedupe_key=dedupe_key(kind, campaign=campaign.pk,
                                                   participant=participant.pk)) is not None:
            queued += 1
    return queued


def _attended(kind: EmailKind):
    return (Pledge.objects.filter(attendance=Pledge.Attendance.ATTENDED,
                                  slot__campaign__status=Campaign.Status.COMPLETED)
            .exclude(_already_queued(kind, campaign="slot__campaign_id",
                                     participant="participant_id"))
            .select_related("participant", "slot__campaign__programme")
            .order_by("slot__campaign_id", "participant_id"))


def queue_after_action(*, now: datetime) -> int:
    """The thank-you, with the participant's own hours, the impact and the survey link, to
    everyone who came to a completed campaign: once its first impact figures are recorded,
    or a day after its end without them."""
    has_impact = Exists(ImpactRecord.objects.filter(campaign=OuterRef("slot__campaign")))
    pledges = _attended(EmailKind.THANK_YOU).filter(
        Q(slot__campaign__ends_at__lte=now - IMPACT_GRACE)
        | Q(has_impact, slot__campaign__ends_at__lte=now),
        slot__campaign__ends_at__gt=now - AFTER_ACTION_WINDOW)
    return _queue_to_attendees(EmailKind.THANK_YOU, pledges,
                               survey_moment=SurveyMoment.AFTER_ACTION)


def queue_follow_up_surveys(*, now: datetime) -> int:
    """The programme's follow-up survey, 90 days after a campaign's end, to those who came
    (programmes with no follow-up questions have nothing to ask)."""
    has_questions = Exists(ProgrammeSurveyQuestion.objects.filter(
        programme=OuterRef("slot__campaign__programme"), moment=SurveyMoment.FOLLOW_UP))
    pledges = _attended(EmailKind.FOLLOW_UP_SURVEY).filter(
        has_questions,
        slot__campaign__ends_at__lte=now - FOLLOW_UP_DELAY,
        slot__campaign__ends_at__gt=now - FOLLOW_UP_DELAY - FOLLOW_UP_WINDOW)
    return _queue_to_attendees(EmailKind.FOLLOW_UP_SURVEY, pledges,
                               survey_moment=SurveyMoment.FOLLOW_UP)


def queue_impact_recap(*, campaign: Campaign) -> int:
    """The final figures, to everyone who came, when the organisers publish them (once per
    person and campaign)."""
    pledges = _attended(EmailKind.IMPACT_RECAP).filter(slot__campaign=campaign)
    return _queue_to_attendees(EmailKind.IMPACT_RECAP, pledges,
                               survey_moment=SurveyMoment.AFTER_ACTION)
