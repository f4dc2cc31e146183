"""A campaign that missed its target (or is about to): postpone it, or relaunch it as a
new campaign.

- **Postpone** (an open or failed campaign): the action, its slots and the deadline move
  to new dates; pledges are kept; the campaign takes pledges again until the new deadline;
  everyone with a live pledge is told by e-mail, with the new date and a link to cancel
  if they cannot come then.
- **Relaunch** (a failed campaign): a new campaign copied from it (title, description,
  place, visibility, target, slots at the new dates), opened at once; the people who had
  pledged to the old one are invited to it through the outbox (a bulk invitation: all
  recorded at once, however many, their e-mails spread over the hours by the
  organisation's hourly allowance, so a relaunch is never refused for it); the old one
  stays failed and points at the new.

Each is written as a ``CampaignEvent``: the campaign page's history.
"""

from __future__ import annotations

import functools
from datetime import datetime

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.tenancy import enqueue_on_commit
from core.zones import organisation_zone
from tenants.models import User

from .. import links
from ..models import (
    Campaign,
    CampaignEvent,
    Channel,
    EmailKind,
    InvitationBatch,
    OutboundEmail,
    Pledge,
    Slot,
)
from .calendar_invites import pledge_calendar
from .campaign_limits import open_campaign_claim
from .campaigns import campaign_create, campaign_open, people_count_errors
from .directory import campaign_directory_sync_on_commit
from .message_schedule import RESULT_KEY
from .message_texts import (
    CampaignFacts,
    date_text,
    participant_email_queue,
    placeholder_values,
    time_text,
)
from .outbox import dedupe_key
from .outreach import RELAUNCH_LEVER, BulkAudience, bulk_recipients, invitations_bulk_send
from .reminders import reminders_reset_for_moved_slot

# Every pledge not cancelled: its person is told of a new date.
LIVE = (Pledge.Status.CONFIRMED, Pledge.Status.WAITLISTED, Pledge.Status.AWAITING_APPROVAL,
        Pledge.Status.OFFERED)


def _check_dates(*, starts_at: datetime, mobilisation_deadline: datetime,
                 now: datetime) -> None:
    errors: dict[str, list[str]] = {}
    if starts_at <= now:
        errors["starts_at"] = [_("Choose a start in the future.")]
    if mobilisation_deadline <= now:
        errors["mobilisation_deadline"] = [_("Choose a deadline in the future.")]
    elif mobilisation_deadline > starts_at:
        errors["mobilisation_deadline"] = [_("The mobilisation deadline must be before the "
                                             "action starts.")]
    if errors:
        raise DomainError(errors)


def _live_people(campaign: Campaign) -> int:
    return (Pledge.objects.filter(slot__campaign=campaign, status__in=LIVE)
            .values("participant").distinct().count())


def campaign_postpone(*, campaign: Campaign, starts_at: datetime,
                      mobilisation_deadline: datetime, by_user: User | None,
                      now: datetime | None = None) -> CampaignEvent:
    """Move the action (and every slot, by the same amount) and the deadline; pledges are
    kept and their people told after the commit."""
    now = now or timezone.now()
    _check_dates(starts_at=starts_at, mobilisation_deadline=mobilisation_deadline, now=now)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status not in (Campaign.Status.OPEN, Campaign.Status.FAILED):
            raise DomainError({"status": [_("Only an open campaign, or one that missed its "
                                            "target, can be postponed.")]})
        # Checked on the locked row (a relaunch locks it too): reopening a campaign that
        # has a relaunch would leave two open copies and tell its people twice.
        if campaign.relaunched_as_id is not None:
            raise DomainError({"status": [_("This campaign has been relaunched on new dates: "
                                            "postpone the new campaign instead.")]})
        if starts_at <= campaign.starts_at:
            raise DomainError({"starts_at": [_("Choose a start later than the one planned.")]})
        shift = starts_at - campaign.starts_at
        event = CampaignEvent.objects.create(
            campaign=campaign, kind=CampaignEvent.Kind.POSTPONED, by=by_user, at=now,
            previous_starts_at=campaign.starts_at, new_starts_at=starts_at,
            previous_deadline=campaign.mobilisation_deadline,
            new_deadline=mobilisation_deadline, people_told=_live_people(campaign))
        # A higher SEQUENCE: the calendar invitation of the e-mail replaces the old entry.
        Slot.objects.filter(campaign=campaign).update(starts_at=F("starts_at") + shift,
                                                      ends_at=F("ends_at") + shift,
                                                      sequence=F("sequence") + 1)
        for slot in Slot.objects.filter(campaign=campaign):
            reminders_reset_for_moved_slot(slot=slot, now=now)
        campaign.starts_at, campaign.ends_at = starts_at, campaign.ends_at + shift
        campaign.mobilisation_deadline = mobilisation_deadline
        # The result e-mails of the first deadline stay as sent, under another key: the
        # new deadline's decision is told to everyone again.
        OutboundEmail.objects.filter(
            dedupe_key__startswith=dedupe_key(RESULT_KEY, campaign=campaign.pk) + ":"
        ).update(dedupe_key=Concat(F("dedupe_key"), Value(f":before:{event.pk}")))
        if campaign.status == Campaign.Status.FAILED:
            # Reopened: it takes one of the plan's open campaigns again.
            open_campaign_claim(campaign=campaign)
        campaign.status, campaign.closed_at = Campaign.Status.OPEN, None
        campaign.save(update_fields=["starts_at", "ends_at", "mobilisation_deadline",
                                     "status", "closed_at"])
        # By the task's registered name: the tasks module imports the services.
        enqueue_on_commit("engagement.tasks.notify_campaign_postponed", event.pk)
        campaign_directory_sync_on_commit(campaign)
    return event


def _cancel_url(pledge: Pledge) -> str:
    return links.absolute(reverse("participant_cancel", args=[
        links.participant_token(pledge.participant), pledge.pk]))


def campaign_postponed_notify(*, event_id: int) -> int:
    """The worker's part of a postponement: one e-mail per person with a live pledge, with
    the new date and times and the link to cancel each pledge. Returns how many."""
    event = (CampaignEvent.objects.select_related("campaign__programme")
             .filter(pk=event_id, kind=CampaignEvent.Kind.POSTPONED).first())
    if event is None:
        return 0
    campaign = event.campaign
    facts = CampaignFacts(campaign)
    time_zone = organisation_zone(facts.organisation)
    by_person: dict[int, list[Pledge]] = {}
    for pledge in (Pledge.objects.filter(slot__campaign=campaign, status__in=LIVE)
                   .select_related("participant", "slot__campaign")
                   .order_by("participant_id", "slot__starts_at")):
        by_person.setdefault(pledge.participant_id, []).append(pledge)
    queued = 0
    for pledges in by_person.values():
        participant = pledges[0].participant
        confirmed = [p for p in pledges if p.status == Pledge.Status.CONFIRMED]
        # One event per message (iTIP): the first confirmed pledge's, at its new time.
        calendar = (functools.partial(pledge_calendar, pledge=confirmed[0], method="REQUEST",
                                      url=links.manage_url(participant))
                    if confirmed else None)
        values = placeholder_values(facts, participant=participant, slot=pledges[0].slot,
                                    link=functools.partial(links.manage_url, participant))
        extra: dict[str, object] = {
            # Called by the template, in the recipient's language.
            "previous_date": lambda: date_text(event.previous_starts_at, time_zone),
            "slots": lambda pledges=pledges: [
                {"date": date_text(p.slot.starts_at, time_zone),
                 "time": time_text(p.slot.starts_at, time_zone),
                 "cancel_link": _cancel_url(p)} for p in pledges],
        }
        if participant_email_queue(
                kind=EmailKind.CAMPAIGN_POSTPONED, participant=participant, facts=facts,
                values=values, extra=extra, calendar=calendar,
                dedupe_key=dedupe_key(EmailKind.CAMPAIGN_POSTPONED, event=event.pk,
                                      participant=participant.pk)):
            queued += 1
    return queued


def campaign_relaunch(*, campaign: Campaign, starts_at: datetime,
                      mobilisation_deadline: datetime, by_user: User,
                      participant_target: int | None = None,
                      now: datetime | None = None) -> Campaign:
    """A new campaign copied from a failed one, opened, its people invited; returns it."""
    now = now or timezone.now()
    _check_dates(starts_at=starts_at, mobilisation_deadline=mobilisation_deadline, now=now)
    target = participant_target if participant_target is not None \
        else campaign.participant_target
    if people_count_errors(target):
        raise DomainError({"participant_target": people_count_errors(target)})
    with transaction.atomic():
        old = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if old.status != Campaign.Status.FAILED:
            raise DomainError({"status": [_("Only a campaign that missed its target can be "
                                            "relaunched.")]})
        if old.relaunched_as_id is not None:
            raise DomainError({"status": [_("This campaign has been relaunched already.")]})
        shift = starts_at - old.starts_at
        new = campaign_create(
            programme=old.programme, title=old.title, description=old.description,
            place=old.place, latitude=old.latitude, longitude=old.longitude,
            starts_at=starts_at, ends_at=old.ends_at + shift, participant_target=target,
            mobilisation_deadline=mobilisation_deadline, visibility=old.visibility,
            party_approval_above=old.party_approval_above,
            # Both languages of the title and description, and the waiting list's rule.
            content_language=old.content_language, translations=old.translations,
            freed_seats=old.freed_seats,
            slots=[(slot.starts_at + shift, slot.ends_at + shift, slot.capacity)
                   for slot in old.slots.order_by("starts_at", "pk")])
        campaign_open(campaign=new)
        old.relaunched_as = new
        old.save(update_fields=["relaunched_as"])
        CampaignEvent.objects.create(
            campaign=old, kind=CampaignEvent.Kind.RELAUNCHED, by=by_user, at=now,
            previous_starts_at=old.starts_at, new_starts_at=starts_at,
            previous_deadline=old.mobilisation_deadline, new_deadline=mobilisation_deadline,
            relaunch=new, people_told=_live_people(old))
        audience = BulkAudience(kind=InvitationBatch.Audience.CAMPAIGN, from_campaign=old)
        # Nobody to tell (no pledge, or nobody who can be e-mailed) is no reason to refuse.
        if bulk_recipients(campaign=new, audience=audience, needs_consent=False).exists():
            invitations_bulk_send(campaign=new, audience=audience, lever_code=RELAUNCH_LEVER,
                                  channel=Channel.EMAIL, organiser=by_user, now=now)
    return new
