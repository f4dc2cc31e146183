"""Check-in on the day: attendance means presence, and hours given are recorded per pledge.

Presence is proven on site, never by typing an address:
- the participant's personal check-in code (a QR on their own page, or its eight
  characters read aloud) entered by an organiser on the organiser's check-in page;
- the on-site QR code (which carries the campaign's secret) opened by the participant in
  the browser that holds their own signed link's session;
- an organiser marking them in the pledge list.

A participant checking themselves in is credited for themselves only: their companions are
pending until an organiser confirms how many came (``pledge_check_in`` with ``by_user``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.tenancy import current_schema
from tenants.models import User

from ..models import Campaign, Participant, Pledge
from .activity import participant_touch
from .value import pledge_skill_rate

# Check-in opens this long before a slot starts and stays open this long after it ends.
EARLY = timedelta(hours=2)
LATE = timedelta(hours=12)

# Crockford's base 32: no I, L, O or U, so a code read aloud or typed is not misread.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TYPOS = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})
CODE_LENGTH = 8  # 40 bits: codes of one campaign's pledges never collide in practice


def checkin_code(pledge: Pledge) -> str:
    """The pledge's personal check-in code, "ABCD-EFGH": derived from the secret key, the
    organisation's schema and the pledge, so it is stored nowhere and cannot be guessed from
    anything a participant sees."""
    digest = salted_hmac("fullmobs.engagement.checkin-code",
                         f"{current_schema()}:{pledge.pk}").digest()
    number = int.from_bytes(digest[:5], "big")
    chars = "".join(_ALPHABET[(number >> shift) & 31]
                    for shift in range(5 * (CODE_LENGTH - 1), -1, -5))
    return f"{chars[:4]}-{chars[4:]}"


def checkin_code_normalise(typed: str) -> str:
    """What an organiser typed, as a code: case, spaces, dashes and look-alikes forgiven."""
    chars = "".join(c for c in typed.upper() if c.isalnum()).translate(_TYPOS)
    return f"{chars[:4]}-{chars[4:]}" if len(chars) == CODE_LENGTH else ""


def pledge_by_checkin_code(*, campaign: Campaign, code: str) -> Pledge | None:
    """The live pledge of this campaign whose personal code this is, or None."""
    code = checkin_code_normalise(code)
    if not code:
        return None
    pledges = (Pledge.objects.filter(slot__campaign=campaign)
               .exclude(status=Pledge.Status.CANCELLED)
               .select_related("participant__team", "slot"))
    for pledge in pledges:
        if constant_time_compare(checkin_code(pledge), code):
            return pledge
    return None


def pledge_for_self_check_in(*, campaign: Campaign, participant: Participant,
                             now: datetime | None = None) -> Pledge | None:
    """The participant's confirmed pledge of this campaign whose check-in window is open
    now (the earliest not yet checked in, else the earliest), or None."""
    now = now or timezone.now()
    pledges = list(Pledge.objects.select_related("slot")
                   .filter(slot__campaign=campaign, participant=participant,
                           status=Pledge.Status.CONFIRMED,
                           slot__starts_at__lte=now + EARLY, slot__ends_at__gte=now - LATE)
                   .order_by("slot__starts_at", "pk"))
    pending = [p for p in pledges if p.attendance != Pledge.Attendance.ATTENDED]
    candidates = pending or pledges
    return candidates[0] if candidates else None


def companions_pending(pledge: Pledge) -> int:
    """Companions of a self checked-in pledge that no organiser has confirmed yet."""
    if pledge.attendance != Pledge.Attendance.ATTENDED or pledge.checked_in_by_id:
        return 0
    return pledge.companions


def pledge_check_in(*, pledge: Pledge, by_user: User | None = None,
                    hours: Decimal | None = None, companions_present: int | None = None,
                    now: datetime | None = None) -> Pledge:
    """Mark a confirmed pledge as attended and record its hours.

    Without ``by_user`` it is the participant's own check-in, which the caller has proven
    happens on site: only inside the slot's check-in window, and it credits the participant
    alone (their companions wait for an organiser); checking in again changes nothing.
    With ``by_user`` (an organiser) it credits the participant and the companions present
    (all of them unless told otherwise), or the hours given; it also confirms the
    companions of a participant who checked themselves in."""
    now = now or timezone.now()
    with transaction.atomic():
        pledge = Pledge.objects.select_for_update().select_related("slot__campaign").get(
            pk=pledge.pk)
        slot = pledge.slot
        errors: dict[str, list[str]] = {}
        if pledge.status != Pledge.Status.CONFIRMED:
            errors["pledge"] = [_("Only a confirmed pledge can be checked in.")]
        elif slot.campaign.status not in (Campaign.Status.SUCCEEDED, Campaign.Status.OPEN,
                                          Campaign.Status.COMPLETED):
            errors["pledge"] = [_("This campaign is not taking place.")]
        elif by_user is None and not (slot.starts_at - EARLY <= now <= slot.ends_at + LATE):
            errors["pledge"] = [_("Check-in opens two hours before your time slot.")]
        if hours is not None and (hours < 0 or hours > 24 * pledge.seats):
            errors["hours"] = [_("Enter the hours given, between 0 and 24 per person.")]
        if companions_present is not None and not 0 <= companions_present <= pledge.companions:
            errors["companions_present"] = [
                _("Enter how many companions came, between 0 and %(count)s.")
                % {"count": pledge.companions}]
        if errors:
            raise DomainError(errors)
        if by_user is None:
            if pledge.attendance == Pledge.Attendance.ATTENDED:
                return pledge  # already counted (perhaps by an organiser, with companions)
            people = 1
        else:
            people = 1 + (pledge.companions if companions_present is None
                          else companions_present)
        if pledge.attendance != Pledge.Attendance.ATTENDED or pledge.hour_rate is None:
            # The hours are valued at the skill's rate of today, whatever it becomes
            # (hours recorded again for an attended pledge keep the rate they had).
            pledge.hour_rate = pledge_skill_rate(pledge)
        pledge.attendance = Pledge.Attendance.ATTENDED
        pledge.checked_in_at = pledge.checked_in_at or now
        pledge.checked_in_by = by_user or pledge.checked_in_by
        pledge.hours_given = (hours if hours is not None else (
            Decimal(str(slot.hours)) * people)).quantize(Decimal("0.01"))
        pledge.save(update_fields=["attendance", "checked_in_at", "checked_in_by",
                                   "hours_given", "hour_rate"])
        participant_touch(participant_id=pledge.participant_id, now=now)
    return pledge


def pledge_mark_no_show(*, pledge: Pledge) -> Pledge:
    if pledge.status != Pledge.Status.CONFIRMED:
        raise DomainError({"pledge": [_("Only a confirmed pledge can be marked.")]})
    pledge.attendance = Pledge.Attendance.NO_SHOW
    pledge.hours_given = Decimal(0)
    pledge.save(update_fields=["attendance", "hours_given"])
    return pledge


def pledge_undo_no_show(*, pledge: Pledge) -> Pledge:
    """A no-show marked by mistake (or the person arrived late): back to "not yet", so that
    an organiser can check them in."""
    with transaction.atomic():
        pledge = Pledge.objects.select_for_update().get(pk=pledge.pk)
        if pledge.attendance != Pledge.Attendance.NO_SHOW:
            raise DomainError({"pledge": [_("Only a no-show can be undone.")]})
        pledge.attendance = Pledge.Attendance.PENDING
        pledge.hours_given = Decimal(0)
        pledge.save(update_fields=["attendance", "hours_given"])
    return pledge
