"""Who was mobilised and what they gave, in one raw SQL query per call: the people
(mobilised, returning, companions), the hours pledged and given, attendance of the
actions that are over, and the referral forest among the people mobilised (the
``participants``, ``hours``, ``attendance`` and ``snowball`` parts of ``metrics``).

The referral forest is drawn from the invitations people joined through, scope by scope:
a person's place in it is their first confirmed pledge in scope; when that pledge came
through a participant's invitation (``Pledge.invitation`` → ``Invitation.inviter``), the
inviter brought them. So a returning person brought to a campaign by someone new is in
that campaign's tree under the person who brought them this time, whatever brought them
to an earlier campaign (``Participant.referred_by`` only remembers the first time ever).
An inviter who had already pledged in scope must have done so before the person they
brought (first pledges compared by time, then id): every link goes from an earlier
entry to a later one, so the forest has no cycle whatever the cancellations and
re-pledges. An inviter who did not pledge in scope is a root of the forest (they brought
people without taking part themselves). The links are ``engagement.referrals``' rule, which
a participant's own page counts with too. See docs/decisions.md, "Snowball per campaign"."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from engagement.models import Campaign, Participant, Pledge, Slot, Team
from engagement.referrals import referral_links_sql

from .analytic import WORK_MEM, WORK_MEM_MANY, analytic_cursor, subquery_sql

# The columns of the people-and-snowball queries, in order.
PEOPLE_KEYS = ("mobilised", "returning", "companions", "pledged_hours", "attended_hours",
               "past_confirmed", "past_attended", "past_no_show", "generations",
               "largest_tree", "brought_pledged", "brought_attended")
# A confirmed pledge counts toward attendance once its slot is over, or as soon as an
# organiser recorded its attendance (people checked in during an action that is still
# running count at once; "2 of 3 attended" must never read as "0 %"). The action of a
# campaign that missed its target did not take place: its pledges count only if an
# organiser recorded attendance all the same.
COUNTED = "((s.ends_at < c.now_at AND NOT c.failed) OR pl.attendance <> 'pending')"
# The team filter of a team's scope; it is repeated in each read of the pledges in scope.
TEAM_FILTER = "p.team_id = %s"


def people_and_snowball(campaigns: QuerySet[Campaign], team: Team | None = None) -> dict:
    """One query over the confirmed pledges in scope (to ``campaigns``; for a ``team``,
    its members' only): people, hours, attendance of past actions, and the referral forest
    of who brought whom in scope (module docstring), with the people brought who pledged
    and those of them who attended (``brought_pledged``, ``brought_attended``).

    Raw SQL because the figures need per-person steps (first campaign, largest party per
    campaign) and a recursive walk of the referral links, which the ORM cannot express.
    Roots are generation 0, so ``generations`` counts referral hops and a lone
    participant makes a tree of size 1.

    Written for a million pledges: the pledges are read in two passes (one per person,
    one for the sums), only the pledges with companions are grouped per party, "returning"
    only looks at campaigns outside the scope (a person's first campaign in scope is the
    earliest of theirs inside it), and the recursive walk starts from the referral links
    inside the scope instead of from every person.
    """
    campaigns_sql, campaigns_params = subquery_sql(campaigns.values("pk"))
    team_sql, team_params = ((f"JOIN {Participant._meta.db_table} p ON p.id = pl.participant_id"
                              f" AND {TEAM_FILTER}"), (team.pk,)) \
        if team else ("", ())
    pledge, slot = Pledge._meta.db_table, Slot._meta.db_table
    campaign = Campaign._meta.db_table
    in_scope = f"""{pledge} pl
        JOIN {slot} s ON s.id = pl.slot_id
        JOIN scope_campaigns c ON c.id = s.campaign_id
        {team_sql}"""
    # Only table names and the ORM's own subquery SQL are interpolated; every value is a
    # parameter.
    sql = f"""
    WITH RECURSIVE scope_campaigns AS MATERIALIZED (
        SELECT id, starts_at, %s::timestamptz AS now_at, status = 'failed' AS failed
        FROM {campaign} WHERE id IN ({campaigns_sql})
    ),
    people AS MATERIALIZED (
        SELECT pl.participant_id, MIN(c.starts_at) AS first_in_scope
        FROM {in_scope}
        WHERE pl.status = 'confirmed'
        GROUP BY pl.participant_id
    ),
    {referral_links_sql(in_scope)},
    tree AS (
        SELECT roots.parent AS id, roots.parent AS root, 0 AS depth
        FROM (SELECT DISTINCT parent FROM links) AS roots
        -- NOT EXISTS, not NOT IN: an anti-join instead of a scan of the links per root.
        WHERE NOT EXISTS (SELECT 1 FROM links l WHERE l.id = roots.parent)
        UNION ALL
        SELECT links.id, tree.root, tree.depth + 1
        FROM links JOIN tree ON links.parent = tree.id
    ),
    sums AS (
        SELECT COALESCE(SUM(EXTRACT(EPOCH FROM (s.ends_at - s.starts_at)) / 3600
                            * (1 + pl.companions)), 0) AS pledged_hours,
               COALESCE(SUM(pl.hours_given) FILTER (WHERE pl.attendance = 'attended'), 0)
                   AS attended_hours,
               COUNT(*) FILTER (WHERE {COUNTED}) AS past_confirmed,
               COUNT(*) FILTER (WHERE {COUNTED} AND pl.attendance = 'attended')
                   AS past_attended,
               COUNT(*) FILTER (WHERE {COUNTED} AND pl.attendance = 'no_show') AS past_no_show
        FROM {in_scope}
        WHERE pl.status = 'confirmed'
    )
    SELECT
        (SELECT COUNT(*) FROM people),
        (SELECT COUNT(*) FROM people WHERE EXISTS (
            SELECT 1 FROM {pledge} e
            JOIN {slot} es ON es.id = e.slot_id
            JOIN {campaign} ec ON ec.id = es.campaign_id
            WHERE e.participant_id = people.participant_id AND e.status = 'confirmed'
              AND ec.starts_at < people.first_in_scope
              AND ec.starts_at < (SELECT MAX(starts_at) FROM scope_campaigns)
              AND ec.id NOT IN (SELECT id FROM scope_campaigns))),
        -- A party is one person's pledges to one campaign; its size is the largest.
        (SELECT COALESCE(SUM(party), 0) FROM (
            SELECT MAX(pl.companions) AS party FROM {in_scope}
            WHERE pl.status = 'confirmed' AND pl.companions > 0
            GROUP BY pl.participant_id, c.id) AS parties),
        sums.pledged_hours, sums.attended_hours,
        sums.past_confirmed, sums.past_attended, sums.past_no_show,
        (SELECT COALESCE(MAX(depth), 0) FROM tree),
        -- Someone mobilised makes a tree of one at least.
        GREATEST((SELECT MAX(size) FROM (SELECT COUNT(*) AS size FROM tree
                                         GROUP BY root) AS trees),
                 LEAST((SELECT COUNT(*) FROM people), 1)),
        (SELECT COUNT(*) FROM links),
        (SELECT COUNT(*) FROM links WHERE EXISTS (
            SELECT 1 FROM {in_scope}
            WHERE pl.participant_id = links.id AND pl.status = 'confirmed'
              AND pl.attendance = 'attended'))
    FROM sums
    """  # noqa: S608
    with analytic_cursor(WORK_MEM) as cursor:
        # Every read of the pledges in scope carries the team's filter.
        cursor.execute(sql, (timezone.now(), *campaigns_params,
                             *(team_params * sql.count(TEAM_FILTER))))
        row = cursor.fetchone()
    return dict(zip(PEOPLE_KEYS, row, strict=True))


def people_and_snowball_by_campaign(ids: list[int]) -> dict[int, dict]:
    """``people_and_snowball`` of each campaign in ``ids``, in one query. A person is
    returning to a campaign when their first confirmed pledge, over every campaign, was
    to one that started earlier; parties, the referral forest and the sums are those of
    each campaign on its own, and so are the people brought."""
    pledge, slot, campaign = Pledge._meta.db_table, Slot._meta.db_table, Campaign._meta.db_table
    in_scope = f"""{pledge} pl
        JOIN {slot} s ON s.id = pl.slot_id
        JOIN scope_campaigns c ON c.id = s.campaign_id"""
    sql = f"""
    WITH RECURSIVE scope_campaigns AS MATERIALIZED (
        SELECT id, starts_at, %s::timestamptz AS now_at, status = 'failed' AS failed
        FROM {campaign} WHERE id = ANY(%s)
    ),
    pairs AS MATERIALIZED (
        SELECT pl.participant_id, c.id AS campaign_id, MAX(pl.companions) AS party
        FROM {pledge} pl
        JOIN {slot} s ON s.id = pl.slot_id
        JOIN scope_campaigns c ON c.id = s.campaign_id
        WHERE pl.status = 'confirmed'
        GROUP BY pl.participant_id, c.id
    ),
    -- Each person's first campaign, among those that can come before one in scope.
    firsts AS (
        SELECT pl.participant_id, MIN(c.starts_at) AS first_start
        FROM {pledge} pl
        JOIN {slot} s ON s.id = pl.slot_id
        JOIN {campaign} c ON c.id = s.campaign_id
        WHERE pl.status = 'confirmed'
          AND c.starts_at < (SELECT MAX(starts_at) FROM scope_campaigns)
        GROUP BY pl.participant_id
    ),
    people AS (
        SELECT pairs.campaign_id, COUNT(*) AS mobilised,
               COUNT(*) FILTER (WHERE firsts.first_start < c.starts_at) AS returning,
               SUM(pairs.party) AS companions
        FROM pairs
        LEFT JOIN firsts ON firsts.participant_id = pairs.participant_id
        JOIN scope_campaigns c ON c.id = pairs.campaign_id
        GROUP BY pairs.campaign_id
    ),
    {referral_links_sql(in_scope, per_campaign=True)},
    brought AS (
        SELECT links.campaign_id, COUNT(*) AS pledged,
               COUNT(*) FILTER (WHERE EXISTS (
                   SELECT 1 FROM {pledge} pl JOIN {slot} s ON s.id = pl.slot_id
                   WHERE pl.participant_id = links.id AND s.campaign_id = links.campaign_id
                     AND pl.status = 'confirmed' AND pl.attendance = 'attended'))
                   AS attended
        FROM links GROUP BY links.campaign_id
    ),
    tree AS (
        SELECT roots.campaign_id, roots.parent AS id, roots.parent AS root, 0 AS depth
        FROM (SELECT DISTINCT campaign_id, parent FROM links) AS roots
        WHERE NOT EXISTS (SELECT 1 FROM links l WHERE l.campaign_id = roots.campaign_id
                                                  AND l.id = roots.parent)
        UNION ALL
        SELECT links.campaign_id, links.id, tree.root, tree.depth + 1
        FROM links JOIN tree ON links.parent = tree.id
                            AND links.campaign_id = tree.campaign_id
    ),
    forests AS (
        SELECT campaign_id, MAX(depth) AS generations, MAX(size) AS largest_tree
        FROM (SELECT campaign_id, root, MAX(depth) AS depth, COUNT(*) AS size
              FROM tree GROUP BY campaign_id, root) AS trees
        GROUP BY campaign_id
    ),
    sums AS (
        SELECT c.id AS campaign_id,
               SUM(EXTRACT(EPOCH FROM (s.ends_at - s.starts_at)) / 3600
                   * (1 + pl.companions)) AS pledged_hours,
               SUM(pl.hours_given) FILTER (WHERE pl.attendance = 'attended')
                   AS attended_hours,
               COUNT(*) FILTER (WHERE {COUNTED}) AS past_confirmed,
               COUNT(*) FILTER (WHERE {COUNTED} AND pl.attendance = 'attended')
                   AS past_attended,
               COUNT(*) FILTER (WHERE {COUNTED} AND pl.attendance = 'no_show') AS past_no_show
        FROM {pledge} pl
        JOIN {slot} s ON s.id = pl.slot_id
        JOIN scope_campaigns c ON c.id = s.campaign_id
        WHERE pl.status = 'confirmed'
        GROUP BY c.id
    )
    SELECT c.id, COALESCE(people.mobilised, 0), COALESCE(people.returning, 0),
           COALESCE(people.companions, 0), COALESCE(sums.pledged_hours, 0),
           COALESCE(sums.attended_hours, 0), COALESCE(sums.past_confirmed, 0),
           COALESCE(sums.past_attended, 0), COALESCE(sums.past_no_show, 0),
           COALESCE(forests.generations, 0),
           GREATEST(forests.largest_tree, LEAST(COALESCE(people.mobilised, 0), 1)),
           COALESCE(brought.pledged, 0), COALESCE(brought.attended, 0)
    FROM scope_campaigns c
    LEFT JOIN people ON people.campaign_id = c.id
    LEFT JOIN sums ON sums.campaign_id = c.id
    LEFT JOIN forests ON forests.campaign_id = c.id
    LEFT JOIN brought ON brought.campaign_id = c.id
    """  # noqa: S608 - only table names are interpolated
    with analytic_cursor(WORK_MEM_MANY) as cursor:
        cursor.execute(sql, (timezone.now(), list(ids)))
        rows = cursor.fetchall()
    return {row[0]: dict(zip(PEOPLE_KEYS, row[1:], strict=True)) for row in rows}
