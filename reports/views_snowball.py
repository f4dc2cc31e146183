"""A campaign's snowball page: who brought whom (a nested list, readable on a phone and
by a screen reader) and the ranking of recruiters. Members read; a person's name shows
only to those allowed to see it (``tenants.access.mask_participant``: owners and
managers see everyone, viewers and consultants the people who agreed to be contacted)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render

from engagement.models import Campaign
from tenants.access import mask_participant

from .snowball import ReferralNode, campaign_referrals


def campaign_snowball(request, pk: int):
    campaign = get_object_or_404(Campaign.objects.select_related("programme"), pk=pk)
    referrals = campaign_referrals(campaign)
    access = getattr(request, "access", None)
    seen: set[int] = set()

    def mask(node: ReferralNode) -> None:
        if node.participant.pk not in seen:
            seen.add(node.participant.pk)
            mask_participant(access, node.participant)
        for child in node.children:
            mask(child)

    for tree in referrals.trees:
        mask(tree)
    return render(request, "reports/campaign_snowball.html", {
        "campaign": campaign, "referrals": referrals})
