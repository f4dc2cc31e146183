"""How people join a campaign: participants, invitations (the snowball) and sign-up."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from methodology.models import Lever
from tenants.services import DomainError

from ..models import Campaign, Channel, Invitation, Participant, Pledge, Slot, Team
from .pledges import pledge_create

PERSONAL_LEVER = "personal_invitation"


def team_for(name: str, kind: str = Team.Kind.DEPARTMENT) -> Team | None:
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
                       referred_by: Participant | None = None) -> tuple[Participant, bool]:
    """The participant with this e-mail (case-insensitive), created or completed.
    Existing values are only overwritten by non-empty ones; the referrer is set once."""
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
    with transaction.atomic():
        participant = Participant.objects.select_for_update().filter(
            email__iexact=email).first()
        created = participant is None
        if created:
            try:
                with transaction.atomic():
                    participant = Participant.objects.create(
                        email=email, source=source, referred_by=referred_by,
                        # New people default to the organisation's language.
                        language=language or _organisation_locale(),
                        consent_to_contact=bool(consent_to_contact),
                        team=team_for(team),
                        **{k: v for k, v in values.items() if v and k != "language"},
                    )
            except IntegrityError:  # the same person signing up twice at once
                participant = Participant.objects.get(email__iexact=email)
                created = False
        if not created:
            changed = []
            for name, value in values.items():
                if value and getattr(participant, name) != value:
                    setattr(participant, name, value)
                    changed.append(name)
            if team and (participant.team is None or participant.team.name.lower()
                         != team.strip().lower()):
                participant.team = team_for(team)
                changed.append("team")
            if consent_to_contact is not None and \
                    participant.consent_to_contact != consent_to_contact:
                participant.consent_to_contact = consent_to_contact
                changed.append("consent_to_contact")
            if referred_by and participant.referred_by_id is None and \
                    referred_by.pk != participant.pk and not participant.pledges.exists():
                participant.referred_by = referred_by
                changed.append("referred_by")
            if changed:
                participant.save(update_fields=changed)
    return participant, created


def _space_read_only() -> bool:
    from billing.entitlements import entitlements_for
    from tenants.models import Organisation

    return entitlements_for(Organisation.objects.get(schema_name=connection.schema_name)
                            ).read_only


def _organisation_locale() -> str:
    from tenants.models import Organisation

    return Organisation.objects.get(schema_name=connection.schema_name).locale


def invitation_create(*, campaign: Campaign, channel: str, lever_code: str,
                      inviter: Participant | None = None, organiser=None,
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
        invitation_id = invitation.pk
        transaction.on_commit(lambda: _send_invitation(invitation_id))
    return invitation


def _send_invitation(invitation_id: int) -> None:
    from .messaging import send_invitation_email

    send_invitation_email(invitation_id)


def personal_invitation(*, campaign: Campaign, participant: Participant) -> Invitation:
    """The participant's own shareable link for this campaign (one per campaign)."""
    invitation = Invitation.objects.filter(
        campaign=campaign, inviter=participant, channel=Channel.LINK_SHARE,
        lever_code=PERSONAL_LEVER).first()
    return invitation or invitation_create(campaign=campaign, channel=Channel.LINK_SHARE,
                                           lever_code=PERSONAL_LEVER, inviter=participant)


def invitation_opened(*, campaign: Campaign, code: str) -> Invitation | None:
    """Count a visit through an invitation link; None if the code is not this campaign's."""
    invitation = Invitation.objects.filter(campaign=campaign, code=code).first()
    if invitation is not None:
        Invitation.objects.filter(pk=invitation.pk).update(open_count=F("open_count") + 1)
        Invitation.objects.filter(pk=invitation.pk, first_opened_at__isnull=True).update(
            first_opened_at=timezone.now())
    return invitation


def email_domain_allowed(email: str) -> bool:
    from tenants.models import Organisation

    organisation = Organisation.objects.get(schema_name=connection.schema_name)
    domain = email.rsplit("@", 1)[-1].lower()
    return domain in {d.lower() for d in organisation.allowed_email_domains}


def campaign_join(*, campaign: Campaign, email: str, slot_ids: list[int],
                  first_name: str = "", last_name: str = "", language: str = "",
                  companions: int = 0, companion_names: str = "", team: str = "",
                  site: str = "", postcode: str = "", age_band: str = "",
                  consent_to_contact: bool = False, invitation_code: str = "",
                  known_participant: Participant | None = None) -> list[Pledge]:
    """Sign up for one or more slots of a campaign (the public join form and API).

    ``consent_to_contact`` can only give consent: a join without the box ticked leaves a
    known participant's earlier answer as it is (withdrawing is the unsubscribe link's
    job, or an organiser's), so joining a second campaign never switches it off.

    An internal campaign accepts only people holding a signed participant link
    (``known_participant``): the organisation's own lists, people invited by e-mail, and
    anyone who proved an address in its allowed domains (``request_access_link``).
    """
    errors: dict[str, list[str]] = {}
    if not campaign.is_open:
        raise DomainError({"campaign": [_("This campaign is not open for pledges.")]})
    if _space_read_only():
        raise DomainError({"campaign": [_("This campaign is paused for the moment.")]})
    if not slot_ids:
        errors["slots"] = [_("Choose at least one time slot.")]
    slots = list(Slot.objects.filter(campaign=campaign, pk__in=slot_ids).order_by("starts_at"))
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
    invitation = (Invitation.objects.filter(campaign=campaign, code=invitation_code).first()
                  if invitation_code else None)
    with transaction.atomic():
        participant, _created = participant_upsert(
            email=email, first_name=first_name, last_name=last_name, language=language,
            team=team, site=site, postcode=postcode, age_band=age_band,
            consent_to_contact=True if consent_to_contact else None,
            source=Participant.Source.INVITATION if invitation else Participant.Source.SIGNUP,
            referred_by=invitation.inviter if invitation else None)
        pledges = []
        for slot in slots:
            pledge = pledge_create(slot=slot, participant=participant, companions=companions,
                                   companion_names=companion_names)
            if invitation is not None:
                pledge.invitation = invitation
                pledge.save(update_fields=["invitation"])
            pledges.append(pledge)
    return pledges


def request_access_link(*, campaign: Campaign, email: str, language: str) -> bool:
    """Someone at an allowed domain asks to join an internal campaign: e-mail them a signed
    link (at most one an hour). Returns False, writing nothing, for other addresses."""
    from django.urls import reverse
    from django.utils import translation

    from .. import links
    from .messaging import queue_email

    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        return False
    if not email_domain_allowed(email):
        return False
    participant, _created = participant_upsert(email=email, language=language,
                                               source=Participant.Source.SIGNUP)
    link = links.absolute(reverse("participant_go", args=[
        links.participant_token(participant), campaign.code]))
    with translation.override(participant.language or language):
        subject = _("Your link to join “%(title)s”") % {"title": campaign.title}
        body = _("Hello,\n\nHere is your personal link to see “%(title)s” and give your "
                 "time:\n%(link)s\n\nIf you did not ask for it, ignore this message.") % {
            "title": campaign.title, "link": link}
    queue_email(kind="access_link", to_email=email, subject=subject, body=body,
                participant=participant, campaign=campaign,
                dedupe_key=f"access_link:{participant.pk}:{campaign.pk}:"
                           f"{timezone.now():%Y%m%d%H}")
    return True
