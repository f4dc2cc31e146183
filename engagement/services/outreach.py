"""Inviting many people in one go: an imported list, a team, a site, everyone, or the
people of a failed campaign that is relaunched.

Who is invited is decided in SQL (``bulk_recipients``): people who can be e-mailed (not
unsubscribed, with an address), who agree to hear about future actions (except for a
relaunch, which is about their own pledge), not yet invited to this campaign and not
already pledged to it. Each is invited once per campaign: the partial unique index
``one_invitation_per_person_and_campaign`` refuses a second row, whoever races.

A send records every invitation at once, however large the group: the organisation's
hourly cap (``settings.BULK_INVITATIONS_PER_HOUR``) throttles the e-mails, never the send.
A worker composes as many as the hour's allowance lets out and the rest over the next
hours (``outreach_delivery``); they leave through the outbox.

A relaunch's invitations are recorded under their own lever code (``RELAUNCH_LEVER``, not
in the catalogue): they tell people about their own pledge, so the lever analysis leaves
them out of its comparison of levers.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.tenancy import enqueue_on_commit
from methodology.models import Lever
from tenants.models import User

from .. import links
from ..models import (
    BulkSendHour,
    Campaign,
    Channel,
    Invitation,
    InvitationBatch,
    Participant,
    Pledge,
    Team,
    _referral_code,
)
from ..selectors import RELAUNCH_LEVER as RELAUNCH_LEVER

Audience = InvitationBatch.Audience
# What a bulk send can be: an e-mail, sent by the organisation or on a manager's behalf.
# (A shared link, a poster or an intranet post are recorded one by one, with their link.)
BULK_CHANNELS = (Channel.EMAIL, Channel.MANAGER)


@dataclass(frozen=True)
class BulkAudience:
    """Who an organiser means: ``kind`` with its team, site or earlier campaign."""

    kind: str
    team: Team | None = None
    site: str = ""
    from_campaign: Campaign | None = None

    @property
    def label(self) -> str:
        """The group's own name (a team, a site, a campaign's title), stored with the
        batch; the kind is shown by its translated name beside it."""
        if self.team is not None:
            return self.team.name
        if self.from_campaign is not None:
            return self.from_campaign.title[:200]
        return self.site


def bulk_audience(*, kind: str, team_id: int | str | None = None,
                  site: str = "") -> BulkAudience:
    """The audience an organiser chose in a form or the API, checked: an unknown team or
    site is refused naming its field."""
    if kind not in (Audience.ALL, Audience.IMPORTED, Audience.TEAM, Audience.SITE,
                    Audience.NEVER_PLEDGED):
        raise DomainError({"audience": [_("Choose who to invite.")]})
    if kind == Audience.TEAM:
        text = str(team_id or "")
        team = Team.objects.filter(pk=int(text)).first() if text.isdigit() else None
        if team is None:
            raise DomainError({"team": [_("Choose one of the teams.")]})
        return BulkAudience(kind=kind, team=team)
    if kind == Audience.SITE:
        site = (site or "").strip()
        if not site or not Participant.objects.filter(site=site).exists():
            raise DomainError({"site": [_("Choose one of the sites.")]})
        return BulkAudience(kind=kind, site=site)
    return BulkAudience(kind=kind)


def _audience_people(audience: BulkAudience) -> QuerySet[Participant]:
    people = Participant.objects.filter(erased_at__isnull=True)
    if audience.kind == Audience.IMPORTED:
        people = people.filter(source=Participant.Source.IMPORT)
    elif audience.kind == Audience.TEAM:
        people = people.filter(team=audience.team)
    elif audience.kind == Audience.SITE:
        people = people.filter(site=audience.site)
    elif audience.kind == Audience.NEVER_PLEDGED:
        people = people.exclude(Exists(Pledge.objects.filter(participant=OuterRef("pk"))))
    elif audience.kind == Audience.CAMPAIGN:
        # Those whose pledge was still live when it failed (not those who cancelled).
        people = people.filter(Exists(Pledge.objects.filter(
            participant=OuterRef("pk"), slot__campaign=audience.from_campaign,
        ).exclude(status=Pledge.Status.CANCELLED)))
    return people


def _with_reasons(campaign: Campaign, audience: BulkAudience) -> QuerySet[Participant]:
    # "Invited already" as two uncorrelated IN subqueries, which PostgreSQL reads once and
    # hashes, rather than one correlated EXISTS with an OR, which scanned the campaign's
    # invitations once per person: minutes for 20,000 people once a campaign had 18,000
    # invitations (bench/bulk_invitations.py).
    invited = Invitation.objects.filter(campaign=campaign)
    is_invited = (Q(pk__in=invited.filter(participant__isnull=False).values("participant_id"))
                  | Q(email__in=invited.filter(channel=Channel.EMAIL).exclude(invitee_email="")
                      .values("invitee_email")))
    pledged = Pledge.objects.filter(participant=OuterRef("pk"), slot__campaign=campaign
                                    ).exclude(status=Pledge.Status.CANCELLED)
    return _audience_people(audience).annotate(
        is_invited=ExpressionWrapper(is_invited, output_field=BooleanField()),
        has_pledged=Exists(pledged))


# Each person left out is counted under the first reason that applies, in this order.
_UNREACHABLE = Q(unsubscribed_at__isnull=False) | Q(email="")


def _reasons(needs_consent: bool) -> dict[str, Q]:
    reasons = {"unsubscribed": _UNREACHABLE}
    reachable = ~_UNREACHABLE
    if needs_consent:
        reasons["no_consent"] = reachable & Q(consent_to_contact=False)
        reachable &= Q(consent_to_contact=True)
    reasons["already_pledged"] = reachable & Q(has_pledged=True)
    reasons["already_invited"] = reachable & Q(has_pledged=False, is_invited=True)
    return reasons


def bulk_recipients(*, campaign: Campaign, audience: BulkAudience,
                    needs_consent: bool = True) -> QuerySet[Participant]:
    """The people a send would invite now."""
    excluded = Q()
    for reason in _reasons(needs_consent).values():
        excluded |= reason
    return _with_reasons(campaign, audience).exclude(excluded).order_by("pk")


@dataclass(frozen=True)
class BulkPreview:
    """How many a send would invite, and how many it leaves out and why."""

    audience: int
    unsubscribed: int
    no_consent: int
    already_pledged: int
    already_invited: int
    to_invite: int
    allowance_left: int


def bulk_preview(*, campaign: Campaign, audience: BulkAudience,
                 now: datetime | None = None) -> BulkPreview:
    """The counts shown before sending, in one query (plus the hour's allowance)."""
    counts = _with_reasons(campaign, audience).aggregate(
        audience=Count("pk"),
        **{name: Count("pk", filter=reason) for name, reason in _reasons(True).items()})
    left_out = sum(counts[name] for name in _reasons(True))
    return BulkPreview(audience=counts["audience"], unsubscribed=counts["unsubscribed"],
                       no_consent=counts["no_consent"],
                       already_pledged=counts["already_pledged"],
                       already_invited=counts["already_invited"],
                       to_invite=counts["audience"] - left_out,
                       allowance_left=allowance_left(now=now))


def hour_start(now: datetime) -> datetime:
    """The clock hour ``now`` falls in: the allowance's unit."""
    return now.replace(minute=0, second=0, microsecond=0)


def allowance_left(*, now: datetime | None = None) -> int:
    """Bulk invitations the organisation may still send in the current clock hour."""
    used = (BulkSendHour.objects.filter(hour=hour_start(now or timezone.now()))
            .values_list("invitations", flat=True).first() or 0)
    return max(0, settings.BULK_INVITATIONS_PER_HOUR - used)


def bulk_send_check(*, campaign: Campaign, lever_code: str | None, channel: str) -> None:
    """Refuse, naming the field, what no send could accept (a preview checks it too);
    ``lever_code`` None: the lever is the service's own (a relaunch)."""
    errors: dict[str, list[str]] = {}
    if not campaign.is_open:
        errors["campaign"] = [_("Open the campaign before inviting people to it.")]
    if channel not in BULK_CHANNELS:
        errors["channel"] = [_("Choose how the invitation is sent.")]
    if lever_code is not None and not Lever.objects.filter(code=lever_code).exists():
        errors["lever_code"] = [_("Choose a lever of the list.")]
    if errors:
        raise DomainError(errors)


def invitations_bulk_send(*, campaign: Campaign, audience: BulkAudience, lever_code: str,
                          channel: str, organiser: User,
                          now: datetime | None = None,
                          people: Collection[int] | None = None,
                          wording: Mapping[str, str] | None = None,
                          send_at: datetime | None = None) -> InvitationBatch:
    """Invite everyone ``bulk_recipients`` names to ``campaign``, each invitation recorded
    with the lever and channel, all at once; the e-mails leave through the outbox after
    the commit, as many an hour as the organisation's cap allows (``outreach_delivery``).
    A relaunch (``Audience.CAMPAIGN``) is recorded under ``RELAUNCH_LEVER``.

    A lever experiment's variant narrows the audience to ``people`` (participant ids),
    sends its own ``wording`` (see ``message_texts.Wording``) and starts at ``send_at``."""
    now = now or timezone.now()
    relaunch = audience.kind == Audience.CAMPAIGN
    if relaunch:
        lever_code = RELAUNCH_LEVER
        bulk_send_check(campaign=campaign, lever_code=None, channel=channel)
    else:
        bulk_send_check(campaign=campaign, lever_code=lever_code, channel=channel)
    with transaction.atomic():
        batch = InvitationBatch.objects.create(
            campaign=campaign, organiser=organiser, audience=audience.kind,
            audience_label=audience.label, channel=channel, lever_code=lever_code,
            wording=dict(wording or {}), created_at=now)
        recipients = bulk_recipients(campaign=campaign, audience=audience,
                                     needs_consent=not relaunch)
        if people is not None:
            recipients = recipients.filter(pk__in=list(people))
        invited, after = 0, 0
        while True:
            chunk = invitations_record(batch=batch, recipients=recipients, after=after)
            if chunk.last_person is None:
                break
            invited, after = invited + chunk.invited, chunk.last_person
        if not invited:
            raise DomainError({"audience": [_("Nobody in this group can be invited: they "
                                              "are invited already, pledged, or cannot be "
                                              "e-mailed.")]})
        batch.invited, batch.next_at = invited, max(now, send_at or now)
        batch.save(update_fields=["invited", "next_at"])
        # By the task's registered name: the tasks module imports the services.
        enqueue_on_commit("engagement.tasks.send_invitation_batch", batch.pk,
                          **({"eta": batch.next_at} if batch.next_at > now else {}))
    return batch


# People recorded per statement: one chunk of a bulk job is committed with its progress.
RECORD_CHUNK = 1_000


@dataclass(frozen=True)
class RecordedChunk:
    """One chunk of a bulk send: ``considered`` people read (the last of them
    ``last_person``, None when nobody was left), ``invited`` of them recorded now (the
    others were invited meanwhile, by another send or an earlier run of this one)."""

    considered: int
    invited: int
    last_person: int | None


def invitations_record(*, batch: InvitationBatch, recipients: QuerySet[Participant],
                       after: int, limit: int = RECORD_CHUNK) -> RecordedChunk:
    """Record the invitations of the next ``limit`` recipients whose pk is above ``after``
    (their pk order), in one statement. ``recipients`` is ``bulk_recipients``, read again
    for each chunk: someone who unsubscribed or withdrew consent meanwhile is left out.

    Exactly once per person and campaign, whoever races (another send, this send's job run
    again after a crash): the insert skips, on the partial unique index
    ``one_invitation_per_person_and_campaign``, whoever is invited already. The rows go in
    person order, so two sends to the same campaign wait on each other's keys in the same
    order and cannot deadlock."""
    rows = list(recipients.filter(pk__gt=after).values_list("pk", "email")[:limit])
    if not rows:
        return RecordedChunk(considered=0, invited=0, last_person=None)
    table = Invitation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (campaign_id, code, organiser_id, channel, "  # noqa: S608
            "lever_code, invitee_email, audience_label, sent_at, participant_id, batch_id, "
            "open_count) "
            "SELECT %(campaign)s, r.code, %(organiser)s, %(channel)s, %(lever)s, r.email, "
            "%(label)s, %(now)s, r.person, %(batch)s, 0 "
            "FROM unnest(%(people)s::bigint[], %(emails)s::text[], %(codes)s::text[]) "
            "AS r(person, email, code) ORDER BY r.person "
            "ON CONFLICT (campaign_id, participant_id) WHERE participant_id IS NOT NULL "
            "DO NOTHING RETURNING id",
            {"campaign": batch.campaign_id, "organiser": batch.organiser_id,
             "channel": batch.channel, "lever": batch.lever_code,
             "label": batch.audience_label, "now": batch.created_at, "batch": batch.pk,
             "people": [pk for pk, _email in rows], "emails": [email for _pk, email in rows],
             "codes": [_referral_code() for _row in rows]})
        invited = len(cursor.fetchall())
    return RecordedChunk(considered=len(rows), invited=invited, last_person=rows[-1][0])


def invitation_link(invitation: Invitation) -> str:
    """The link an invited participant follows: their own signed link to the campaign
    (so an internal campaign lets them in), carrying the invitation's code (so the visit
    counts in the funnel)."""
    participant = invitation.participant
    assert participant is not None
    path = reverse("participant_go", args=[links.participant_token(participant),
                                           invitation.campaign.code])
    return links.absolute(f"{path}?i={invitation.code}")
