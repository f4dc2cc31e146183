"""The value of time: the organisation's value of an hour given and its workforce size,
the skills of skills-based volunteering with their hourly rates, and which slot or pledge
is skills-based. ``reports.value`` values the hours with them."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from core.errors import DomainError

from ..models import PEOPLE_MAX, Pledge, Skill, Slot, TimeValuation
from ..models.value import DEFAULT_HOUR_VALUE, HOUR_VALUE_MAX


def time_valuation_current() -> TimeValuation:
    """The organisation's settings, or the defaults (unsaved) when it never set them."""
    return TimeValuation.objects.filter(pk=1).first() or TimeValuation(
        pk=1, hour_value=DEFAULT_HOUR_VALUE)


def _rate_errors(value: object) -> list[str]:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return [_("Enter an amount in euros, such as 12.02.")]
    if not amount.is_finite() or amount <= 0 or amount > HOUR_VALUE_MAX:
        return [_("Enter an amount greater than 0 and at most %(max)s €.") % {
            "max": HOUR_VALUE_MAX}]
    if amount != amount.quantize(Decimal("0.01")):
        return [_("Use at most two decimals (cents).")]
    return []


def time_valuation_update(*, hour_value: Decimal, basis: str, basis_note: str = "",
                          workforce_size: int | None = None) -> TimeValuation:
    """Set the value of an hour given, its basis and the workforce size (one row, written
    in one statement whoever else writes it at the same time)."""
    errors: dict[str, list[str]] = {}
    if rate_errors := _rate_errors(hour_value):
        errors["hour_value"] = rate_errors
    if basis not in TimeValuation.Basis.values:
        errors["basis"] = [_("Choose the basis of this value.")]
    basis_note = (basis_note or "").strip()
    if basis == TimeValuation.Basis.OTHER and not basis_note:
        errors["basis_note"] = [_("Describe the basis you use.")]
    if len(basis_note) > 300:
        errors["basis_note"] = [_("Keep it under 300 characters.")]
    if workforce_size is not None and (isinstance(workforce_size, bool)
                                       or not isinstance(workforce_size, int)
                                       or not 1 <= workforce_size <= PEOPLE_MAX):
        errors["workforce_size"] = [_("Enter a whole number of employees from 1 to "
                                      "%(max)s, or leave it empty.") % {"max": PEOPLE_MAX}]
    if errors:
        raise DomainError(errors)
    valuation = TimeValuation(pk=1, hour_value=Decimal(str(hour_value)), basis=basis,
                              basis_note=basis_note, workforce_size=workforce_size)
    # An upsert: two managers saving at once never collide on the one row.
    TimeValuation.objects.bulk_create(
        [valuation], update_conflicts=True, unique_fields=["id"],
        update_fields=["hour_value", "basis", "basis_note", "workforce_size"])
    return valuation


def _skill_errors(name: str, hourly_rate: Decimal) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Name the skill.")]
    elif len(name) > 100:
        errors["name"] = [_("Keep it under 100 characters.")]
    if rate_errors := _rate_errors(hourly_rate):
        errors["hourly_rate"] = rate_errors
    return errors


def _save_skill(skill: Skill, fields: list[str] | None = None) -> Skill:
    try:
        # A savepoint: the unique index on the name refuses a duplicate, not Python.
        with transaction.atomic():
            skill.save(update_fields=fields)
    except IntegrityError as exc:
        raise DomainError({"name": [_("A skill with this name exists already.")]}) from exc
    return skill


def skill_create(*, name: str, hourly_rate: Decimal) -> Skill:
    name = (name or "").strip()
    if errors := _skill_errors(name, hourly_rate):
        raise DomainError(errors)
    return _save_skill(Skill(name=name, hourly_rate=Decimal(str(hourly_rate))))


def skill_update(*, skill: Skill, name: str, hourly_rate: Decimal) -> Skill:
    """Rename a skill or change its rate. The hours already given with it keep the rate
    they were valued at (``Pledge.hour_rate``), so past figures and issued statements stay
    as they were; the hours given from now on are valued at the new rate."""
    name = (name or "").strip()
    if errors := _skill_errors(name, hourly_rate):
        raise DomainError(errors)
    skill.name, skill.hourly_rate = name, Decimal(str(hourly_rate))
    return _save_skill(skill, ["name", "hourly_rate"])


def skill_delete(*, skill: Skill) -> None:
    """Delete a skill no slot or pledge is marked with (the database refuses otherwise)."""
    try:
        with transaction.atomic():
            skill.delete()
    except (ProtectedError, IntegrityError) as exc:
        raise DomainError({"skill": [_("Slots or pledges are marked with this skill: "
                                       "unmark them first.")]}) from exc


def pledge_skill_rate(pledge: Pledge) -> Decimal | None:
    """The rate of the pledge's skill today (its own, else its slot's); None when it is
    not skills-based. Kept on the pledge (``hour_rate``) when its hours are given."""
    skill = pledge.skill or pledge.slot.skill
    return skill.hourly_rate if skill is not None else None


def slot_set_skill(*, slot: Slot, skill: Skill | None) -> Slot:
    """Mark a slot as skills-based volunteering with ``skill`` (None: ordinary hours).
    The hours already given in it without a skill of their own are valued at the skill's
    rate of today from now on (a correction of how they were given)."""
    with transaction.atomic():
        slot.skill = skill
        slot.save(update_fields=["skill"])
        slot.pledges.filter(attendance=Pledge.Attendance.ATTENDED, skill__isnull=True).update(
            hour_rate=skill.hourly_rate if skill is not None else None)
    return slot


def pledge_set_skill(*, pledge: Pledge, skill: Skill | None) -> Pledge:
    """Give one person's pledge its own skill (None: the slot's, if any). Hours already
    given are valued at that skill's rate of today from now on."""
    with transaction.atomic():
        pledge = Pledge.objects.select_for_update(of=("self",)).select_related("slot__skill").get(
            pk=pledge.pk)
        pledge.skill = skill
        fields = ["skill"]
        if pledge.attendance == Pledge.Attendance.ATTENDED:
            pledge.hour_rate = pledge_skill_rate(pledge)
            fields.append("hour_rate")
        pledge.save(update_fields=fields)
    return pledge
