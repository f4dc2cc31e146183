"""Reminders before an action (D-7, D-1): due, caught up, grouped into one e-mail a day.

**When.** A reminder falls due at the slot's start minus its lead (7 days, 1 day) and stays
useful for a while: the D-7 until three days before (closer, the D-1 is about to say it
all), the D-1 until the slot starts. Every run of the schedule sends the reminders due
and still useful that have not gone out yet, so a schedule that was down for days catches
up when it comes back, and nothing is sent about a slot that has begun. Pledges made
after a reminder fell due (give or take ``LATE_PLEDGE_GRACE``) are left out: their
confirmation has just told them.

**Once.** ``PledgeReminder`` holds one row per pledge and kind, written in the transaction
that queues the e-mail: a second run, or a concurrent one, finds the row (or waits for it
on the unique index and gives up), so each reminder goes out once whatever happens.

**Digest.** A person with several pledges on the same day (in the organisation's time
zone, which is active wherever this runs) gets one e-mail listing them, each with its
link, sent when the first of them falls due. A single pledge gets the programme's own
reminder, with its calendar invitation.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from .. import links
from ..models import Campaign, EmailKind, OutboundEmail, Pledge, PledgeReminder, Slot
from .message_schedule import _invitation, _personal_link, _queue_pledge_message
from .message_texts import (
    CampaignFacts,
    date_text,
    participant_email_queue,
    placeholder_values,
    time_text,
)
from .outbox import dedupe_key

# (kind, lead, useful until this long before the start)
REMINDERS = ((EmailKind.REMINDER_D7, timedelta(days=7), timedelta(days=3)),
             (EmailKind.REMINDER_D1, timedelta(days=1), timedelta(0)))
LEADS = {kind: lead for kind, lead, _until in REMINDERS}
# A pledge confirmed up to this long after its reminder fell due still gets it (as the
# rolling one-day window always did); one confirmed later has just had its confirmation.
LATE_PLEDGE_GRACE = timedelta(days=1)
TAKING_PLACE = (Campaign.Status.OPEN, Campaign.Status.SUCCEEDED)


def _unreminded(kind: EmailKind, lead: timedelta, until: timedelta, *,
                now: datetime) -> QuerySet[Pledge]:
    """Confirmed pledges of campaigns still taking place, not reminded of ``kind``, whose
    slot starts later than ``now + until`` (the reminder is still useful)."""
    return (Pledge.objects
            .filter(status=Pledge.Status.CONFIRMED, slot__campaign__status__in=TAKING_PLACE,
                    slot__starts_at__gt=now + until)
            .filter(Q(confirmed_at__isnull=True)
                    | Q(confirmed_at__lte=F("slot__starts_at") - lead + LATE_PLEDGE_GRACE))
            .exclude(Exists(PledgeReminder.objects.filter(pledge=OuterRef("pk"), kind=kind)))
            .select_related("participant", "slot__campaign__programme",
                            "invitation__inviter", "invitation__organiser")
            .order_by("participant_id", "slot__starts_at", "id"))


def reminders_queue(*, now: datetime) -> int:
    """Queue every reminder due and still useful (see the module docstring); returns how
    many e-mails were queued."""
    queued = 0
    facts: dict[int, CampaignFacts] = {}
    for kind, lead, until in REMINDERS:
        # Due ones, and the same person's pledges later that day (the digest's others).
        groups: dict[tuple[int, date], list[Pledge]] = {}
        for pledge in _unreminded(kind, lead, until, now=now).filter(
                slot__starts_at__lte=now + lead + timedelta(days=1)):
            day = timezone.localtime(pledge.slot.starts_at).date()
            groups.setdefault((pledge.participant_id, day), []).append(pledge)
        for pledges in groups.values():
            if pledges[0].slot.starts_at > now + lead:
                continue  # nothing of this day is due yet
            queued += _remind(kind, pledges, facts, now=now)
    return queued


def _remind(kind: EmailKind, pledges: list[Pledge], facts: dict[int, CampaignFacts], *,
            now: datetime) -> int:
    first = pledges[0]
    campaign = first.slot.campaign
    campaign_facts = facts.setdefault(campaign.pk, CampaignFacts(campaign))
    with transaction.atomic():
        try:
            with transaction.atomic():
                reminders = PledgeReminder.objects.bulk_create(
                    [PledgeReminder(pledge=pledge, kind=kind, created_at=now)
                     for pledge in pledges])
        except IntegrityError:
            return 0  # a concurrent run reminded (some of) them: it has this e-mail
        if len(pledges) == 1:
            email = _queue_pledge_message(
                kind, first, campaign_facts, link=_reminder_link(kind, first),
                sequence=first.slot.sequence, calendar=_invitation(first))
        else:
            email = _queue_digest(kind, pledges, campaign_facts, now=now)
        PledgeReminder.objects.filter(pk__in=[r.pk for r in reminders]).update(email=email)
    # Rows kept without sending (unsubscribed) count: the reminder is done with.
    return int(email is not None)


def _reminder_link(kind: EmailKind, pledge: Pledge) -> Callable[[], str]:
    """D-7: the participant's personal invitation link (the templates ask them to pass it
    on); D-1: their own pledges page."""
    if kind == EmailKind.REMINDER_D7:
        return functools.partial(_personal_link, pledge.slot.campaign, pledge.participant)
    return functools.partial(links.manage_url, pledge.participant)


def _queue_digest(kind: EmailKind, pledges: list[Pledge], facts: CampaignFacts, *,
                  now: datetime) -> OutboundEmail | None:
    participant = pledges[0].participant
    manage = functools.cache(functools.partial(links.manage_url, participant))
    values = placeholder_values(facts, link=manage, participant=participant,
                                slot=pledges[0].slot)

    def items() -> list[dict[str, str]]:
        # Called by the template, in the recipient's language.
        return [{"title": " ".join(p.slot.campaign.localized("title").text.split()),
                 "date": date_text(p.slot.starts_at, _zone()),
                 "time": time_text(p.slot.starts_at, _zone()),
                 "place": " ".join(p.slot.campaign.place.split()),
                 "link": (_personal_link(p.slot.campaign, participant)
                          if kind == EmailKind.REMINDER_D7
                          else f"{manage()}#pledge-{p.pk}")} for p in pledges]

    # "Today" or "tomorrow" only when it is so (a reminder caught up late may be either).
    days = (timezone.localtime(pledges[0].slot.starts_at).date()
            - timezone.localtime(now).date()).days
    extra: dict[str, object] = {"pledges": items, "count": len(pledges),
                                "own_page_links": kind == EmailKind.REMINDER_D1,
                                "day": {0: "today", 1: "tomorrow"}.get(days, "")}
    key = dedupe_key(f"{EmailKind.REMINDER_DIGEST}:{kind}", pledge=pledges[0].pk,
                     **_sequence(pledges[0].slot))
    # No calendar invitation: an iTIP message carries one event (RFC 5546), and each of
    # these pledges had its own with its confirmation.
    return participant_email_queue(kind=EmailKind.REMINDER_DIGEST, dedupe_key=key,
                                   participant=participant, facts=facts, values=values,
                                   extra=extra)


def _zone() -> str:
    return timezone.get_current_timezone_name()


def _sequence(slot: Slot) -> dict[str, int]:
    """A moved slot's reminders are new messages: their keys carry its sequence."""
    return {"sequence": slot.sequence} if slot.sequence else {}


def reminders_reset_for_moved_slot(*, slot: Slot, now: datetime) -> None:
    """After a slot moved: forget the reminders that fall due again at its new time, so
    they are sent then; those already due at the new time count as sent, since the e-mail
    about the move has just given the new time."""
    later = [kind for kind, lead in LEADS.items() if slot.starts_at - lead > now]
    PledgeReminder.objects.filter(pledge__slot=slot, kind__in=later).delete()
    pledges = list(slot.pledges.filter(status=Pledge.Status.CONFIRMED).values_list(
        "pk", flat=True))
    PledgeReminder.objects.bulk_create(
        [PledgeReminder(pledge_id=pledge_id, kind=kind, created_at=now)
         for kind in LEADS if kind not in later for pledge_id in pledges],
        ignore_conflicts=True)
