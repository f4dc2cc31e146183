"""The plan's number of campaigns open at the same time (the free plan of associations and
collectives has one; the paid plans have none), enforced where a campaign opens.

The rule (docs/decisions.md, "A free plan for associations and collectives"): a campaign
counts from the moment it opens until its mobilisation deadline decides it (succeeded or
failed). Opening a draft and reopening a failed campaign by postponing it both take a
place; a refusal names the limit and the way out.
"""

from __future__ import annotations

from django.db import connection
from django.utils.translation import ngettext

from billing.codes import Limit
from billing.entitlements import entitlements_for
from core.errors import DomainError
from core.tenancy import current_organisation, current_schema

from ..models import Campaign


def open_campaigns_limit() -> int | None:
    """The current organisation's limit (None: unlimited)."""
    return entitlements_for(current_organisation()).limit(Limit.OPEN_CAMPAIGNS)


def open_campaigns_count() -> int:
    return Campaign.objects.filter(status=Campaign.Status.OPEN).count()


def open_campaign_claim(*, campaign: Campaign) -> None:
    """Refuse to open ``campaign`` when the plan's open campaigns are all taken. Call it
    inside the transaction that opens it, before the status changes.

    Two managers opening the last place at once cannot both pass: the count is taken under
    an advisory transaction lock per organisation, held until the opening commits, so the
    second one (READ COMMITTED: each statement sees what committed before it started)
    counts the first. A row lock cannot do this (the campaigns that would be counted are
    not the ones being changed) and a constraint cannot read the plan."""
    limit = open_campaigns_limit()
    if limit is None:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                       [f"{current_schema()}:open-campaigns"])
    already = Campaign.objects.filter(status=Campaign.Status.OPEN).exclude(
        pk=campaign.pk).count()
    if already >= limit:
        raise DomainError({"status": [ngettext(
            "Your plan allows %(limit)s open campaign at a time, and %(open)s are open. "
            "A campaign stops counting when its mobilisation deadline has passed; to open "
            "more at once, choose a paid plan on the billing page.",
            "Your plan allows %(limit)s open campaigns at a time, and %(open)s are open. "
            "A campaign stops counting when its mobilisation deadline has passed; to open "
            "more at once, choose a paid plan on the billing page.",
            limit) % {"limit": limit, "open": already}]})


__all__ = ["open_campaign_claim", "open_campaigns_count", "open_campaigns_limit"]
