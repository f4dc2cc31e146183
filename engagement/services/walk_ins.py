"""Walk-ins: someone turns up on the day without a pledge, and an organiser registers them
from the campaign page on a phone.

Decisions (docs/decisions.md, "Walk-ins"): the first name is required, the e-mail address
is optional (a person without one is never e-mailed), and the organiser must ask whether
the person agrees to hear about future actions (no default answer). A walk-in takes a
place like any pledge: the slot's seats move in the same conditional UPDATE as
``pledge_create``'s, so the database refuses a walk-in on a full slot (the organiser raises
its capacity first), and the plan's participants quota is claimed first, as for every
join (``services.quota``). The pledge is confirmed, marked ``walk_in`` and checked in by the
organiser at once, so it counts in every figure like the others.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.tenancy import current_organisation
from tenants.models import User

from ..models import Campaign, ConsentRecord, Participant, Pledge, Slot
from .checkin import EARLY, LATE, pledge_check_in
from .consent import consent_record
from .joining import participant_upsert
from .quota import participant_quota_claim

# A walk-in is registered on the day: from the check-in window's opening to its end.
TAKING_PLACE = (Campaign.Status.OPEN, Campaign.Status.SUCCEEDED)


def walk_in_register(*, slot: Slot, first_name: str, by_user: User,
                     consent_to_contact: bool | None, last_name: str = "", email: str = "",
                     now: datetime | None = None) -> Pledge:
    """Register a person who came without a pledge: a participant (found by address when
    one is given, else new), a confirmed pledge marked ``walk_in``, checked in."""
    now = now or timezone.now()
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    email = (email or "").strip().lower()
    campaign = slot.campaign
    errors: dict[str, list[str]] = {}
    if not first_name:
        errors["first_name"] = [_("Enter the person's first name.")]
    elif len(first_name) > 100 or len(last_name) > 100:
        errors["first_name"] = [_("Names are at most 100 characters long.")]
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [_("Enter a valid e-mail address, or leave it empty.")]
    if consent_to_contact is None:
        errors["consent_to_contact"] = [_("Ask the person whether they agree to hear about "
                                          "future actions, and tick their answer.")]
    if campaign.status not in TAKING_PLACE:
        errors["slot"] = [_("This campaign is not taking place.")]
    elif not slot.starts_at - EARLY <= now <= slot.ends_at + LATE:
        errors["slot"] = [_("Walk-ins are registered on the day, from two hours before "
                            "the time slot.")]
    if errors:
        raise DomainError(errors)
    with transaction.atomic():
        participant = _participant(email=email, first_name=first_name, last_name=last_name,
                                   consent_to_contact=bool(consent_to_contact),
                                   campaign=campaign)
        # The plan's participants quota, like every join an organiser records
        # (docs/decisions.md); lock order as pledge_create: the quota's lock, then the slot.
        try:
            participant_quota_claim(participant_id=participant.pk)
        except DomainError as exc:
            raise DomainError({"slot": [_(
                "Your organisation has reached the number of participants its plan "
                "includes this month: this new person cannot be registered. People who "
                "already took part this month can still be registered; an owner can add "
                "the extra-participants option from the billing page.")]}) from exc
        with connection.cursor() as cursor:
            # The same conditional UPDATE as pledge_create: PostgreSQL serialises it on the
            # slot row and the CHECK constraint backs it, so a walk-in never over-fills.
            cursor.execute("UPDATE engagement_slot SET confirmed_seats = confirmed_seats + 1 "
                           "WHERE id = %s AND confirmed_seats + 1 <= capacity RETURNING id",
                           [slot.pk])
            if cursor.fetchone() is None:
                raise DomainError({"slot": [_(
                    "This time slot is full: raise its number of places first, or choose "
                    "another slot.")]})
        try:
            with transaction.atomic():
                pledge = Pledge.objects.create(
                    slot=slot, participant=participant, status=Pledge.Status.CONFIRMED,
                    walk_in=True, created_at=now, confirmed_at=now)
        except IntegrityError as exc:
            raise DomainError({"email": [_(
                "This person already has a pledge for this time slot: check them in from "
                "the list.")]}) from exc
        return pledge_check_in(pledge=pledge, by_user=by_user, now=now)


def _participant(*, email: str, first_name: str, last_name: str, consent_to_contact: bool,
                 campaign: Campaign) -> Participant:
    if not email:
        participant = Participant.objects.create(
            email="", first_name=first_name, last_name=last_name,
            source=Participant.Source.WALK_IN, language=current_organisation().locale)
        created = True
    else:
        # The organiser sees the person, but an address typed on a phone proves nothing
        # about a participant already known: their name and details stay as they are.
        participant, created = participant_upsert(
            email=email, first_name=first_name, last_name=last_name,
            source=Participant.Source.WALK_IN, update_existing=False)
    if created or consent_to_contact:
        # Asked in person and recorded by the organiser; a consent the person withdrew
        # themselves is never given back this way (services.consent).
        consent_record(participant=participant, given=consent_to_contact,
                       source=ConsentRecord.Source.ORGANISER, campaign=campaign,
                       language=participant.language)
    return participant
