"""Alerts to a campaign's organisers: the target reached, a slot under-filled three days
before, a late cancellation, a campaign at risk of missing its target a week and three days
before its deadline (raised by ``lab.forecasts.alerts`` from the stored forecast).

Who: the organisation's owners and managers (the people who can act on a campaign; viewers
follow figures, they are not asked to act), each in their own language, with a link to the
campaign's page.

Once: each fact is an ``OrganiserAlert`` row whose ``dedupe_key`` names it (this campaign's
target, this slot's under-filling at its current date, this pledge's cancellation) under a
unique index; the
e-mails are queued in the transaction that inserts it, so a fact raised twice, or by two
workers at once, is e-mailed once. The schedule raises what is due each run and nothing
after the slot has begun, so an outage delays an alert without losing it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.db import IntegrityError, transaction
from django.db.models import Case, CharField, Exists, F, OuterRef, Q, Value, When
from django.db.models.functions import Cast, Concat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from core import formatting
from core.roles import Role
from core.tenancy import current_organisation
from tenants.models import User

from .. import links
from ..models import (
    Campaign,
    EmailKind,
    Invitation,
    OrganiserAlert,
    OrganiserAlertMute,
    Pledge,
    ProgrammeLever,
    Slot,
)
from ..selectors import INVITATION_SENT, campaigns_with_mobilised
from .campaigns import mobilised_count
from .message_texts import date_text, message_language, one_line, time_text
from .outbox import email_queue

# A slot is under-filled when, three days before it starts, fewer than half of its places
# are taken (offered places count as taken: someone is about to confirm them).
UNDERFILLED_BEFORE = timedelta(days=3)
UNDERFILLED_SHARE = 0.5
TAKING_PLACE = (Campaign.Status.OPEN, Campaign.Status.SUCCEEDED)
Kind = OrganiserAlert.Kind
AT_RISK = (Kind.AT_RISK_D7, Kind.AT_RISK_D3)


def alert_recipients() -> list[User]:
    """The organisation's active owners and managers, but those who muted the alerts."""
    muted = OrganiserAlertMute.objects.values_list("user_id", flat=True)
    return list(User.objects.filter(
        is_active=True, memberships__organisation=current_organisation(),
        memberships__role__in=[Role.OWNER, Role.MANAGER])
        .exclude(pk__in=list(muted)).order_by("pk").distinct())


def organiser_alerts_mute(*, user: User, muted: bool) -> bool:
    """A member stops (or starts again) receiving the alerts; returns the new choice."""
    if muted:
        OrganiserAlertMute.objects.get_or_create(user_id=user.pk)
    else:
        OrganiserAlertMute.objects.filter(user_id=user.pk).delete()
    return muted


def organiser_alerts_muted(*, user: User) -> bool:
    return OrganiserAlertMute.objects.filter(user_id=user.pk).exists()


def _key(kind: str, **ids: int) -> str:
    return kind + "".join(f":{name}:{value}" for name, value in ids.items())


# A slot moved (``slot_move``, ``campaign_postpone``) has its ``sequence`` raised: its
# under-filling at the new date is a new fact. The first date's key keeps no sequence
# part, as the keys already raised have none.
def _underfilled_key(slot: Slot) -> str:
    key = _key(Kind.SLOT_UNDERFILLED, campaign=slot.campaign_id, slot=slot.pk)
    return f"{key}:sequence:{slot.sequence}" if slot.sequence else key


def _underfilled_key_sql() -> Concat:
    moved = Case(When(sequence=0, then=Value("")),
                 default=Concat(Value(":sequence:"), Cast("sequence", CharField())),
                 output_field=CharField())
    return Concat(Value(f"{Kind.SLOT_UNDERFILLED}:campaign:"),
                  Cast("campaign_id", CharField()), Value(":slot:"),
                  Cast("pk", CharField()), moved, output_field=CharField())


def campaign_levers_unused(campaign: Campaign) -> list[ProgrammeLever]:
    """The levers of the programme's plan that no invitation of this campaign has used
    yet (an invitation counts once sent: ``INVITATION_SENT``), in the plan's order."""
    used = set(Invitation.objects.filter(INVITATION_SENT, campaign=campaign)
               .values_list("lever_code", flat=True).distinct())
    return [lever for lever in ProgrammeLever.objects.filter(programme_id=campaign.programme_id)
            if lever.code not in used]


def lever_invite_path(campaign: Campaign, lever: ProgrammeLever) -> str:
    """Inviting people in one go with this lever chosen."""
    return reverse("campaign_invite_many", args=[campaign.pk]) + "?" + urlencode(
        {"lever": lever.code})


def alert_raise(*, kind: Kind, campaign: Campaign, slot: Slot | None = None,
                pledge: Pledge | None = None,
                probability: float | None = None) -> OrganiserAlert | None:
    """Record the fact and e-mail the organisers; None if it was raised already.
    ``probability``: the forecast's chance of reaching the target, for the at-risk kinds."""
    ids = {"campaign": campaign.pk}
    if kind == Kind.LATE_CANCELLATION and pledge is not None:
        ids["pledge"] = pledge.pk
    key = (_underfilled_key(slot) if kind == Kind.SLOT_UNDERFILLED and slot is not None
           else _key(kind, **ids))
    with transaction.atomic():
        try:
            with transaction.atomic():
                alert = OrganiserAlert.objects.create(kind=kind, campaign=campaign, slot=slot,
                                                      pledge=pledge, dedupe_key=key)
        except IntegrityError:
            return None  # raised already, by an earlier run or a concurrent one
        link = links.absolute(reverse("campaign_detail", args=[campaign.pk]))
        for user in alert_recipients():
            language = message_language(user.preferred_language,
                                        current_organisation().locale)
            subject, body = _compose(alert, user, language=language, link=link,
                                     probability=probability)
            email_queue(kind=EmailKind.ORGANISER_ALERT, to_email=user.email, subject=subject,
                        body=body, campaign=campaign, language=language, action_url=link,
                        dedupe_key=f"{EmailKind.ORGANISER_ALERT}:{alert.dedupe_key}"
                                   f":user:{user.pk}")
    return alert


def _compose(alert: OrganiserAlert, user: User, *, language: str, link: str,
             probability: float | None = None) -> tuple[str, str]:
    campaign, slot, pledge = alert.campaign, alert.slot, alert.pledge
    organisation = current_organisation()
    with translation.override(language):
        zone = timezone.get_current_timezone_name()
        context: dict[str, object] = {
            "kind": alert.kind, "campaign_title": one_line(campaign.localized("title").text),
            "link": link,
            "settings_link": links.absolute(reverse("organiser_alert_settings")),
            "target": campaign.participant_target, "people": mobilised_count(campaign),
            "organisation_name": organisation.name,
            "first_name": user.get_short_name() if user.full_name else "",
        }
        if slot is not None:
            context |= {"date": date_text(slot.starts_at, zone),
                        "time": time_text(slot.starts_at, zone),
                        "taken": slot.confirmed_seats, "capacity": slot.capacity}
        if alert.kind in AT_RISK:
            context |= {
                "deadline": date_text(campaign.mobilisation_deadline, zone),
                "chance": formatting.chance(probability),
                "levers": [(one_line(lever.tr("name")),
                            links.absolute(lever_invite_path(campaign, lever)))
                           for lever in campaign_levers_unused(campaign)]}
        if pledge is not None:
            context |= {"who": one_line(pledge.participant.display_name),
                        "seats": pledge.seats}
        text = render_to_string("engagement/email/organiser_alert.txt", context)
    subject, _newline, body = text.strip().partition("\n")
    return " ".join(subject.split())[:300], body.strip() + "\n"


def target_reached_check(*, campaign_id: int) -> OrganiserAlert | None:
    """Alert once when a campaign still mobilising has as many people as its target (once
    decided at its deadline, the decision is the news)."""
    campaign = Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.OPEN).first()
    if campaign is None or mobilised_count(campaign) < campaign.participant_target:
        return None
    return alert_raise(kind=Kind.TARGET_REACHED, campaign=campaign)


def late_cancellation_alert(*, pledge_id: int) -> OrganiserAlert | None:
    """A confirmed pledge cancelled less than 48 hours before its slot (``pledge_cancel``
    decides that, and queues this after its commit)."""
    pledge = (Pledge.objects.select_related("participant", "slot__campaign")
              .filter(pk=pledge_id, status=Pledge.Status.CANCELLED).first())
    if pledge is None or pledge.slot.starts_at <= timezone.now():
        return None
    return alert_raise(kind=Kind.LATE_CANCELLATION, campaign=pledge.slot.campaign,
                       slot=pledge.slot, pledge=pledge)


def organiser_alerts_queue(*, now: datetime) -> int:
    """The schedule's part: slots under-filled three days before (until they start), and,
    as a safety net for the alert raised on each pledge, targets reached. Returns how many
    alerts were raised."""
    raised = 0
    already = Exists(OrganiserAlert.objects.filter(dedupe_key=OuterRef("underfilled_key")))
    underfilled = (Slot.objects.select_related("campaign")
                   .annotate(underfilled_key=_underfilled_key_sql())
                   .filter(campaign__status__in=TAKING_PLACE, starts_at__gt=now,
                           starts_at__lte=now + UNDERFILLED_BEFORE,
                           confirmed_seats__lt=F("capacity") * UNDERFILLED_SHARE)
                   .exclude(already).order_by("starts_at"))
    for slot in underfilled:
        raised += alert_raise(kind=Kind.SLOT_UNDERFILLED, campaign=slot.campaign,
                              slot=slot) is not None
    # One query for every open campaign: its confirmed people against its target.
    reached = (campaigns_with_mobilised().prefetch_related(None)
               .filter(Q(mobilised__gte=F("participant_target")),
                       status=Campaign.Status.OPEN, starts_at__gt=now)
               .exclude(alerts__kind=Kind.TARGET_REACHED).order_by("pk"))
    for campaign in reached:
        raised += alert_raise(kind=Kind.TARGET_REACHED, campaign=campaign) is not None
    return raised
