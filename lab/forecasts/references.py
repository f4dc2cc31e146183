"""Reference trajectories: finished campaigns, anonymised in the public schema
(``methodology.ReferenceTrajectory``), that the forecasts of open campaigns compare with.

A row is written when a campaign is decided or completed (``reference_record``, queued on
the commit of the decision) and by the nightly backfill (``references_backfill``); both
are idempotent: one row per campaign key, updated in place. The keys are keyed hashes
(HMAC-SHA256 under the project's secret) of the schema name and the campaign id, so a row
names nobody and is still recognisable to its own organisation, which weighs its own
campaigns more and counts the others as "other organisations"."""

from __future__ import annotations

from datetime import date

from django.db.models import Q
from django.utils import timezone

from core.tenancy import current_organisation, current_schema
from engagement.models import Campaign, Participant
from methodology.models import ReferenceTrajectory
from methodology.reference_keys import reference_campaign_key, reference_organisation_key
from tenants.models import Organisation

from ..evidence import size_band as evidence_size_band
from ..forecast import GRID, Reference, reference_from_points
from .trajectories import campaign_trajectories

FINISHED = (Campaign.Status.SUCCEEDED, Campaign.Status.FAILED, Campaign.Status.COMPLETED)

# The closest evidence first, as tiers each holding a fixed share of the references' total
# weight, however many references each tier has (multiplied weights let thousands of other
# organisations' references drown the few close ones): the same template (of any
# organisation) half, the organisation's own campaigns of other templates 30 %, all the
# others 20 %. An empty tier's share goes to the others in proportion. The total stays the
# number of references, so the forecast's prior (PRIOR_WEIGHT references) keeps its role.
TIER_SHARES = {"template": 0.5, "organisation": 0.3, "others": 0.2}
# Inside a tier: the organisation's own campaigns count twice, another kind of
# organisation half.
SAME_ORGANISATION = 2.0
SAME_KIND = 1.0
OTHER_KIND = 0.5



def organisation_key(schema: str | None = None) -> str:
    return reference_organisation_key(schema or current_schema())


def campaign_key(campaign_id: int, schema: str | None = None) -> str:
    return reference_campaign_key(schema or current_schema(), campaign_id)


def size_band() -> str:
    """The organisation's band by the people it holds, as the evidence tables count it."""
    return evidence_size_band(Participant.objects.filter(erased_at__isnull=True).count())


def _finished() -> Q:
    return Q(status__in=FINISHED, opened_at__isnull=False)


def _record(campaigns: list[Campaign]) -> int:
    """Write (or rewrite) the reference rows of these finished campaigns; one trajectory
    query for all of them."""
    if not campaigns:
        return 0
    curves = campaign_trajectories(campaign.pk for campaign in campaigns)
    organisation, band, own = current_organisation(), size_band(), organisation_key()
    written = 0
    for campaign in campaigns:
        curve = curves.get(campaign.pk)
        if not curve:
            continue
        version = campaign.programme.template_version
        finished = (campaign.closed_at or campaign.mobilisation_deadline).date()
        ReferenceTrajectory.objects.update_or_create(
            campaign_key=campaign_key(campaign.pk), defaults={
                "organisation_key": own,
                "template_id": version.template_id if version else None,
                "organisation_kind": organisation.kind, "size_band": band,
                "curve": [float(people) for people in curve], "final": curve[-1],
                "target": campaign.participant_target,
                "finished_month": date(finished.year, finished.month, 1),
                "recorded_at": timezone.now()})
        written += 1
    return written


def reference_record(*, campaign_id: int) -> bool:
    """The finished campaign's reference row (nothing for an open or draft one)."""
    campaigns = list(Campaign.objects.select_related("programme__template_version")
                     .filter(_finished(), pk=campaign_id))
    return _record(campaigns) == 1


def references_backfill() -> int:
    """Every finished campaign of the organisation without its reference row yet."""
    finished = list(Campaign.objects.select_related("programme__template_version")
                    .filter(_finished()).order_by("pk"))
    keys = {campaign_key(campaign.pk): campaign for campaign in finished}
    present = set(ReferenceTrajectory.objects.filter(campaign_key__in=list(keys))
                  .values_list("campaign_key", flat=True))
    return _record([campaign for key, campaign in keys.items() if key not in present])


def references_of_departed_delete() -> int:
    """Public schema, nightly: the rows of organisations no longer ready (closed, dropped)
    go, should their closure have missed them. Returns how many rows went."""
    kept = [organisation_key(schema) for schema in
            Organisation.objects.ready().values_list("schema_name", flat=True)]
    deleted, _ = ReferenceTrajectory.objects.exclude(organisation_key__in=kept).delete()
    return deleted


def references_for(campaign: Campaign, rows: list[ReferenceTrajectory] | None = None,
                   ) -> list[Reference]:
    """The finished campaigns to compare ``campaign`` with, each weighed by how close it
    is: tiers of fixed shares (``TIER_SHARES``), then inside a tier the same organisation
    and the same kind of organisation.
    ``rows`` lets a caller forecasting many campaigns read the table once."""
    if rows is None:
        rows = reference_rows()
    version = campaign.programme.template_version
    template_id = version.template_id if version else None
    own, kind = organisation_key(), current_organisation().kind
    mine = campaign_key(campaign.pk)
    tiers: dict[str, list[tuple[ReferenceTrajectory, float]]] = {tier: [] for tier in TIER_SHARES}
    for row in rows:
        if row.campaign_key == mine:
            continue
        weight = SAME_KIND if row.organisation_kind == kind else OTHER_KIND
        if row.organisation_key == own:
            weight *= SAME_ORGANISATION
        if template_id is not None and row.template_id == template_id:
            tier = "template"
        elif row.organisation_key == own:
            tier = "organisation"
        else:
            tier = "others"
        tiers[tier].append((row, weight))
    count = sum(len(members) for members in tiers.values())
    present = sum(TIER_SHARES[tier] for tier, members in tiers.items() if members)
    references: list[Reference] = []
    for tier, members in tiers.items():
        if not members:
            continue
        scale = count * TIER_SHARES[tier] / present / sum(weight for _row, weight in members)
        references.extend(reference_from_points(
            list(zip(GRID, row.curve, strict=False)), target=row.target, weight=weight * scale)
            for row, weight in members)
    return references


def reference_rows() -> list[ReferenceTrajectory]:
    return list(ReferenceTrajectory.objects.only(
        "campaign_key", "organisation_key", "template_id", "organisation_kind", "curve",
        "target"))
