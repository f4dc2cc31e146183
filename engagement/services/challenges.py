"""Team challenges: create, change and close them (organisers, manager and up)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, TypedDict, Unpack

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.formatting import count

from ..models import CHALLENGE_GOAL_MAX, Campaign, Programme, TeamChallenge


class TeamChallengeChanges(TypedDict, total=False):
    """What ``team_challenge_update`` may change; a name outside these is refused."""

    name: str
    name_en: str
    description_fr: str
    description_en: str
    measure: str
    goal: int
    starts_on: date
    ends_on: date
    programme: Programme | None
    campaigns: Iterable[Campaign]


NAME_MAX = 150  # TeamChallenge.name's max_length
_FIELDS = ("name", "name_en", "description_fr", "description_en", "measure", "goal", "starts_on",
           "ends_on", "programme")


def _validate(values: dict[str, Any], campaigns: list[Campaign]) -> dict[str, Any]:
    """The challenge's values cleaned, or a ``DomainError`` naming every field at fault."""
    errors: dict[str, list[str]] = {}
    values["name"] = (values.get("name") or "").strip()
    if not values["name"]:
        errors["name"] = [_("Give the challenge a name.")]
    elif len(values["name"]) > NAME_MAX:
        errors["name"] = [_("The name is too long.")]
    values["name_en"] = (values.get("name_en") or "").strip()
    if len(values["name_en"]) > NAME_MAX:
        errors["name_en"] = [_("The name is too long.")]
    if values.get("measure") not in TeamChallenge.Measure.values:
        errors["measure"] = [_("Choose what the challenge measures: people or hours.")]
    goal = values.get("goal")
    if not isinstance(goal, int) or not 1 <= goal <= CHALLENGE_GOAL_MAX:
        errors["goal"] = [_("The goal is a whole number from 1 to %(max)s.") % {
            "max": count(CHALLENGE_GOAL_MAX)}]
    starts_on, ends_on = values.get("starts_on"), values.get("ends_on")
    if not isinstance(starts_on, date):
        errors["starts_on"] = [_("Give the first day of the challenge.")]
    if not isinstance(ends_on, date):
        errors["ends_on"] = [_("Give the last day of the challenge.")]
    elif isinstance(starts_on, date) and ends_on < starts_on:
        errors["ends_on"] = [_("The end date must be on or after the start date.")]
    programme = values.get("programme")
    if programme is not None and any(c.programme_id != programme.pk for c in campaigns):
        errors["campaigns"] = [_("Choose campaigns of the challenge's programme.")]
    if errors:
        raise DomainError(errors)
    return values


def team_challenge_create(*, name: str, measure: str, goal: int, starts_on: date,
                          ends_on: date, name_en: str = "", description_fr: str = "",
                          description_en: str = "",
                          programme: Programme | None = None,
                          campaigns: Iterable[Campaign] = ()) -> TeamChallenge:
    """A challenge between teams. Without campaigns it covers every campaign of its
    programme, or every campaign of the organisation without a programme."""
    chosen = list(campaigns)
    values = _validate({"name": name, "name_en": name_en, "description_fr": description_fr,
                        "description_en": description_en, "measure": measure, "goal": goal,
                        "starts_on": starts_on, "ends_on": ends_on, "programme": programme},
                       chosen)
    with transaction.atomic():
        challenge = TeamChallenge.objects.create(**values)
        challenge.campaigns.set(chosen)
    return challenge


def team_challenge_update(*, challenge: TeamChallenge,
                          **fields: Unpack[TeamChallengeChanges]) -> TeamChallenge:
    """Change a challenge that is not closed; a closed one keeps its terms (its
    standings are what the teams raced for)."""
    unknown = set(fields) - {*_FIELDS, "campaigns"}
    if unknown:
        raise DomainError({name: [_("This field cannot be changed.")] for name in unknown})
    with transaction.atomic():
        # Locked so that closing and changing at once cannot both pass the "not closed"
        # check.
        locked = TeamChallenge.objects.select_for_update().get(pk=challenge.pk)
        if locked.is_closed:
            raise DomainError({"closed_at": [_("This challenge is closed and can no longer "
                                               "be changed.")]})
        chosen = (list(fields["campaigns"]) if "campaigns" in fields
                  else list(locked.campaigns.all()))
        merged = _validate({name: fields.get(name, getattr(locked, name)) for name in _FIELDS},
                           chosen)
        for name, value in merged.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(_FIELDS))
        if "campaigns" in fields:
            locked.campaigns.set(chosen)
    return locked


def team_challenge_close(*, challenge: TeamChallenge,
                         now: datetime | None = None) -> TeamChallenge:
    """Close a challenge: its standings stay visible, its terms no longer change.
    Closing a closed challenge changes nothing (the first closing time stays)."""
    with transaction.atomic():
        TeamChallenge.objects.filter(pk=challenge.pk, closed_at__isnull=True).update(
            closed_at=now or timezone.now())
        return TeamChallenge.objects.get(pk=challenge.pk)
