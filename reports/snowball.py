"""A campaign's referral tree (who brought whom) and its ranking of recruiters, by the
rule the campaign's figures count with (``engagement.referrals``): the tree
page, its nodes and the ranking add up to the figures' ``brought_pledged`` and
``brought_attended``."""

from __future__ import annotations

from dataclasses import dataclass, field

from engagement.models import Campaign, Participant, Pledge, Slot
from engagement.referrals import referral_links_sql

from .analytic import WORK_MEM, analytic_cursor


@dataclass
class ReferralNode:
    participant: Participant
    # Whether the person has a confirmed pledge to the campaign (a recruiter may only have
    # shared their link) and whether they attended it.
    pledged: bool
    attended: bool
    children: list[ReferralNode] = field(default_factory=list)

    @property
    def size(self) -> int:
        return 1 + sum(child.size for child in self.children)


@dataclass(frozen=True)
class Recruiter:
    participant: Participant
    brought_pledged: int
    brought_attended: int


@dataclass(frozen=True)
class CampaignReferrals:
    trees: list[ReferralNode]
    recruiters: list[Recruiter]
    brought_pledged: int
    brought_attended: int


def campaign_referrals(campaign: Campaign) -> CampaignReferrals:
    """The campaign's referral forest (largest trees first) and its recruiters (most
    people brought who pledged, then who attended), in two queries."""
    pledge, slot = Pledge._meta.db_table, Slot._meta.db_table
    in_scope = f"""{pledge} pl
        JOIN {slot} s ON s.id = pl.slot_id
        JOIN scope_campaigns c ON c.id = s.campaign_id"""
    sql = f"""
    WITH scope_campaigns AS MATERIALIZED (SELECT %s::bigint AS id),
    {referral_links_sql(in_scope)},
    attended AS (
        SELECT DISTINCT pl.participant_id AS id FROM {in_scope}
        WHERE pl.status = 'confirmed' AND pl.attendance = 'attended'
    )
    SELECT person.id, links.parent, entries.id IS NOT NULL, attended.id IS NOT NULL
    FROM (SELECT id FROM links UNION SELECT parent FROM links) AS person
    LEFT JOIN links ON links.id = person.id
    LEFT JOIN entries ON entries.id = person.id
    LEFT JOIN attended ON attended.id = person.id
    """  # noqa: S608 - only table names are interpolated
    with analytic_cursor(WORK_MEM) as cursor:
        cursor.execute(sql, (campaign.pk,))
        rows = cursor.fetchall()
    people = Participant.objects.in_bulk([row[0] for row in rows])
    nodes = {pk: ReferralNode(participant=people[pk], pledged=pledged, attended=attended)
             for pk, _parent, pledged, attended in rows}
    roots: list[ReferralNode] = []
    for pk, parent, _pledged, _attended in rows:
        (nodes[parent].children if parent is not None else roots).append(nodes[pk])

    def order(node: ReferralNode) -> tuple[int, str]:
        return (-node.size, node.participant.display_name.casefold())

    for node in nodes.values():
        node.children.sort(key=order)
    roots.sort(key=order)
    recruiters = [
        Recruiter(participant=node.participant, brought_pledged=len(node.children),
                  brought_attended=sum(child.attended for child in node.children))
        for node in nodes.values() if node.children]
    recruiters.sort(key=lambda r: (-r.brought_pledged, -r.brought_attended,
                                   r.participant.display_name.casefold()))
    return CampaignReferrals(
        trees=roots, recruiters=recruiters,
        brought_pledged=sum(r.brought_pledged for r in recruiters),
        brought_attended=sum(r.brought_attended for r in recruiters))
