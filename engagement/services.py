from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from tenants.services import DomainError

from .models import Programme


def programme_create(*, name: str, starts_on: date, ends_on: date, description: str = "",
                     participant_target: int = 0) -> Programme:
    errors: dict[str, list[str]] = {}
    if not (name or "").strip():
        errors["name"] = [_("This field is required.")]
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = [_("The end date must be on or after the start date.")]
    if participant_target is not None and participant_target < 0:
        errors["participant_target"] = [_("Use a positive number.")]
    if errors:
        raise DomainError(errors)
    with transaction.atomic():
        return Programme.objects.create(
            name=name.strip(), description=description, starts_on=starts_on, ends_on=ends_on,
            participant_target=participant_target or 0,
        )
