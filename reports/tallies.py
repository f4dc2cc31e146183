"""Figures read from the tallies the triggers keep (``CampaignTally``, ``PersonTally``,
migration ``reports/0009``) instead of from every pledge: one query over a few rows per
campaign and per person, whatever the number of pledges.

They cover the additive figures (pledges by status, seats, hours pledged and given,
attended and no-show pledges) and the distinct people of a scope, which equal
``reports.metrics``' ``participants.mobilised`` and ``hours`` (a test compares them).
``programme_people_and_value`` and ``campaigns_people_and_value`` also read every other
figure of ``reports.metrics`` but impact, including the invitations' funnel kept per
campaign (``CampaignTally.invitations_*``, migration ``reports/0013``); see
docs/decisions.md, "Issue 16: maintained figures"."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from engagement.models import Campaign, Programme, Skill, Slot

from .analytic import analytic_cursor, subquery_sql
from .models import CampaignTally, PersonTally, ProgrammePersonTally, ProgrammeTally, SlotTally

TALLY_KEYS = ("campaigns", "mobilised", "pledges_confirmed", "pledges_waitlisted",
              "pledges_awaiting", "pledges_offered", "pledges_cancelled", "seats_confirmed",
              "attended", "no_show", "pledged_hours", "attended_hours", "data_version")


def scope_tallies(campaigns: QuerySet[Campaign], programme: Programme | None = None) -> dict:
    """The tallied figures of ``campaigns`` together; a person in several of them counts
    once in ``mobilised``: for a ``programme`` (all its campaigns) its ``ProgrammeTally``,
    else a count of the distinct people of their ``PersonTally`` rows."""
    scope_sql, scope_params = subquery_sql(campaigns.values("pk"))
    campaign_tally, person_tally = CampaignTally._meta.db_table, PersonTally._meta.db_table
    if programme is not None:
        people_sql = ("(SELECT COALESCE(MAX(people), 0) "  # noqa: S608 - a table name
                      f"FROM {ProgrammeTally._meta.db_table} WHERE programme_id = %s)")
        people_params: tuple = (programme.pk,)
    else:
        people_sql = ("(SELECT COUNT(DISTINCT participant_id) "  # noqa: S608 - a table name
                      f"FROM {person_tally} WHERE campaign_id IN (SELECT * FROM scope) "
                      "AND pledges_confirmed > 0)")
        people_params = ()
    sql = f"""
    WITH scope AS MATERIALIZED ({scope_sql})
    SELECT COUNT(*), {people_sql},
           COALESCE(SUM(pledges_confirmed), 0), COALESCE(SUM(pledges_waitlisted), 0),
           COALESCE(SUM(pledges_awaiting), 0), COALESCE(SUM(pledges_offered), 0),
           COALESCE(SUM(pledges_cancelled), 0), COALESCE(SUM(seats_confirmed), 0),
           COALESCE(SUM(attended), 0), COALESCE(SUM(no_show), 0),
           ROUND(COALESCE(SUM(pledged_seconds), 0) / 3600.0, 2),
           COALESCE(SUM(attended_hours), 0), COALESCE(SUM(data_version), 0)
    FROM {campaign_tally} WHERE campaign_id IN (SELECT * FROM scope)
    """  # noqa: S608 - table names and the ORM's own SQL
    with connection.cursor() as cursor:
        cursor.execute(sql, (*scope_params, *people_params))
        row = cursor.fetchone()
    figures = dict(zip(TALLY_KEYS, row, strict=True))
    figures["pledged_hours"] = float(figures["pledged_hours"])
    figures["attended_hours"] = float(figures["attended_hours"])
    return figures


def programme_tallies(programme: Programme) -> dict:
    """``scope_tallies`` of a programme's campaigns, its distinct people read from its
    ``ProgrammeTally`` (one row) instead of counted over its people's rows."""
    return scope_tallies(Campaign.objects.filter(programme=programme), programme=programme)


# The sums over a scope's slots' pledges by kind (``SlotTally``): the hours, attendance
# and value parts of ``reports.participants`` and ``reports.value``, exactly (each kind's
# value is rounded as each of its pledges' would be, then multiplied by their number).
SLOT_SUMS = """
    SELECT {group}
           COALESCE(SUM(st.pledges * (EXTRACT(EPOCH FROM (s.ends_at - s.starts_at)) / 3600
                                      * (1 + st.companions)))
                    FILTER (WHERE st.status = 'confirmed'), 0) AS pledged_hours,
           COALESCE(SUM(st.pledges * st.hours_given) FILTER (WHERE {given}), 0)
               AS attended_hours,
           COALESCE(SUM(st.pledges) FILTER (WHERE st.status = 'confirmed' AND {counted}), 0)
               AS past_confirmed,
           COALESCE(SUM(st.pledges) FILTER (WHERE {given} AND {counted}), 0) AS past_attended,
           COALESCE(SUM(st.pledges) FILTER (WHERE st.status = 'confirmed'
                                              AND st.attendance = 'no_show' AND {counted}), 0)
               AS past_no_show,
           COALESCE(SUM(st.pledges * ROUND(st.hours_given * CASE WHEN {skilled} THEN
                        COALESCE(st.hour_rate, sk.hourly_rate, ssk.hourly_rate)
                        ELSE %s END, 2)) FILTER (WHERE {given}), 0) AS amount,
           COALESCE(SUM(st.pledges * st.hours_given) FILTER (WHERE {given} AND {skilled}), 0)
               AS skills_hours,
           COALESCE(SUM(st.pledges * ROUND(st.hours_given * COALESCE(
                        st.hour_rate, sk.hourly_rate, ssk.hourly_rate), 2))
                    FILTER (WHERE {given} AND {skilled}), 0) AS skills_amount
    FROM {slot_tally} st
    JOIN {slot} s ON s.id = st.slot_id
    JOIN scope c ON c.id = s.campaign_id
    LEFT JOIN {skill} sk ON sk.id = st.skill_id
    LEFT JOIN {skill} ssk ON ssk.id = s.skill_id
    WHERE st.pledges <> 0
""".format(  # noqa: S608 - table names and fixed SQL only
    group="{group}", slot_tally=SlotTally._meta.db_table, slot=Slot._meta.db_table,
    skill=Skill._meta.db_table,
    given="st.status = 'confirmed' AND st.attendance = 'attended'",
    skilled="(st.skill_id IS NOT NULL OR s.skill_id IS NOT NULL)",
    # ``reports.participants.COUNTED``: the slot is over (and its campaign did not
    # fail), or the attendance was recorded.
    counted="((s.ends_at < c.now_at AND NOT c.failed) OR st.attendance <> 'pending')",
)
# The invitations' funnel kept per campaign (``CampaignTally``, migration ``reports/0013``),
# by the keys of ``engagement.selectors.funnel_counts`` that the metrics show.
FUNNEL_COLUMNS = {"invitations_sent": "sent", "invitations_pledged": "pledged",
                  "invitations_sent_by_participants": "sent_by_participants",
                  "invitations_pledged_by_participants": "pledged_by_participants"}
SUM_KEYS = ("pledged_hours", "attended_hours", "past_confirmed", "past_attended",
            "past_no_show", "amount", "skills_hours", "skills_amount")
FOREST_KEYS = ("generations", "largest_tree", "brought_pledged", "brought_attended")


def _forest_sql(links: str, per_campaign: bool) -> str:
    """The referral forest's figures from ``links`` (child ``id``, ``parent``,
    ``attended``; with ``campaign_id`` per campaign): the walk of ``reports.participants``,
    over the links only."""
    campaign = "campaign_id, " if per_campaign else ""
    same = " AND l.campaign_id = roots.campaign_id" if per_campaign else ""
    joined = " AND links.campaign_id = tree.campaign_id" if per_campaign else ""
    return f"""
    links AS MATERIALIZED ({links}),
    tree AS (
        SELECT {campaign}roots.parent AS id, roots.parent AS root, 0 AS depth
        FROM (SELECT DISTINCT {campaign}parent FROM links) AS roots
        WHERE NOT EXISTS (SELECT 1 FROM links l WHERE l.id = roots.parent{same})
        UNION ALL
        SELECT {"links.campaign_id, " if per_campaign else ""}links.id, tree.root,
               tree.depth + 1
        FROM links JOIN tree ON links.parent = tree.id{joined}
    ),
    forests AS (
        SELECT {campaign}MAX(depth) AS generations, MAX(size) AS largest_tree
        FROM (SELECT {campaign}root, MAX(depth) AS depth, COUNT(*) AS size
              FROM tree GROUP BY {campaign}root) AS trees
        {"GROUP BY campaign_id" if per_campaign else ""}
    ),
    brought AS (
        SELECT {campaign}COUNT(*) AS pledged, COUNT(*) FILTER (WHERE attended) AS attended
        FROM links {"GROUP BY campaign_id" if per_campaign else ""}
    )"""  # noqa: S608 - fixed SQL only


def programme_people_and_value(programme: Programme, hour_value: Decimal) -> dict:
    """``reports.participants.people_and_snowball`` of a programme's campaigns, with the
    sums of ``reports.value`` (``amount``, ``skills_hours``, ``skills_amount``), read from
    the tallies in one query: its slots' pledges by kind (``SlotTally``: hours, attendance
    of the slots over now, the value of time at today's rates), its ``ProgrammeTally``
    (people), its campaigns' ``CampaignTally`` (companions) and its people's rows
    (``ProgrammePersonTally``: returning people and the referral forest), and the
    invitations' funnel of its campaigns (``invitations``, summed over their
    ``CampaignTally`` rows). A few rows per slot, per person and per campaign, whatever
    the number of pledges and invitations."""
    person, campaign_tally = ProgrammePersonTally._meta.db_table, CampaignTally._meta.db_table
    links = f"""
        SELECT child.participant_id AS id, child.inviter_id AS parent, child.attended
        FROM {person} child
        LEFT JOIN {person} parent ON parent.programme_id = child.programme_id
                                 AND parent.participant_id = child.inviter_id
                                 AND parent.campaigns > 0
        WHERE child.programme_id = %s AND child.campaigns > 0
          AND child.inviter_id IS NOT NULL AND child.inviter_id <> child.participant_id
          AND (parent.participant_id IS NULL
               OR (parent.first_at, parent.first_pledge_id)
                  < (child.first_at, child.first_pledge_id))"""  # noqa: S608 - table names
    sql = f"""
    WITH RECURSIVE scope AS MATERIALIZED (
        SELECT id, starts_at, %s::timestamptz AS now_at, status = 'failed' AS failed
        FROM {Campaign._meta.db_table} WHERE programme_id = %s
    ),
    sums AS ({SLOT_SUMS.format(group="")}),
    tallied AS (
        SELECT COALESCE(SUM(companions), 0) AS companions,
               {", ".join(f"COALESCE(SUM({column}), 0) AS {column}"
                          for column in FUNNEL_COLUMNS)}
        FROM {campaign_tally} WHERE campaign_id IN (SELECT id FROM scope)
    ),
    {_forest_sql(links, per_campaign=False)},
    -- Returning: a first campaign in the programme later than one elsewhere (only the
    -- people of other programmes whose first start could be earlier are read).
    elsewhere AS (
        SELECT participant_id, MIN(first_start) AS earliest FROM {person}
        WHERE programme_id <> %s AND campaigns > 0
          AND first_start < (SELECT MAX(starts_at) FROM scope)
        GROUP BY participant_id
    )
    SELECT
        (SELECT COALESCE(MAX(people), 0) FROM {ProgrammeTally._meta.db_table}
         WHERE programme_id = %s),
        (SELECT COUNT(*) FROM {person} me JOIN elsewhere USING (participant_id)
         WHERE me.programme_id = %s AND me.campaigns > 0
           AND elsewhere.earliest < me.first_start),
        tallied.companions, sums.*,
        (SELECT COALESCE(MAX(generations), 0) FROM forests),
        (SELECT MAX(largest_tree) FROM forests),
        (SELECT pledged FROM brought), (SELECT attended FROM brought),
        {", ".join(f"tallied.{column}" for column in FUNNEL_COLUMNS)}
    FROM sums, tallied
    """  # noqa: S608 - table names and fixed SQL only; every value is a parameter
    with analytic_cursor() as cursor:
        cursor.execute(sql, (timezone.now(), programme.pk, hour_value, programme.pk,
                             programme.pk, programme.pk, programme.pk))
        row = cursor.fetchone()
    return _people(dict(zip(("mobilised", "returning", "companions", *SUM_KEYS,
                             *FOREST_KEYS, *FUNNEL_COLUMNS), row, strict=True)))


def campaigns_people_and_value(ids: list[int], hour_value: Decimal) -> dict[int, dict]:
    """``programme_people_and_value`` of each campaign in ``ids``, in one query: people,
    companions and the invitations' funnel from its ``CampaignTally``, returning people
    and its forest from its people's rows (``PersonTally``: a person returns when their
    first campaign, the earliest first start of their programme rows, started before this
    one)."""
    person, programme_person = PersonTally._meta.db_table, ProgrammePersonTally._meta.db_table
    links = f"""
        SELECT child.campaign_id, child.participant_id AS id, child.inviter_id AS parent,
               child.pledges_attended > 0 AS attended
        FROM {person} child
        LEFT JOIN {person} parent ON parent.campaign_id = child.campaign_id
                                 AND parent.participant_id = child.inviter_id
                                 AND parent.pledges_confirmed > 0
        WHERE child.campaign_id IN (SELECT id FROM scope) AND child.pledges_confirmed > 0
          AND child.inviter_id IS NOT NULL AND child.inviter_id <> child.participant_id
          AND (parent.participant_id IS NULL
               OR (parent.first_at, parent.first_pledge_id)
                  < (child.first_at, child.first_pledge_id))"""  # noqa: S608 - table names
    sql = f"""
    WITH RECURSIVE scope AS MATERIALIZED (
        SELECT id, starts_at, %s::timestamptz AS now_at, status = 'failed' AS failed
        FROM {Campaign._meta.db_table} WHERE id = ANY(%s)
    ),
    sums AS ({SLOT_SUMS.format(group="c.id AS campaign_id,")} GROUP BY c.id),
    {_forest_sql(links, per_campaign=True)},
    firsts AS (
        SELECT participant_id, MIN(first_start) AS first_start FROM {programme_person}
        WHERE campaigns > 0 AND first_start < (SELECT MAX(starts_at) FROM scope)
        GROUP BY participant_id
    ),
    returners AS (
        SELECT pt.campaign_id, COUNT(*) AS people
        FROM {person} pt JOIN scope c ON c.id = pt.campaign_id
        JOIN firsts f ON f.participant_id = pt.participant_id
        WHERE pt.pledges_confirmed > 0 AND f.first_start < c.starts_at
        GROUP BY pt.campaign_id
    )
    SELECT c.id, COALESCE(t.people, 0), COALESCE(returners.people, 0),
           COALESCE(t.companions, 0),
           {", ".join(f"COALESCE(sums.{key}, 0)" for key in SUM_KEYS)},
           COALESCE(forests.generations, 0), forests.largest_tree,
           COALESCE(brought.pledged, 0), COALESCE(brought.attended, 0),
           {", ".join(f"COALESCE(t.{column}, 0)" for column in FUNNEL_COLUMNS)}
    FROM scope c
    LEFT JOIN {CampaignTally._meta.db_table} t ON t.campaign_id = c.id
    LEFT JOIN returners ON returners.campaign_id = c.id
    LEFT JOIN sums ON sums.campaign_id = c.id
    LEFT JOIN forests ON forests.campaign_id = c.id
    LEFT JOIN brought ON brought.campaign_id = c.id
    """  # noqa: S608 - table names and fixed SQL only; every value is a parameter
    with analytic_cursor() as cursor:
        cursor.execute(sql, (timezone.now(), list(ids), hour_value))
        rows = cursor.fetchall()
    return {row[0]: _people(dict(zip(("mobilised", "returning", "companions", *SUM_KEYS,
                                      *FOREST_KEYS, *FUNNEL_COLUMNS), row[1:], strict=True)))
            for row in rows}


def _people(row: dict) -> dict:
    # Someone mobilised makes a tree of one at least (``reports.participants``).
    row["largest_tree"] = max(row["largest_tree"] or 0, min(row["mobilised"], 1))
    row["invitations"] = {key: row.pop(column) for column, key in FUNNEL_COLUMNS.items()}
    return row
