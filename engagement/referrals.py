"""Who brought whom: the one rule of the snowball, read by the figures (``reports``), the
campaign's tree page and a participant's own page ("N people joined through your link").

Campaign by campaign, a person's place is their first confirmed pledge to it; when that
pledge came through a participant's invitation (``Pledge.invitation`` →
``Invitation.inviter``), the inviter brought them, provided the inviter's own first pledge
to it (if any) came earlier (first pledges compared by time, then id), so the links never
make a cycle. Waiting-list, offered, awaiting and cancelled pledges bring nobody. See
docs/decisions.md, "Snowball per campaign"."""

from __future__ import annotations

from django.db import connection

from .models import Invitation, Participant, Pledge, Slot


def referral_links_sql(in_scope: str, *, per_campaign: bool = False) -> str:
    """The CTEs ``entries`` (each person's first confirmed pledge in scope, with the
    invitation it came through) and ``links`` (child ``id`` brought by ``parent``), over the
    pledges ``in_scope`` (aliases ``pl``, ``s``, ``c``), for one scope or per campaign
    (``campaign_id`` columns)."""
    campaign = "c.id AS campaign_id, " if per_campaign else ""
    partition = "c.id, " if per_campaign else ""
    child_campaign = "child.campaign_id, " if per_campaign else ""
    same_campaign = " AND parent.campaign_id = child.campaign_id" if per_campaign else ""
    # The invitation is looked up for the first pledges that have one only (the sort of
    # every pledge in scope is the cost of this rule; bench/snowball.py).
    return f"""
    entries AS MATERIALIZED (
        SELECT DISTINCT ON ({partition}pl.participant_id) {campaign}
               pl.participant_id AS id, pl.created_at, pl.id AS pledge_id, pl.invitation_id
        FROM {in_scope}
        WHERE pl.status = 'confirmed'
        ORDER BY {partition}pl.participant_id, pl.created_at, pl.id
    ),
    links AS MATERIALIZED (
        SELECT {child_campaign}child.id, inv.inviter_id AS parent
        FROM entries child
        JOIN {Invitation._meta.db_table} inv ON inv.id = child.invitation_id
        LEFT JOIN entries parent ON parent.id = inv.inviter_id{same_campaign}
        WHERE inv.inviter_id IS NOT NULL AND inv.inviter_id <> child.id
          AND (parent.id IS NULL
               OR (parent.created_at, parent.pledge_id) < (child.created_at, child.pledge_id))
    )"""  # noqa: S608 - only table names are interpolated


def participant_brought_count(participant: Participant) -> int:
    """How many people ``participant`` brought, by the snowball's rule campaign by campaign
    (a person brought to two campaigns counts once): the campaigns' figures and trees
    count the same links. Only the campaigns the person invited to are read."""
    pledge, slot = Pledge._meta.db_table, Slot._meta.db_table
    in_scope = f"""{pledge} pl
        JOIN {slot} s ON s.id = pl.slot_id
        JOIN scope_campaigns c ON c.id = s.campaign_id"""
    sql = f"""
    WITH scope_campaigns AS MATERIALIZED (
        SELECT DISTINCT campaign_id AS id FROM {Invitation._meta.db_table}
        WHERE inviter_id = %s
    ),
    {referral_links_sql(in_scope, per_campaign=True)}
    SELECT COUNT(DISTINCT id) FROM links WHERE parent = %s
    """  # noqa: S608 - only table names are interpolated
    with connection.cursor() as cursor:
        cursor.execute(sql, (participant.pk, participant.pk))
        row = cursor.fetchone()
    return int(row[0]) if row else 0
