"""The organisation's public campaigns in the directory of actions (``directory``, public
schema): what a campaign publishes there, and when.

Campaign services call ``campaign_directory_sync_on_commit`` when a campaign is opened,
edited, postponed or closed; pledge services call ``campaign_directory_count_on_commit``
when its count of people may have moved. Both act after the commit, so a rolled-back write
publishes nothing, and the hourly ``campaigns_directory_resync`` catches what another path
(a walk-in, an approved party, a check-in) changed. The row holds ``PUBLISHED_FIELDS``
only: texts and figures the campaign's public page already shows, never a participant.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from django.conf import settings
from django.db import DatabaseError, connection, transaction

from core.tenancy import call_on_commit, current_organisation, current_schema
from directory.models import ListedCampaign
from directory.services import (
    PublishedCampaign,
    directory_choice_set,
    directory_listed,
    listed_campaign_publish,
    listed_campaign_remove,
    listed_campaigns_keep_only,
)
from tenants.models import Organisation, User

from ..models import Campaign

logger = logging.getLogger(__name__)

# The progress bar's count (``services.campaigns.mobilised_count``, which imports this
# module's callers): each confirmed participant once, with their largest party.
_MOBILISED = """
SELECT COALESCE(SUM(1 + party.companions), 0) FROM (
    SELECT MAX(pledge.companions) AS companions
    FROM engagement_pledge pledge JOIN engagement_slot slot ON slot.id = pledge.slot_id
    WHERE slot.campaign_id = %s AND pledge.status = 'confirmed'
    GROUP BY pledge.participant_id) party
"""

LISTABLE_STATUSES = (Campaign.Status.OPEN, Campaign.Status.SUCCEEDED, Campaign.Status.FAILED,
                     Campaign.Status.COMPLETED)


def campaign_listable(campaign: Campaign) -> bool:
    """What the campaign itself says: public, not opted out, opened at least once."""
    return (campaign.visibility == Campaign.Visibility.PUBLIC and campaign.listed_in_directory
            and campaign.status in LISTABLE_STATUSES)


def campaign_published_fields(campaign: Campaign, organisation: Organisation
                              ) -> PublishedCampaign:
    version = campaign.programme.template_version
    return PublishedCampaign(
        title_fr=campaign.text_in("title", "fr").strip(),
        title_en=campaign.text_in("title", "en").strip(),
        organiser=organisation.name, place=campaign.place,
        latitude=campaign.latitude if campaign.longitude is not None else None,
        longitude=campaign.longitude if campaign.latitude is not None else None,
        starts_at=campaign.starts_at, ends_at=campaign.ends_at,
        mobilisation_deadline=campaign.mobilisation_deadline,
        time_zone=organisation.time_zone,
        participant_target=campaign.participant_target,
        mobilised=_mobilised(campaign.pk), theme=version.theme if version else "",
        status=campaign.status, public_url=organisation.absolute_url(f"/c/{campaign.code}/"))


def _mobilised(campaign_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(_MOBILISED, [campaign_id])
        return int(cursor.fetchone()[0])


def campaign_directory_sync(*, campaign_id: int) -> bool:
    """Publish the campaign's row, or remove it, as its current state says. The campaign row
    is locked while its row is written: of two syncs of one campaign, the later one reads
    the later state, so the index ends as the campaign is. Returns whether it is listed."""
    organisation = current_organisation()
    with transaction.atomic():
        campaign = (Campaign.objects.select_for_update(of=("self",))
                    .select_related("programme__template_version")
                    .filter(pk=campaign_id).first())
        if (campaign is None or not campaign_listable(campaign)
                or organisation.closure_requested_at is not None):
            listed_campaign_remove(organisation=organisation, campaign_id=campaign_id)
            return False
        return listed_campaign_publish(
            organisation=organisation, campaign_id=campaign.pk,
            fields=campaign_published_fields(campaign, organisation))


def campaign_directory_sync_on_commit(campaign: Campaign) -> None:
    call_on_commit(_sync, campaign.pk)


def _sync(campaign_id: int) -> None:
    _after_commit(partial(campaign_directory_sync, campaign_id=campaign_id), campaign_id)


def _after_commit(write: Callable[[], object], campaign_id: int) -> None:
    """Run a directory write after the campaign's own commit. The organisation's write is
    committed whatever happens here: a database lost in between (a restart) must not turn
    a recorded sign-up into an error page that tells the visitor to try again. The
    failure is logged and the hourly ``campaigns_directory_resync`` repairs the row."""
    try:
        write()
    except DatabaseError:
        logger.warning("Directory row of campaign %s not written after its commit; the "
                       "hourly resync will write it.", campaign_id, exc_info=True)


# One statement, its tables named with their schemas: PostgreSQL runs the count (an
# InitPlan) only when the WHERE found the campaign's row, so a campaign that is not listed
# costs one index probe.
_COUNT_UPDATE = """
UPDATE {public}.{listed} SET updated_at = now(), mobilised = (
    SELECT COALESCE(SUM(1 + party.companions), 0) FROM (
        SELECT MAX(pledge.companions) AS companions
        FROM {schema}.engagement_pledge pledge
        JOIN {schema}.engagement_slot slot ON slot.id = pledge.slot_id
        WHERE slot.campaign_id = %s AND pledge.status = 'confirmed'
        GROUP BY pledge.participant_id) party)
WHERE organisation_id = %s AND campaign_id = %s
"""


def campaign_directory_count_on_commit(campaign: Campaign) -> None:
    """After a pledge's commit, the listed campaign's count of people: nothing at all for
    an internal or opted-out campaign, one UPDATE of one row otherwise. The organisation and
    schema are taken now (the request's tenant, no query) and the statement names its
    schema, so the callback neither switches schemas nor looks the organisation up (each
    a round trip; measured in bench/directory.py)."""
    if campaign.visibility != Campaign.Visibility.PUBLIC or not campaign.listed_in_directory:
        return
    schema, organisation_id = current_schema(), current_organisation().pk
    transaction.on_commit(partial(
        _after_commit, partial(_count_update, schema, organisation_id, campaign.pk),
        campaign.pk))


def campaign_directory_count_update(*, campaign_id: int) -> int:
    """The count of the current organisation's campaign, now. Returns the rows updated (0
    when the campaign is not listed)."""
    return _count_update(current_schema(), current_organisation().pk, campaign_id)


def _count_update(schema: str, organisation_id: int, campaign_id: int) -> int:
    quote = connection.ops.quote_name
    sql = _COUNT_UPDATE.format(public=quote(settings.PUBLIC_SCHEMA_NAME),
                               listed=quote(ListedCampaign._meta.db_table),
                               schema=quote(schema))
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign_id, organisation_id, campaign_id])
        return int(cursor.rowcount)


def campaigns_directory_resync() -> int:
    """Make the organisation's rows what its campaigns are: every listable campaign
    published (while the organisation lists them), every other row deleted. Run hourly
    and when the organisation starts listing. Returns the campaigns listed."""
    organisation = current_organisation()
    if not directory_listed(organisation) or organisation.closure_requested_at is not None:
        listed_campaigns_keep_only(organisation=organisation, campaign_ids=[])
        return 0
    listable = [c.pk for c in Campaign.objects.filter(
        visibility=Campaign.Visibility.PUBLIC, listed_in_directory=True,
        status__in=LISTABLE_STATUSES).only("pk")]
    listed_campaigns_keep_only(organisation=organisation, campaign_ids=listable)
    return sum(campaign_directory_sync(campaign_id=pk) for pk in listable)


def organisation_directory_choose(*, listed: bool, user: User | None = None) -> bool:
    """The current organisation's choice: listing publishes its listable campaigns after
    the commit; unlisting deletes every row of it in the same transaction."""
    organisation = current_organisation()
    with transaction.atomic():
        directory_choice_set(organisation=organisation, listed=listed, user=user)
        if listed:
            call_on_commit(campaigns_directory_resync)
    return listed
