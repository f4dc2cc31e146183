"""Campaigns: creation, slots, opening, the deadline decision, completion, impact."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.tenancy import enqueue_on_commit
from tenants.models import User

from ..bilingual import content_language_check, translations_check
from ..models import (
    PEOPLE_MAX,
    Campaign,
    ImpactRecord,
    Pledge,
    Programme,
    ProgrammeIndicator,
    Slot,
    at_most_people,
)
from .campaign_limits import open_campaign_claim
from .directory import campaign_directory_sync_on_commit


def people_count_errors(value: object) -> list[str]:
    """What is wrong with a number of people (a target, a slot's places): it must be a whole
    number from 1 to ``PEOPLE_MAX``. Every caller (pages, API, imports) gets the same
    message, never a database error for a number past PostgreSQL's integer."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return [_("Use a positive number.")]
    try:
        at_most_people()(value)
    except ValidationError as exc:
        return list(exc.messages)
    return []


def _check_times(errors: dict[str, list[str]], *, starts_at: datetime | None,
                 ends_at: datetime | None, mobilisation_deadline: datetime | None) -> None:
    if starts_at and ends_at and ends_at <= starts_at:
        errors["ends_at"] = [_("The end must be after the start.")]
    if mobilisation_deadline and starts_at and mobilisation_deadline > starts_at:
        errors["mobilisation_deadline"] = [_("The mobilisation deadline must be before the "
                                             "action starts.")]


def campaign_create(*, programme: Programme, title: str, starts_at: datetime,
                    ends_at: datetime, participant_target: int,
                    mobilisation_deadline: datetime, description: str = "", place: str = "",
                    visibility: str = Campaign.Visibility.INTERNAL,
                    latitude: Decimal | None = None, longitude: Decimal | None = None,
                    slots: list[tuple[datetime, datetime, int]] | None = None,
                    party_approval_above: int = 5, content_language: str | None = None,
                    translations: Mapping[str, object] | None = None,
                    freed_seats: str = Campaign.FreedSeats.OFFER,
                    listed_in_directory: bool = True) -> Campaign:
    """A draft campaign; with ``slots`` given as (start, end, capacity). If none are given,
    one slot covering the whole action is made with the target as capacity.

    ``title`` and ``description`` are in ``content_language`` (the organisation's language
    unless given); ``translations`` holds the other language's, ``{"en": {"title": ...}}``
    (``engagement.bilingual``)."""
    errors: dict[str, list[str]] = {}
    content_language = content_language_check(errors, content_language)
    translated = translations_check(errors, content_language=content_language,
                                    fields=Campaign.TRANSLATED_FIELDS,
                                    translations=translations)
    if not (title or "").strip():
        errors["title"] = [_("This field is required.")]
    if people_count_errors(participant_target):
        errors["participant_target"] = people_count_errors(participant_target)
    if visibility not in Campaign.Visibility.values:
        errors["visibility"] = [_("Choose internal or public.")]
    _check_party_approval(errors, party_approval_above)
    _check_freed_seats(errors, freed_seats)
    _check_times(errors, starts_at=starts_at, ends_at=ends_at,
                 mobilisation_deadline=mobilisation_deadline)
    for i, (slot_start, slot_end, capacity) in enumerate(slots or []):
        if slot_end <= slot_start or capacity < 1:
            errors[f"slots[{i}]"] = [_("A slot needs an end after its start and a capacity "
                                       "of at least 1.")]
        elif capacity > PEOPLE_MAX:
            errors[f"slots[{i}]"] = people_count_errors(capacity)
    if errors:
        raise DomainError(errors)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            programme=programme, title=title.strip(), description=description,
            place=place, latitude=latitude, longitude=longitude, starts_at=starts_at,
            ends_at=ends_at, participant_target=participant_target,
            mobilisation_deadline=mobilisation_deadline, visibility=visibility,
            party_approval_above=party_approval_above, content_language=content_language,
            translations=translated, freed_seats=freed_seats,
            listed_in_directory=listed_in_directory)
        for slot_start, slot_end, capacity in slots or [(starts_at, ends_at,
                                                         participant_target)]:
            Slot.objects.create(campaign=campaign, starts_at=slot_start, ends_at=slot_end,
                                capacity=capacity)
    return campaign


def _check_freed_seats(errors: dict[str, list[str]], value: str) -> None:
    if value not in Campaign.FreedSeats.values:
        errors["freed_seats"] = [_("Choose to offer freed places or to give them at once.")]


def _check_party_approval(errors: dict[str, list[str]], value: int | None) -> None:
    from .pledges import MAX_COMPANIONS

    if value is None or not 0 <= value <= MAX_COMPANIONS:
        errors["party_approval_above"] = [_("Between 0 and %(max)s companions.") % {
            "max": MAX_COMPANIONS}]


class CampaignChanges(TypedDict, total=False):
    """What ``campaign_update`` may change; a name outside these is refused."""
    title: str
    description: str
    place: str
    latitude: Decimal | None
    longitude: Decimal | None
    starts_at: datetime
    ends_at: datetime
    participant_target: int
    mobilisation_deadline: datetime
    visibility: str
    party_approval_above: int
    freed_seats: str
    listed_in_directory: bool
    # The other language's title and description, {"en": {"title": ...}}: merged over
    # those already written; a blank text removes one.
    translations: Mapping[str, object]


def campaign_update(*, campaign: Campaign, **fields: Unpack[CampaignChanges]) -> Campaign:
    """Change a campaign's description, place, times, target, deadline or visibility.
    Closed campaigns (decided at their deadline) keep their decision's terms."""
    if campaign.status not in (Campaign.Status.DRAFT, Campaign.Status.OPEN):
        raise DomainError({"status": [_("This campaign is closed and can no longer be "
                                        "changed.")]})
    allowed = {"title", "description", "place", "latitude", "longitude", "starts_at",
               "ends_at", "participant_target", "mobilisation_deadline", "visibility",
               "party_approval_above", "freed_seats", "listed_in_directory"}
    unknown = set(fields) - allowed - {"translations"}
    if unknown:
        raise DomainError({name: [_("This field cannot be changed.")] for name in unknown})
    with transaction.atomic():
        if "translations" in fields:
            # Merged over the stored translations read under a row lock: two people
            # translating different texts at once both keep theirs.
            stored = Campaign.objects.select_for_update().only("translations").get(
                pk=campaign.pk)
            campaign.translations = stored.translations
        return _campaign_save(campaign, dict(fields), allowed)


def _campaign_save(campaign: Campaign, fields: dict[str, Any], allowed: set[str]
                   ) -> Campaign:
    merged: dict[str, Any] = {name: fields.get(name, getattr(campaign, name))
                              for name in allowed}
    errors: dict[str, list[str]] = {}
    if "translations" in fields:
        fields["translations"] = translations_check(
            errors, content_language=campaign.content_language,
            fields=Campaign.TRANSLATED_FIELDS, translations=fields["translations"],
            current=campaign.translations)
    if not (merged["title"] or "").strip():
        errors["title"] = [_("This field is required.")]
    if people_count_errors(merged["participant_target"]):
        errors["participant_target"] = people_count_errors(merged["participant_target"])
    _check_party_approval(errors, merged["party_approval_above"])
    _check_freed_seats(errors, merged["freed_seats"])
    _check_times(errors, starts_at=merged["starts_at"], ends_at=merged["ends_at"],
                 mobilisation_deadline=merged["mobilisation_deadline"])
    if errors:
        raise DomainError(errors)
    for name, value in fields.items():
        setattr(campaign, name, value)
    campaign.save(update_fields=list(fields))
    campaign_directory_sync_on_commit(campaign)
    return campaign


def slot_add(*, campaign: Campaign, starts_at: datetime, ends_at: datetime,
             capacity: int) -> Slot:
    errors: dict[str, list[str]] = {}
    if ends_at <= starts_at:
        errors["ends_at"] = [_("The end must be after the start.")]
    if people_count_errors(capacity):
        errors["capacity"] = people_count_errors(capacity)
    if errors:
        raise DomainError(errors)
    return Slot.objects.create(campaign=campaign, starts_at=starts_at, ends_at=ends_at,
                               capacity=capacity)


def slot_set_capacity(*, slot: Slot, capacity: int) -> Slot:
    """Change a slot's capacity; never below the seats already confirmed."""
    if capacity > PEOPLE_MAX:
        raise DomainError({"capacity": people_count_errors(capacity)})
    with transaction.atomic():
        slot = Slot.objects.select_for_update().get(pk=slot.pk)
        if capacity < max(1, slot.confirmed_seats):
            raise DomainError({"capacity": [_(
                "%(n)s seats are already confirmed: the capacity cannot be lower.") % {
                "n": slot.confirmed_seats}]})
        slot.capacity = capacity
        slot.save(update_fields=["capacity"])
    return slot


def campaign_open(*, campaign: Campaign) -> Campaign:
    """Open a draft campaign for pledges."""
    if campaign.status != Campaign.Status.DRAFT:
        raise DomainError({"status": [_("Only a draft campaign can be opened.")]})
    from tenants.services import require_verified

    require_verified()  # a space whose owner never confirmed the address opens nothing
    if not campaign.slots.exists():
        raise DomainError({"slots": [_("Add at least one time slot first.")]})
    if campaign.mobilisation_deadline <= timezone.now():
        raise DomainError({"mobilisation_deadline": [_("The mobilisation deadline has "
                                                       "passed; move it first.")]})
    with transaction.atomic():
        # The row locked: the same draft opened twice at once is opened once.
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status != Campaign.Status.DRAFT:
            raise DomainError({"status": [_("Only a draft campaign can be opened.")]})
        open_campaign_claim(campaign=locked)
        locked.status, locked.opened_at = Campaign.Status.OPEN, timezone.now()
        locked.save(update_fields=["status", "opened_at"])
    # The caller's instance says what was saved (callers go on with the object they passed).
    campaign.status, campaign.opened_at = locked.status, locked.opened_at
    # Listed in the directory of actions when its organisation lists campaigns.
    campaign_directory_sync_on_commit(campaign)
    return campaign


def mobilised_count(campaign: Campaign) -> int:
    """People confirmed for the campaign: each participant once (with the largest party
    they bring on any of their slots), companions included."""
    parties = (Pledge.objects.filter(slot__campaign=campaign, status=Pledge.Status.CONFIRMED)
               .values("participant").annotate(companions=Max("companions")))
    return sum(1 + party["companions"] for party in parties)


def campaign_close(*, campaign: Campaign, now: datetime | None = None) -> Campaign:
    """At the deadline: succeeded if the confirmed people reach the target, failed
    otherwise; everyone with a live pledge is told which. Safe to call twice."""
    now = now or timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status != Campaign.Status.OPEN or now < campaign.mobilisation_deadline:
            return campaign
        reached = mobilised_count(campaign) >= campaign.participant_target
        campaign.status = Campaign.Status.SUCCEEDED if reached else Campaign.Status.FAILED
        campaign.closed_at = now
        campaign.save(update_fields=["status", "closed_at"])
        # By the task's registered name: the tasks module imports the services.
        enqueue_on_commit("engagement.tasks.notify_campaign_result", campaign.pk)
        # Its trajectory joins the lab's references (anonymised, public schema).
        enqueue_on_commit("lab.forecasts.tasks.record_reference", campaign.pk)
        campaign_directory_sync_on_commit(campaign)
    return campaign


def campaigns_close_due(*, now: datetime | None = None) -> list[Campaign]:
    now = now or timezone.now()
    due = Campaign.objects.filter(status=Campaign.Status.OPEN, mobilisation_deadline__lte=now)
    return [campaign_close(campaign=campaign, now=now) for campaign in due]


def campaign_complete(*, campaign: Campaign, now: datetime | None = None) -> Campaign:
    """After a succeeded campaign's action: confirmed pledges not checked in are no-shows."""
    now = now or timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status != Campaign.Status.SUCCEEDED or now < campaign.ends_at:
            return campaign
        Pledge.objects.filter(slot__campaign=campaign, status=Pledge.Status.CONFIRMED,
                              attendance=Pledge.Attendance.PENDING).update(
            attendance=Pledge.Attendance.NO_SHOW)
        campaign.status = Campaign.Status.COMPLETED
        campaign.save(update_fields=["status"])
        campaign_directory_sync_on_commit(campaign)
    return campaign


def campaigns_complete_past(*, now: datetime | None = None) -> list[Campaign]:
    now = now or timezone.now()
    past = Campaign.objects.filter(status=Campaign.Status.SUCCEEDED, ends_at__lte=now)
    return [campaign_complete(campaign=campaign, now=now) for campaign in past]


def impact_record(*, campaign: Campaign, indicator: ProgrammeIndicator, value: Decimal,
                  note: str = "", user: User | None = None) -> ImpactRecord:
    """Record (or correct) a campaign's measured value for one of its programme's
    indicators."""
    errors: dict[str, list[str]] = {}
    if indicator.programme_id != campaign.programme_id:
        errors["indicator"] = [_("This indicator is not one of the programme's.")]
    if value is None or value < 0:
        errors["value"] = [_("Enter a positive number.")]
    if errors:
        raise DomainError(errors)
    record, _created = ImpactRecord.objects.update_or_create(
        campaign=campaign, indicator=indicator,
        defaults={"value": value, "note": note, "recorded_by": user,
                  "recorded_at": timezone.now()})
    return record
