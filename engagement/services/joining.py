"""How people join a campaign: participants, invitations (the snowball) and sign-up."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.tenancy import current_organisation, enqueue_on_commit
from methodology.models import Lever
from tenants.models import User

from ..models import (
    Campaign,
    Channel,
    ConsentRecord,
    EmailKind,
    Invitation,
    Participant,
    Pledge,
    Slot,
    Team,
)
from .activity import participant_touch
from .consent import consent_record
from .pledges import MAX_COMPANIONS, _notify_on_commit, pledge_create
from .quota import participant_quota_claim
from .rows import insert_sql, mark_saved

logger = logging.getLogger(__name__)

PERSONAL_LEVER = "personal_invitation"
# How a consent given with a new or completed participant came, by the participant's source.
CONSENT_SOURCES: dict[str, str] = {Participant.Source.SIGNUP: ConsentRecord.Source.JOIN_FORM,
                                   Participant.Source.INVITATION:
                                       ConsentRecord.Source.JOIN_FORM,
                                   Participant.Source.IMPORT: ConsentRecord.Source.IMPORT,
                                   Participant.Source.API: ConsentRecord.Source.API}


def team_get_or_create(name: str, kind: str = Team.Kind.DEPARTMENT) -> Team | None:
    name = (name or "").strip()
    if not name:
        return None
    team = Team.objects.filter(name__iexact=name).first()
    if team is None:
        try:
            with transaction.atomic():
                team = Team.objects.create(name=name, kind=kind)
        except IntegrityError:  # created meanwhile by another request
            team = Team.objects.get(name__iexact=name)
    return team


def participant_upsert(*, email: str, first_name: str = "", last_name: str = "",
                       language: str = "", team: str = "", site: str = "", postcode: str = "",
                       age_band: str = "", consent_to_contact: bool | None = None,
                       source: str = Participant.Source.SIGNUP,
                       referred_by: Participant | None = None,
                       update_existing: bool = True, consent_source: str = "",
                       consent_campaign: Campaign | None = None) -> tuple[Participant, bool]:
    """The participant with this e-mail (case-insensitive), created or completed.
    Existing values are only overwritten by non-empty ones; the referrer is set once.

    ``consent_to_contact`` (None: not asked) is recorded by ``consent_record`` with
    ``consent_source`` (by default the one matching ``source``), which decides whether it
    changes anything: see ``services.consent``.

    ``update_existing=False`` is for callers that have not proved control of the address
    (a visitor typing it in a public form): an existing participant is returned as it is,
    whatever was typed, so knowing someone's e-mail never changes their name, team,
    consent or language."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise DomainError({"email": [_("Enter a valid e-mail address.")]}) from exc
    if language and language not in ("fr", "en"):
        raise DomainError({"language": [_("Choose “fr” or “en”.")]})
    values = {"first_name": first_name.strip(), "last_name": last_name.strip(),
              "language": language, "site": site.strip(), "postcode": postcode.strip(),
              "age_band": age_band.strip()}
    # No savepoint of its own: nothing in it is caught and carried on from (a new person
    # goes in with ON CONFLICT, not by catching a unique violation).
    with transaction.atomic(savepoint=False):
        # New people default to the organisation's language. With a team to find or
        # make, the person is looked up first (a known person's team is left alone).
        participant = None if team else _participant_insert(
            email=email, source=source, referred_by=referred_by,
            language=language or _organisation_locale(),
            **{k: v for k, v in values.items() if v and k != "language"})
        created = participant is not None
        if not created:
            participant = Participant.objects.select_for_update().filter(
                email__iexact=email).first()
        if participant is None:
            created = True
            try:
                with transaction.atomic():
                    participant = Participant.objects.create(
                        email=email, source=source, referred_by=referred_by,
                        language=language or _organisation_locale(),
                        team=team_get_or_create(team),
                        **{k: v for k, v in values.items() if v and k != "language"},
                    )
            except IntegrityError:  # the same person signing up twice at once
                participant = Participant.objects.get(email__iexact=email)
                created = False
        assert participant is not None  # found, created, or found after the race
        if not created and update_existing:
            changed = []
            for name, value in values.items():
                if value and getattr(participant, name) != value:
                    setattr(participant, name, value)
                    changed.append(name)
            if team and (participant.team is None or participant.team.name.lower()
                         != team.strip().lower()):
                participant.team = team_get_or_create(team)
                changed.append("team")
            if referred_by and participant.referred_by_id is None and \
                    referred_by.pk != participant.pk and not participant.pledges.exists():
                participant.referred_by = referred_by
                changed.append("referred_by")
            if changed:
                participant.save(update_fields=changed)
        if consent_to_contact is not None and (created or update_existing):
            consent_record(participant=participant, given=consent_to_contact,
                           source=consent_source or CONSENT_SOURCES.get(
                               source, ConsentRecord.Source.ORGANISER),
                           campaign=consent_campaign,
                           language="" if source in (Participant.Source.SIGNUP,
                                                     Participant.Source.INVITATION)
                           else participant.language)
    return participant, created


def _participant_insert(**fields: object) -> Participant | None:
    """A new participant with this address, in one statement; None, writing nothing, when
    the address is someone's already (whatever its case: the unique index on
    ``lower(email)``), or is being taken by a transaction still running (PostgreSQL waits
    for it, then answers for the row it committed)."""
    participant = Participant(**fields)
    insert, params = insert_sql(participant)
    with connection.cursor() as cursor:
        cursor.execute(f"{insert} ON CONFLICT (lower(email)) WHERE NOT (email = '') "
                       "DO NOTHING RETURNING id", params)
        row = cursor.fetchone()
    if row is None:
        return None
    mark_saved(participant, row[0])
    return participant


def _space_read_only() -> bool:
    from billing.entitlements import entitlements_for
    return entitlements_for(current_organisation()
                            ).read_only


def _organisation_locale() -> str:
    locale: str = current_organisation().locale
    return locale


def invitation_create(*, campaign: Campaign, channel: str, lever_code: str,
                      inviter: Participant | None = None, organiser: User | None = None,
                      invitee_email: str = "", audience_label: str = "") -> Invitation:
    """Record an invitation (its link carries the code). E-mail invitations are sent."""
    errors: dict[str, list[str]] = {}
    if channel not in Channel.values:
        errors["channel"] = [_("Choose one of: %(choices)s.") % {
            "choices": ", ".join(Channel.values)}]
    if not Lever.objects.filter(code=lever_code).exists():
        errors["lever_code"] = [_("“%(code)s” is not in the lever catalogue.") % {
            "code": lever_code}]
    if inviter is None and organiser is None:
        errors["inviter"] = [_("An invitation comes from a participant or an organiser.")]
    if channel == Channel.EMAIL:
        try:
            validate_email(invitee_email)
        except ValidationError:
            errors["invitee_email"] = [_("Enter a valid e-mail address.")]
    if errors:
        raise DomainError(errors)
    invitation = Invitation.objects.create(
        campaign=campaign, channel=channel, lever_code=lever_code, inviter=inviter,
        organiser=organiser, invitee_email=invitee_email.strip().lower(),
        audience_label=audience_label.strip())
    if channel == Channel.EMAIL:
        # By the task's registered name: the tasks module imports the services.
        enqueue_on_commit("engagement.tasks.send_invitation_email", invitation.pk)
    return invitation


def personal_invitation_ensure(*, campaign: Campaign, participant: Participant) -> Invitation:
    """The participant's own shareable link for this campaign (one per campaign)."""
    invitation = Invitation.objects.filter(
        campaign=campaign, inviter=participant, channel=Channel.LINK_SHARE,
        lever_code=PERSONAL_LEVER).first()
    return invitation or invitation_create(campaign=campaign, channel=Channel.LINK_SHARE,
                                           lever_code=PERSONAL_LEVER, inviter=participant)


def personal_invitation_code(*, campaign: Campaign, participant: Participant) -> str:
    """The code of the participant's shareable link, or "" when it cannot be made.

    Pages and e-mails show this link as an extra: without the methodology library (the
    lever catalogue, loaded by ``python -m config.prod release``) no invitation can name its
    lever, and the page must still show the person their pledges. The missing library is
    an operator's error, logged as such; any other refusal is raised as usual."""
    try:
        return personal_invitation_ensure(campaign=campaign, participant=participant).code
    except DomainError as error:
        if set(error.errors) != {"lever_code"}:
            raise
        logger.error(
            "No personal invitation link for campaign %s: lever %r is not in the lever "
            "catalogue. Load the methodology library (python -m config.prod release, or "
            "manage.py load_methodology).", campaign.pk, PERSONAL_LEVER)
        return ""


def invitation_record_open(*, campaign: Campaign, code: str) -> Invitation | None:
    """Count a visit through an invitation link; None if the code is not this campaign's."""
    invitation = Invitation.objects.filter(campaign=campaign, code=code).first()
    if invitation is not None:
        Invitation.objects.filter(pk=invitation.pk).update(open_count=F("open_count") + 1)
        Invitation.objects.filter(pk=invitation.pk, first_opened_at__isnull=True).update(
            first_opened_at=timezone.now())
    return invitation


def email_domain_allowed(email: str) -> bool:
    organisation = current_organisation()
    domain = email.rsplit("@", 1)[-1].lower()
    return domain in {d.lower() for d in organisation.allowed_email_domains}


class JoinedPledges(list[Pledge]):
    """The pledges a join made (a list), and whether it created their participant.

    ``participant_created`` is what lets a page open the participant's space at once: only
    a person made a moment ago by this very request, or one who proved their address
    (``known_participant``), may see it; anyone else is told to read their e-mail."""

    participant_created: bool = False
    participant: Participant


def campaign_join(*, campaign: Campaign, email: str, slot_ids: list[int],
                  first_name: str = "", last_name: str = "", language: str = "",
                  companions: int = 0, companion_names: str = "", team: str = "",
                  site: str = "", postcode: str = "", age_band: str = "",
                  consent_to_contact: bool = False, invitation_code: str = "",
                  known_participant: Participant | None = None,
                  on_participant: Callable[[Participant, bool], None] | None = None
                  ) -> JoinedPledges:
    """Sign up for one or more slots of a campaign (the public join form and API).

    Knowing an e-mail proves nothing: when the address is already a participant's and the
    caller has not proved control of it (``known_participant``, from a signed link), the
    pledge is recorded but nothing about the person changes (name, team, consent,
    language, referrer); the confirmation e-mail, sent to that address, carries the link.
    With ``known_participant`` the values given complete the participant as before.

    ``consent_to_contact`` can only give consent: a join without the box ticked leaves a
    known participant's earlier answer as it is (withdrawing is the unsubscribe link's
    job, or an organiser's), so joining a second campaign never switches it off.

    A party with more companions than the campaign's ``party_approval_above`` is recorded
    as awaiting an organiser's approval: it takes no place until approved
    (``pledge_approve``).

    An internal campaign accepts only people holding a signed participant link
    (``known_participant``): the organisation's own lists, people invited by e-mail, and
    anyone who proved an address in its allowed domains (``access_link_send``).

    ``on_participant(participant, created)`` is called in the transaction once the person
    is known, before any seat is taken: what the caller writes there (the join page: the
    session that remembers the visitor) commits with the pledges or not at all, and is not
    written while the slot's row is locked (every sign-up to the slot waits for that lock,
    so the pledge's statement is the join's last before the commit).
    """
    errors: dict[str, list[str]] = {}
    if not campaign.is_open:
        raise DomainError({"campaign": [_("This campaign is not open for pledges.")]})
    if _space_read_only():
        raise DomainError({"campaign": [_("This campaign is paused for the moment.")]})
    if not slot_ids:
        errors["slots"] = [_("Choose at least one time slot.")]
    # In one order (time, then id), so two joins to the same slots lock them alike.
    slots = list(Slot.objects.filter(campaign=campaign, pk__in=slot_ids)
                 .order_by("starts_at", "pk"))
    for slot in slots:
        slot.campaign = campaign  # pledge_create reads it: not fetched again
    if slot_ids and len(slots) != len(set(slot_ids)):
        errors["slots"] = [_("Choose time slots of this campaign.")]
    if known_participant is not None and \
            known_participant.email.lower() != (email or "").strip().lower():
        errors["email"] = [_("Use the e-mail address your link was sent to.")]
    if campaign.visibility == Campaign.Visibility.INTERNAL and known_participant is None:
        errors["email"] = [_("This campaign is internal: open it from the link you "
                             "received, or verify your organisation e-mail address first.")]
    if errors:
        raise DomainError(errors)
    # With its inviter, who becomes a new person's referrer.
    invitation = (Invitation.objects.select_related("inviter")
                  .filter(campaign=campaign, code=invitation_code).first()
                  if invitation_code else None)
    with transaction.atomic():
        participant, created = participant_upsert(
            email=email, first_name=first_name, last_name=last_name, language=language,
            team=team, site=site, postcode=postcode, age_band=age_band,
            consent_to_contact=True if consent_to_contact else None,
            consent_source=ConsentRecord.Source.JOIN_FORM, consent_campaign=campaign,
            source=Participant.Source.INVITATION if invitation else Participant.Source.SIGNUP,
            referred_by=invitation.inviter if invitation else None,
            update_existing=known_participant is not None)
        pledges = JoinedPledges()
        pledges.participant_created, pledges.participant = created, participant
        if not created and known_participant is None:
            # Someone typed a known address: "already pledged" would tell them what this
            # person signed up for. Slots the participant already holds are left as they
            # are, silently; the answer is the same "check your e-mail" as for the others.
            held = set(Pledge.objects.filter(participant=participant, slot__in=slots)
                       .exclude(status=Pledge.Status.CANCELLED)
                       .values_list("slot_id", flat=True))
            slots = [slot for slot in slots if slot.pk not in held]
        if slots:
            # The plan's participants quota (services.quota), under its lock until commit.
            participant_quota_claim(participant_id=participant.pk)
        if on_participant is not None:
            on_participant(participant, created)
        for slot in slots:
            if companions > campaign.party_approval_above:
                pledge = _pledge_awaiting_approval(slot=slot, participant=participant,
                                                   companions=companions,
                                                   companion_names=companion_names,
                                                   invitation=invitation)
            else:
                pledge = pledge_create(slot=slot, participant=participant,
                                       companions=companions, companion_names=companion_names,
                                       invitation=invitation,
                                       participant_new=created)
            pledges.append(pledge)
    return pledges


def _pledge_awaiting_approval(*, slot: Slot, participant: Participant, companions: int,
                              companion_names: str, invitation: Invitation | None) -> Pledge:
    """A large party's pledge: no seat taken (``confirmed_seats`` is not touched) until an
    organiser approves it. The partial unique index still allows one live pledge per
    participant and slot, awaiting ones included."""
    if not 0 <= companions <= MAX_COMPANIONS:
        raise DomainError({"companions": [_("Bring between 0 and %(max)s companions.") % {
            "max": MAX_COMPANIONS}]})
    try:
        with transaction.atomic():
            pledge = Pledge.objects.create(
                slot=slot, participant=participant, invitation=invitation,
                companions=companions, companion_names=companion_names.strip()[:300],
                status=Pledge.Status.AWAITING_APPROVAL)
    except IntegrityError as exc:
        raise DomainError({"slot": [_("You have already pledged to this time slot.")]}) from exc
    participant_touch(participant_id=participant.pk)
    _notify_on_commit("notify_pledge", pledge.pk)
    return pledge


def pledge_approve(*, pledge: Pledge) -> Pledge:
    """An organiser lets a large party in: it takes its places now if they are free, else
    it goes on the waiting list (and is told either way)."""
    with transaction.atomic():
        # Lock order: slot, then pledge, as pledge_create and pledge_cancel do.
        slot = Slot.objects.select_for_update().get(pk=pledge.slot_id)
        pledge = Pledge.objects.select_for_update().get(pk=pledge.pk)
        if pledge.status != Pledge.Status.AWAITING_APPROVAL:
            raise DomainError({"status": [_("This pledge is not awaiting approval.")]})
        now = timezone.now()
        if slot.confirmed_seats + pledge.seats <= slot.capacity:
            slot.confirmed_seats += pledge.seats
            slot.save(update_fields=["confirmed_seats"])
            pledge.status, pledge.confirmed_at = Pledge.Status.CONFIRMED, now
            pledge.save(update_fields=["status", "confirmed_at"])
        else:
            pledge.status = Pledge.Status.WAITLISTED
            pledge.save(update_fields=["status"])
        # The confirmation (or waiting-list) message, as for any join.
        _notify_on_commit("notify_pledge", pledge.pk)
    return pledge


def pledge_decline(*, pledge: Pledge) -> Pledge:
    """An organiser declines a large party: the pledge is cancelled (it held no place)."""
    with transaction.atomic():
        pledge = Pledge.objects.select_for_update().get(pk=pledge.pk)
        if pledge.status != Pledge.Status.AWAITING_APPROVAL:
            raise DomainError({"status": [_("This pledge is not awaiting approval.")]})
        pledge.status, pledge.cancelled_at = Pledge.Status.CANCELLED, timezone.now()
        pledge.save(update_fields=["status", "cancelled_at"])
    return pledge


def access_link_send(*, campaign: Campaign, email: str, language: str) -> bool:
    """Someone at an allowed domain asks to join an internal campaign: e-mail them a signed
    link (at most one an hour). Returns False, writing nothing, for other addresses."""
    from django.urls import reverse
    from django.utils import translation

    from .. import links
    from .outbox import email_queue

    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        return False
    if not email_domain_allowed(email):
        return False
    # Asking proves nothing yet: an existing participant is left exactly as they are.
    participant, _created = participant_upsert(email=email, language=language,
                                               source=Participant.Source.SIGNUP,
                                               update_existing=False)
    link = links.absolute(reverse("participant_go", args=[
        links.participant_token(participant), campaign.code]))
    # The title is the organiser's text: on one line, it can shape neither the subject
    # header nor the body's lines.
    with translation.override(participant.language or language):
        title = " ".join(campaign.localized("title").text.split())
        subject = _("Your link to join “%(title)s”") % {"title": title}
        body = _("Hello,\n\nHere is your personal link to see “%(title)s” and give your "
                 "time:\n%(link)s\n\nIf you did not ask for it, ignore this message.") % {
            "title": title, "link": link}
    email_queue(kind=EmailKind.ACCESS_LINK, to_email=email, subject=subject, body=body,
                participant=participant, campaign=campaign, action_url=link,
                language=participant.language or language,
                dedupe_key=f"access_link:{participant.pk}:{campaign.pk}:"
                           f"{timezone.now():%Y%m%d%H}")
    return True
