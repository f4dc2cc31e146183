"""Writes to the directory of actions (public schema).

An organisation's campaign and pledge services call these on the commit of their own
transaction (``engagement.services.directory``); nothing else writes the index. The row
holds ``PUBLISHED_FIELDS`` and nothing more: what the campaign's public page already shows.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TypedDict

from django.db import connection, transaction
from django.utils import timezone

from tenants.models import Organisation, User

from .models import DirectoryChoice, ListedCampaign


class PublishedCampaign(TypedDict):
    """Every column of a listed campaign that its organisation writes, and only those."""
    title_fr: str
    title_en: str
    organiser: str
    place: str
    latitude: Decimal | None
    longitude: Decimal | None
    starts_at: datetime
    ends_at: datetime
    mobilisation_deadline: datetime
    time_zone: str
    participant_target: int
    mobilised: int
    theme: str
    status: str
    public_url: str


PUBLISHED_FIELDS: tuple[str, ...] = tuple(PublishedCampaign.__annotations__)


def directory_choice_set(*, organisation: Organisation, listed: bool,
                         user: User | None = None) -> DirectoryChoice:
    """Record the organisation's choice. Unlisting deletes its rows in the same transaction,
    so the directory never shows them once the choice is committed; listing publishes
    nothing by itself (the organisation's services publish each campaign)."""
    with transaction.atomic():
        choice, _created = DirectoryChoice.objects.update_or_create(
            organisation=organisation,
            defaults={"listed": listed, "chosen_at": timezone.now(), "chosen_by": user})
        if not listed:
            ListedCampaign.objects.filter(organisation=organisation).delete()
    return choice


def directory_listed(organisation: Organisation) -> bool:
    return DirectoryChoice.objects.filter(organisation=organisation, listed=True).exists()


def listed_campaign_publish(*, organisation: Organisation, campaign_id: int,
                            fields: PublishedCampaign) -> bool:
    """Insert or update the campaign's row (one statement, ``ON CONFLICT``), only while the
    organisation lists its campaigns. Returns whether a row is now published.

    The organisation's choice is read ``FOR SHARE``: an unlisting being committed (which
    updates that row and deletes the listed campaigns) is waited for and then seen, so a
    publication can never slip a row back in behind it."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {DirectoryChoice._meta.db_table} "  # noqa: S608 - a model's table
                "WHERE organisation_id = %s AND listed FOR SHARE", [organisation.pk])
            if cursor.fetchone() is None:
                return False
        row = ListedCampaign(organisation=organisation, campaign_id=campaign_id,
                             updated_at=timezone.now(), **fields)
        ListedCampaign.objects.bulk_create(
            [row], update_conflicts=True, unique_fields=["organisation", "campaign_id"],
            update_fields=[*PUBLISHED_FIELDS, "updated_at"])
    return True


def listed_campaign_remove(*, organisation: Organisation, campaign_id: int) -> int:
    """Take the campaign out of the directory at once (unlisted, made internal, deleted)."""
    deleted, _ = ListedCampaign.objects.filter(organisation=organisation,
                                               campaign_id=campaign_id).delete()
    return deleted


def listed_campaigns_keep_only(*, organisation: Organisation, campaign_ids: list[int]) -> int:
    """Delete the organisation's rows of campaigns not in ``campaign_ids`` (a resync)."""
    deleted, _ = (ListedCampaign.objects.filter(organisation=organisation)
                  .exclude(campaign_id__in=campaign_ids).delete())
    return deleted


def listed_campaigns_of_organisation_delete(organisation_id: int) -> int:
    """Every row of the organisation (its closure, in the closing transaction)."""
    deleted, _ = ListedCampaign.objects.filter(organisation_id=organisation_id).delete()
    return deleted
