"""Which e-mails are due, and when: on events (a pledge, a promotion, a campaign's result,
an e-mail invitation) and on the engagement schedule (reminders, after-action messages,
follow-up surveys), each queued once in the outbox.

What ``{link}`` opens depends on the message:

- invitation: the campaign page through that invitation (the snowball is counted);
- reminder D-7: the participant's personal invitation link, safe to forward — the
  templates ask people to pass it on, and their own pledges link would let anyone cancel
  their pledges;
- reminder D-1, pledge and result e-mails: the participant's pledges page (details,
  calendar, cancel);
- thank-you, impact recap, follow-up survey: the campaign page (results, photos).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet

from core.zones import organisation_zone
from methodology.models import SurveyMoment

from .. import links
from ..models import (
    Campaign,
    Channel,
    EmailKind,
    ImpactRecord,
    Invitation,
    OutboundEmail,
    Participant,
    Pledge,
    ProgrammeSurveyQuestion,
)
from .calendar_invites import Method, pledge_calendar
from .joining import personal_invitation_code
from .message_texts import (
    CampaignFacts,
    date_text,
    message_action,
    message_compose,
    message_language,
    participant_email_queue,
    placeholder_values,
    time_text,
)
from .organiser_alerts import target_reached_check
from .outbox import already_queued, dedupe_key, email_queue
from .waitlist import waitlist_positions

# Reminders (D-7, D-1) are ``services.reminders``.
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
LIVE = (Pledge.Status.CONFIRMED, Pledge.Status.WAITLISTED, Pledge.Status.OFFERED)


def _pledge_with_context(pledge_id: int) -> Pledge | None:
    return (Pledge.objects.select_related("participant", "slot__campaign__programme",
                                          "invitation__inviter", "invitation__organiser")
            .filter(pk=pledge_id).first())


def _queue_pledge_message(kind: EmailKind, pledge: Pledge, facts: CampaignFacts, *,
                          link: Callable[[], str], sequence: int = 0,
                          calendar: Callable[[], str] | None = None,
                          extra: dict[str, object] | None = None) -> OutboundEmail | None:
    """One e-mail about one pledge; ``sequence`` (a moved slot's) makes it a new message
    rather than the one already sent about the slot's earlier time."""
    participant, campaign = pledge.participant, facts.campaign
    values = placeholder_values(facts, link=link, participant=participant, slot=pledge.slot,
                                invitation=pledge.invitation)
    extra = {"invite_link": functools.cache(lambda: _personal_link(campaign, participant)),
             "companions": pledge.companions, **(extra or {})}
    key = dedupe_key(kind, pledge=pledge.pk, **({"sequence": sequence} if sequence else {}))
    return participant_email_queue(kind=kind, dedupe_key=key, participant=participant,
                                   facts=facts, values=values, extra=extra,
                                   calendar=calendar)


def _personal_link(campaign: Campaign, participant: Participant) -> str:
    # Without the lever catalogue, the campaign's own link: the e-mail still goes out.
    code = personal_invitation_code(campaign=campaign, participant=participant)
    return links.campaign_url(campaign, invitation_code=code)


def pledge_notify(*, pledge_id: int) -> None:
    """After sign-up: the pledge is confirmed, on the waiting list, or (a large party)
    awaiting an organiser's approval; after that approval, confirmed or waiting.

    This is the join's confirmation: it goes to the address typed, whoever typed it, so
    it carries no free text of the visitor's (no name in its greeting) and says what to
    do with a pledge one did not make. Its link is the participant's signed page: the
    only way in for someone who joined with an address already known."""
    pledge = _pledge_with_context(pledge_id)
    if pledge is None or pledge.status == Pledge.Status.CANCELLED:
        return
    kinds: dict[str, EmailKind] = {Pledge.Status.CONFIRMED: EmailKind.PLEDGE_CONFIRMED,
                                   Pledge.Status.AWAITING_APPROVAL: EmailKind.PLEDGE_AWAITING}
    if pledge.status == Pledge.Status.OFFERED:
        return  # a place came free before this was composed: the offer says it all
    kind = kinds.get(pledge.status, EmailKind.PLEDGE_WAITLISTED)
    campaign = pledge.slot.campaign
    waiting: dict[str, object] = {
        "position": waitlist_positions([pledge]).get(pledge.pk),
        "offer": campaign.freed_seats == Campaign.FreedSeats.OFFER,
    } if pledge.status == Pledge.Status.WAITLISTED else {}
    _queue_pledge_message(kind, pledge, CampaignFacts(campaign), extra=waiting,
                          link=lambda: links.manage_url(pledge.participant),
                          calendar=_invitation(pledge)
                          if pledge.status == Pledge.Status.CONFIRMED else None)
    if pledge.status == Pledge.Status.CONFIRMED:
        target_reached_check(campaign_id=pledge.slot.campaign_id)


def _invitation(pledge: Pledge, method: Method = "REQUEST") -> Callable[[], str]:
    """The pledge's calendar invitation, made only if its e-mail is queued."""
    return functools.partial(pledge_calendar, pledge=pledge, method=method,
                             url=links.manage_url(pledge.participant))


def pledge_promotion_notify(*, pledge_id: int) -> None:
    """A seat freed up: the waiting-list pledge is now confirmed."""
    pledge = _pledge_with_context(pledge_id)
    if pledge is None or pledge.status != Pledge.Status.CONFIRMED:
        return
    _queue_pledge_message(EmailKind.PLEDGE_PROMOTED, pledge,
                          CampaignFacts(pledge.slot.campaign),
                          link=lambda: links.manage_url(pledge.participant),
                          calendar=_invitation(pledge))
    target_reached_check(campaign_id=pledge.slot.campaign_id)


def pledge_cancelled_notify(*, pledge_id: int) -> None:
    """A confirmed pledge was cancelled (by the person or an organiser): the calendar
    invitation it carried is withdrawn (METHOD:CANCEL, same UID)."""
    pledge = _pledge_with_context(pledge_id)
    if pledge is None or pledge.status != Pledge.Status.CANCELLED \
            or pledge.confirmed_at is None or pledge.participant.erased_at is not None:
        return
    _queue_pledge_message(EmailKind.PLEDGE_CANCELLED, pledge,
                          CampaignFacts(pledge.slot.campaign),
                          link=functools.partial(links.campaign_url, pledge.slot.campaign),
                          calendar=_invitation(pledge, "CANCEL"))


def _untold() -> QuerySet[Pledge]:
    """Live pledges whose participant has not had their campaign's result yet."""
    return (Pledge.objects.filter(status__in=LIVE)
            .exclude(already_queued(RESULT_KEY, campaign="slot__campaign_id",
                                    participant="participant_id")))


def campaign_result_notify(*, campaign_id: int) -> None:
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
    facts = CampaignFacts(campaign)
    time_zone = organisation_zone(facts.organisation)
    by_participant: dict[int, list[Pledge]] = {}
    for pledge in (_untold().filter(slot__campaign=campaign)
                   .select_related("participant", "slot")
                   .order_by("participant_id", "slot__starts_at")):
        by_participant.setdefault(pledge.participant_id, []).append(pledge)
    queued = 0
    for pledges in by_participant.values():
        participant = pledges[0].participant
        confirmed = [p for p in pledges if p.status == Pledge.Status.CONFIRMED]
        values = placeholder_values(
            facts, link=functools.partial(links.manage_url, participant),
            participant=participant, slot=(confirmed or pledges)[0].slot)
        extra = {
            # Called by the template, in the recipient's language.
            "slots": lambda pledges=pledges: [
                {"date": date_text(p.slot.starts_at, time_zone),
                 "time": time_text(p.slot.starts_at, time_zone),
                 "waitlisted": p.status != Pledge.Status.CONFIRMED,
                 "offered": p.status == Pledge.Status.OFFERED} for p in pledges],
            "waitlisted": not confirmed,
            # A place held for them is no waiting list: they have to confirm it.
            "offered": any(p.status == Pledge.Status.OFFERED for p in pledges),
        }
        if participant_email_queue(
                kind=kind, participant=participant, facts=facts, values=values, extra=extra,
                dedupe_key=dedupe_key(RESULT_KEY, campaign=campaign.pk,
                                      participant=participant.pk)) is not None:
            queued += 1
    return queued


def invitation_email_send(*, invitation_id: int) -> None:
    """An e-mail invitation, in the invitee's language if they are a participant already
    (whose unsubscribe is honoured), else in the organisation's."""
    invitation = (Invitation.objects.select_related("campaign__programme", "inviter",
                                                    "organiser")
                  .filter(pk=invitation_id, channel=Channel.EMAIL).first())
    if invitation is None or not invitation.invitee_email:
        return
    campaign = invitation.campaign
    participant = Participant.objects.filter(email__iexact=invitation.invitee_email).first()
    facts = CampaignFacts(campaign)
    values = placeholder_values(
        facts, participant=participant, invitation=invitation,
        link=lambda: links.campaign_url(campaign, invitation_code=invitation.code))
    key = dedupe_key(EmailKind.INVITATION, invitation=invitation.pk)
    if participant is not None:
        participant_email_queue(kind=EmailKind.INVITATION, dedupe_key=key,
                                participant=participant, facts=facts, values=values)
        return
    language = message_language("", facts.organisation.locale)
    subject, body = message_compose(kind=EmailKind.INVITATION, facts=facts,
                                    language=language, values=values, participant=None)
    email_queue(kind=EmailKind.INVITATION, dedupe_key=key, to_email=invitation.invitee_email,
                subject=subject, body=body, campaign=campaign, language=language,
                action_url=message_action(EmailKind.INVITATION, values, body))


# --- Scheduled messages (run by engagement.tasks.run_engagement_schedule) ----------------

def missing_results_queue(*, now: datetime) -> int:
    """Safety net for ``campaign_result_notify``: it runs once the deadline decision has
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


def _queue_to_attendees(kind: EmailKind, pledges: Iterable[Pledge], *,
                        survey_moment: str) -> int:
    queued = 0
    facts: dict[int, CampaignFacts] = {}
    for campaign, participant in _attendees(pledges):
        campaign_facts = facts.setdefault(campaign.pk, CampaignFacts(campaign))
        values = placeholder_values(campaign_facts, participant=participant,
                                    survey_moment=survey_moment,
                                    link=functools.partial(links.campaign_url, campaign))
        extra: dict[str, object] = {"has_survey": survey_moment in campaign_facts.survey_moments}
        email = participant_email_queue(
            kind=kind, participant=participant, facts=campaign_facts, values=values,
            extra=extra, dedupe_key=dedupe_key(kind, campaign=campaign.pk,
                                               participant=participant.pk))
        # Rows kept without sending (unsubscribed, no consent: see outbox) are not counted.
        queued += email is not None and email.status == OutboundEmail.Status.QUEUED
    return queued


def _attended(kind: EmailKind) -> QuerySet[Pledge]:
    return (Pledge.objects.filter(attendance=Pledge.Attendance.ATTENDED,
                                  slot__campaign__status=Campaign.Status.COMPLETED)
            .exclude(already_queued(kind, campaign="slot__campaign_id",
                                    participant="participant_id"))
            .select_related("participant", "slot__campaign__programme")
            .order_by("slot__campaign_id", "participant_id"))


def after_action_queue(*, now: datetime) -> int:
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


def follow_up_surveys_queue(*, now: datetime) -> int:
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


def impact_recap_queue(*, campaign: Campaign) -> int:
    """The final figures, to everyone who came, when the organisers publish them (once per
    person and campaign)."""
    pledges = _attended(EmailKind.IMPACT_RECAP).filter(slot__campaign=campaign)
    return _queue_to_attendees(EmailKind.IMPACT_RECAP, pledges,
                               survey_moment=SurveyMoment.AFTER_ACTION)
