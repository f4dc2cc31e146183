"""Every figure of the programme and campaign pages maintained (issue 16), and the tallies'
triggers rewritten:

- **What they keep.** Besides 0009's counters: each slot's pledges by kind
  (``reports_slottally``: status, attendance, companions, and for hours given their
  hours, skill and rate), from which attendance at the time of reading and the value of
  time are computed exactly; each person's party and entry in the campaign's referral
  forest (``reports_persontally``: first confirmed pledge, its inviter), each campaign's
  companions; each programme person's first start, attendance and entry in the
  programme's forest (``reports_programmepersontally``).
- **Lock order.** Every path takes its row locks in one order: the campaigns' tallies (by
  id), then the persons' rows of those campaigns (by campaign, person), then the programme
  persons' rows (by programme, person), then the programmes' tallies (by id). 0009's
  pledge trigger took person rows before the campaign row while the recount took the
  campaign row first: a pledge and a recount at once could deadlock.
- **Exact under concurrency.** Counters move by deltas (``x = x + delta``); a person's or a
  programme person's row is locked first (created empty if missing, so that a concurrent
  first pledge waits for the other's commit) and then computed again from the rows it
  sums, in a statement started after the lock, so it sees every committed write.
- **Plans cached.** 0009 and 0010 built every statement per call (``EXECUTE format(...)``
  naming the trigger's schema), which PostgreSQL planned each time (~1.5 ms a pledge).
  The bodies are now static SQL naming tables unqualified: PL/pgSQL caches their plans.
  Functions live in each organisation's schema and fire on its own tables; the session's
  ``search_path`` starts with that schema whenever Django writes to it, and a function
  called under another path sets it to its table's schema for the call (plans are
  re-made for a new path, never wrong). Nothing names the schema, so the template clone
  (``tenants.schema_clone``) copies them as they are.
"""

from django.db import migrations

PLEDGE_COLUMNS = ("id, slot_id, participant_id, invitation_id, companions, status, "
                  "attendance, hours_given, created_at, skill_id, hour_rate")
PERSON_COLUMNS = ("participant_id, campaign_id, pledges_confirmed, pledges_attended, "
                  "party, first_at, first_pledge_id, inviter_id")
TOUCHED = {
    "engagement_slot": "id, campaign_id, starts_at, ends_at, skill_id",
    "engagement_invitation": ("id, campaign_id, inviter_id, channel, lever_code, "
                              "invitee_email, first_opened_at"),
    "engagement_impactrecord": "id, campaign_id, indicator_id, value",
}
OPS = ("INSERT", "UPDATE", "DELETE")
REFERENCING = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows",
               "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}

# Run first in every trigger function: under a search_path that does not start with the
# table's schema (a session set for another schema), use the table's for this call.
ENTER = """
    IF current_schema() IS DISTINCT FROM TG_TABLE_SCHEMA THEN
        previous_path := current_setting('search_path');
        PERFORM set_config('search_path', format('%I, public', TG_TABLE_SCHEMA), true);
    END IF;"""
LEAVE = """
    IF previous_path IS NOT NULL THEN
        PERFORM set_config('search_path', previous_path, true);
    END IF;"""
# The same for the functions called with a schema's name.
ENTER_NAMED = ENTER.replace("TG_TABLE_SCHEMA", "schema_name")


def _changed_rows(op: str, columns: str) -> str:
    """The rows a statement changed, signed: +1 new, -1 old; an UPDATE's rows unchanged in
    every column listed cancel out."""
    if op == "INSERT":
        return f"SELECT 1 AS sign, {columns} FROM new_rows"
    if op == "DELETE":
        return f"SELECT -1 AS sign, {columns} FROM old_rows"
    return (f"SELECT 1 AS sign, * FROM (SELECT {columns} FROM new_rows "
            f"EXCEPT ALL SELECT {columns} FROM old_rows) AS added "
            f"UNION ALL SELECT -1 AS sign, * FROM (SELECT {columns} FROM old_rows "
            f"EXCEPT ALL SELECT {columns} FROM new_rows) AS removed")


CONFIRMED = "status = 'confirmed'"
ATTENDED = "status = 'confirmed' AND attendance = 'attended'"
NO_SHOW = "status = 'confirmed' AND attendance = 'no_show'"

# A person's row in one campaign, computed from their confirmed pledges to it (``pairs``:
# participant_id, campaign_id), with their entry in its referral forest.
PERSON_FRESH = """
    fresh AS (
        SELECT p.participant_id, p.campaign_id, COUNT(pl.id) AS confirmed,
               COUNT(pl.id) FILTER (WHERE pl.attendance = 'attended') AS attended,
               COALESCE(SUM(pl.hours_given) FILTER (WHERE pl.attendance = 'attended'), 0)
                   AS hours,
               COALESCE(MAX(pl.companions), 0) AS party,
               (ARRAY_AGG(pl.id ORDER BY pl.created_at, pl.id))[1] AS first_pledge_id
        FROM pairs p
        LEFT JOIN (engagement_pledge pl JOIN engagement_slot ps ON ps.id = pl.slot_id)
               ON pl.participant_id = p.participant_id AND ps.campaign_id = p.campaign_id
              AND pl.status = 'confirmed'
        GROUP BY p.participant_id, p.campaign_id
    ),
    entries AS (
        SELECT f.*, first.created_at AS first_at, inv.inviter_id
        FROM fresh f
        LEFT JOIN engagement_pledge first ON first.id = f.first_pledge_id
        LEFT JOIN engagement_invitation inv ON inv.id = first.invitation_id
    )"""

# A slot's pledges by kind; the hours, skill and rate only where hours are given.
SLOT_KINDS = f"""
    SELECT slot_id, status,
           CASE WHEN {CONFIRMED} THEN attendance ELSE 'pending' END AS attendance,
           CASE WHEN {CONFIRMED} THEN companions ELSE 0 END AS companions,
           CASE WHEN {ATTENDED} THEN skill_id END AS skill_id,
           CASE WHEN {ATTENDED} THEN hour_rate END AS hour_rate,
           CASE WHEN {ATTENDED} THEN hours_given ELSE 0 END AS hours_given"""
SLOT_KEY = "slot_id, status, attendance, companions, skill_id, hour_rate, hours_given"


def _pledge_function(op: str) -> str:
    changed = f"""(SELECT r.*, s.campaign_id,
                     EXTRACT(EPOCH FROM (s.ends_at - s.starts_at))::bigint AS slot_seconds
              FROM ({_changed_rows(op, PLEDGE_COLUMNS)}) AS r
              JOIN engagement_slot s ON s.id = r.slot_id)"""
    name = f"reports_tally_pledges_{op.lower()}"
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE previous_path text;
BEGIN{ENTER}
    -- 1. The campaigns' tallies, locked in id order (and their version moved).
    INSERT INTO reports_campaigntally AS t (campaign_id, data_version)
    SELECT DISTINCT campaign_id, 1 FROM {changed} AS c ORDER BY campaign_id
    ON CONFLICT (campaign_id) DO UPDATE SET data_version = t.data_version + 1;
    -- 2. Their people's rows, made if missing, then locked in (campaign, person) order.
    INSERT INTO reports_persontally (participant_id, campaign_id)
    SELECT DISTINCT participant_id, campaign_id FROM {changed} AS c WHERE {CONFIRMED}
    ORDER BY campaign_id, participant_id
    ON CONFLICT (participant_id, campaign_id) DO NOTHING;
    PERFORM 1 FROM reports_persontally t
    WHERE (t.participant_id, t.campaign_id) IN (
        SELECT participant_id, campaign_id FROM {changed} AS c WHERE {CONFIRMED})
    ORDER BY t.campaign_id, t.participant_id FOR UPDATE;
    -- 3. The people's rows computed again (this statement sees every commit before the
    -- locks), the campaigns' counters moved by the statement's difference.
    WITH changed AS MATERIALIZED {changed},
    pairs AS (SELECT DISTINCT participant_id, campaign_id FROM changed WHERE {CONFIRMED}),
    old AS (
        SELECT t.participant_id, t.campaign_id, t.pledges_confirmed, t.party
        FROM reports_persontally t JOIN pairs USING (participant_id, campaign_id)
    ),
    {PERSON_FRESH},
    written AS (
        UPDATE reports_persontally t SET
            pledges_confirmed = e.confirmed, pledges_attended = e.attended,
            hours_given = e.hours, party = e.party, first_at = e.first_at,
            first_pledge_id = e.first_pledge_id, inviter_id = e.inviter_id
        FROM entries e
        WHERE t.participant_id = e.participant_id AND t.campaign_id = e.campaign_id
          AND (t.pledges_confirmed, t.pledges_attended, t.hours_given, t.party, t.first_at,
               t.first_pledge_id, t.inviter_id)
              IS DISTINCT FROM (e.confirmed, e.attended, e.hours, e.party, e.first_at,
                                e.first_pledge_id, e.inviter_id)
    ),
    people AS (
        -- A person counts in a campaign while they have a confirmed pledge to it, with
        -- their largest party.
        SELECT e.campaign_id,
               COUNT(*) FILTER (WHERE e.confirmed > 0 AND o.pledges_confirmed <= 0)
               - COUNT(*) FILTER (WHERE e.confirmed <= 0 AND o.pledges_confirmed > 0)
                   AS people,
               SUM(CASE WHEN e.confirmed > 0 THEN e.party ELSE 0 END)
               - SUM(CASE WHEN o.pledges_confirmed > 0 THEN o.party ELSE 0 END)
                   AS companions
        FROM entries e JOIN old o USING (participant_id, campaign_id)
        GROUP BY e.campaign_id
    ),
    campaigns AS (
        SELECT campaign_id,
               COALESCE(SUM(sign) FILTER (WHERE {CONFIRMED}), 0) AS confirmed,
               COALESCE(SUM(sign) FILTER (WHERE status = 'waitlisted'), 0) AS waitlisted,
               COALESCE(SUM(sign) FILTER (WHERE status = 'awaiting'), 0) AS awaiting,
               COALESCE(SUM(sign) FILTER (WHERE status = 'offered'), 0) AS offered,
               COALESCE(SUM(sign) FILTER (WHERE status = 'cancelled'), 0) AS cancelled,
               COALESCE(SUM(sign * (1 + companions)) FILTER (WHERE {CONFIRMED}), 0) AS seats,
               COALESCE(SUM(sign) FILTER (WHERE {ATTENDED}), 0) AS attended,
               COALESCE(SUM(sign) FILTER (WHERE {NO_SHOW}), 0) AS no_show,
               COALESCE(SUM(sign * slot_seconds * (1 + companions))
                        FILTER (WHERE {CONFIRMED}), 0) AS pledged_seconds,
               COALESCE(SUM(sign * hours_given) FILTER (WHERE {ATTENDED}), 0) AS hours
        FROM changed GROUP BY campaign_id
    )
    UPDATE reports_campaigntally t SET
        pledges_confirmed = t.pledges_confirmed + c.confirmed,
        pledges_waitlisted = t.pledges_waitlisted + c.waitlisted,
        pledges_awaiting = t.pledges_awaiting + c.awaiting,
        pledges_offered = t.pledges_offered + c.offered,
        pledges_cancelled = t.pledges_cancelled + c.cancelled,
        seats_confirmed = t.seats_confirmed + c.seats,
        people = t.people + COALESCE(pe.people, 0),
        companions = t.companions + COALESCE(pe.companions, 0),
        attended = t.attended + c.attended,
        no_show = t.no_show + c.no_show,
        pledged_seconds = t.pledged_seconds + c.pledged_seconds,
        attended_hours = t.attended_hours + c.hours
    FROM campaigns c LEFT JOIN people pe USING (campaign_id)
    WHERE t.campaign_id = c.campaign_id;
    -- 4. The slots' pledges by kind (their rows are covered by the campaigns' locks).
    INSERT INTO reports_slottally AS t ({SLOT_KEY}, pledges)
    SELECT {SLOT_KEY}, SUM(sign) FROM (
        {SLOT_KINDS}, sign FROM ({_changed_rows(op, PLEDGE_COLUMNS)}) AS r) AS k
    GROUP BY {SLOT_KEY} HAVING SUM(sign) <> 0
    ORDER BY {SLOT_KEY}
    ON CONFLICT ({SLOT_KEY}) DO UPDATE SET pledges = t.pledges + EXCLUDED.pledges;{LEAVE}
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS engagement_pledge_tally_{op.lower()} ON engagement_pledge;
CREATE TRIGGER engagement_pledge_tally_{op.lower()} AFTER {op} ON engagement_pledge
    REFERENCING {REFERENCING[op]}
    FOR EACH STATEMENT EXECUTE FUNCTION {name}();
"""


def _programme_function(op: str) -> str:
    """A programme person's row follows their rows in its campaigns (0010's trigger on the
    persons' rows, now computing the row again after locking it)."""
    changed = f"""(SELECT DISTINCT c.programme_id, r.participant_id
              FROM ({_changed_rows(op, PERSON_COLUMNS)}) AS r
              JOIN engagement_campaign c ON c.id = r.campaign_id
              WHERE r.pledges_confirmed > 0)"""
    name = f"reports_persontally_programmes_{op.lower()}"
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE previous_path text;
BEGIN{ENTER}
    INSERT INTO reports_programmepersontally (programme_id, participant_id)
    SELECT programme_id, participant_id FROM {changed} AS c
    ORDER BY programme_id, participant_id
    ON CONFLICT (programme_id, participant_id) DO NOTHING;
    PERFORM 1 FROM reports_programmepersontally t
    WHERE (t.programme_id, t.participant_id) IN (SELECT * FROM {changed} AS c)
    ORDER BY t.programme_id, t.participant_id FOR UPDATE;
    WITH pairs AS MATERIALIZED {changed},
    old AS (
        SELECT t.programme_id, t.participant_id, t.campaigns
        FROM reports_programmepersontally t JOIN pairs USING (programme_id, participant_id)
    ),
    {PROGRAMME_FRESH},
    written AS (
        UPDATE reports_programmepersontally t SET
            campaigns = e.campaigns, first_start = e.first_start, attended = e.attended,
            first_at = e.first_at, first_pledge_id = e.first_pledge_id,
            inviter_id = e.inviter_id
        FROM entries e
        WHERE t.programme_id = e.programme_id AND t.participant_id = e.participant_id
    ),
    people AS (
        SELECT e.programme_id,
               COUNT(*) FILTER (WHERE e.campaigns > 0 AND o.campaigns <= 0)
               - COUNT(*) FILTER (WHERE e.campaigns <= 0 AND o.campaigns > 0) AS delta
        FROM entries e JOIN old o USING (programme_id, participant_id)
        GROUP BY e.programme_id
    )
    INSERT INTO reports_programmetally AS t (programme_id, people)
    SELECT programme_id, delta FROM people WHERE delta <> 0 ORDER BY programme_id
    ON CONFLICT (programme_id) DO UPDATE SET people = t.people + EXCLUDED.people;{LEAVE}
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS {name} ON reports_persontally;
CREATE TRIGGER {name} AFTER {op} ON reports_persontally REFERENCING {REFERENCING[op]}
    FOR EACH STATEMENT EXECUTE FUNCTION {name}();
"""


# A programme person's row computed from their persons' rows in its campaigns (``pairs``:
# programme_id, participant_id): the programme's first confirmed pledge is the earliest of
# its campaigns' first ones.
PROGRAMME_FRESH = """
    fresh AS (
        SELECT p.programme_id, p.participant_id, COUNT(pt.campaign_id) AS campaigns,
               MIN(c.starts_at) AS first_start,
               COALESCE(BOOL_OR(pt.pledges_attended > 0), FALSE) AS attended,
               (ARRAY_AGG(pt.campaign_id ORDER BY pt.first_at, pt.first_pledge_id))[1]
                   AS first_campaign
        FROM pairs p
        LEFT JOIN (reports_persontally pt JOIN engagement_campaign c ON c.id = pt.campaign_id)
               ON pt.participant_id = p.participant_id AND c.programme_id = p.programme_id
              AND pt.pledges_confirmed > 0
        GROUP BY p.programme_id, p.participant_id
    ),
    entries AS (
        SELECT f.*, pt.first_at, pt.first_pledge_id, pt.inviter_id
        FROM fresh f
        LEFT JOIN reports_persontally pt ON pt.participant_id = f.participant_id
                                        AND pt.campaign_id = f.first_campaign
    )"""


def _touched_function(table: str, op: str) -> str:
    """A campaign-scoped table's rows move their campaigns' versions; a slot's times or
    campaign change its pledges' hours (its campaigns are counted again), a slot gone
    takes its kinds' rows, an invitation's inviter changes the forest of the campaigns
    its pledges went to."""
    columns = TOUCHED[table]
    extra = ""
    if table == "engagement_slot" and op != "INSERT":
        extra = "PERFORM reports_tally_recount(TG_TABLE_SCHEMA, touched);"
        if op == "DELETE":
            extra += ("\n        DELETE FROM reports_slottally "
                      "WHERE slot_id IN (SELECT id FROM old_rows);")
    if table == "engagement_invitation" and op == "UPDATE":
        # The invitations' campaigns and their pledges' ones locked together, in id order,
        # before either is counted again or moved.
        extra = """recounted := ARRAY(
            SELECT DISTINCT s.campaign_id FROM engagement_pledge pl
            JOIN engagement_slot s ON s.id = pl.slot_id
            WHERE pl.invitation_id IN (
                SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
                WHERE n.inviter_id IS DISTINCT FROM o.inviter_id)
            ORDER BY 1);
        PERFORM 1 FROM reports_campaigntally
        WHERE campaign_id = ANY(touched || recounted) ORDER BY campaign_id FOR UPDATE;
        PERFORM reports_tally_recount(TG_TABLE_SCHEMA, recounted);"""
    name = f"{table}_tally_{op.lower()}"
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE touched bigint[]; recounted bigint[]; previous_path text;
BEGIN{ENTER}
    SELECT array_agg(DISTINCT campaign_id ORDER BY campaign_id) INTO touched
    FROM ({_changed_rows(op, columns)}) AS r;
    IF touched IS NOT NULL THEN
        {extra}
        PERFORM reports_tally_touch(TG_TABLE_SCHEMA, touched);
    END IF;{LEAVE}
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS {name} ON {table};
CREATE TRIGGER {name} AFTER {op} ON {table} REFERENCING {REFERENCING[op]}
    FOR EACH STATEMENT EXECUTE FUNCTION {name}();
"""


# Counting campaigns' tallies again from their pledges (a slot's times or campaign
# changed, an inviter changed, existing data): the campaigns' rows first, in id order, as
# every path does, so that a concurrent pledge waits rather than adds to a row being
# rewritten.
RECOUNT = f"""
CREATE OR REPLACE FUNCTION reports_tally_touch(schema_name text, ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE previous_path text;
BEGIN{ENTER_NAMED}
    INSERT INTO reports_campaigntally AS t (campaign_id, data_version)
    SELECT id, 1 FROM unnest(ids) AS id ORDER BY id
    ON CONFLICT (campaign_id) DO UPDATE SET data_version = t.data_version + 1;{LEAVE}
END $$;

CREATE OR REPLACE FUNCTION reports_tally_recount(schema_name text, ids bigint[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE previous_path text;
BEGIN{ENTER_NAMED}
    INSERT INTO reports_campaigntally (campaign_id)
    SELECT id FROM unnest(ids) AS id ORDER BY id ON CONFLICT DO NOTHING;
    PERFORM 1 FROM reports_campaigntally WHERE campaign_id = ANY(ids)
    ORDER BY campaign_id FOR UPDATE;
    DELETE FROM reports_persontally WHERE campaign_id = ANY(ids);
    WITH pairs AS (
        SELECT DISTINCT pl.participant_id, s.campaign_id
        FROM engagement_pledge pl JOIN engagement_slot s ON s.id = pl.slot_id
        WHERE s.campaign_id = ANY(ids) AND pl.status = 'confirmed'
    ),
    {PERSON_FRESH}
    INSERT INTO reports_persontally
        (participant_id, campaign_id, pledges_confirmed, pledges_attended, hours_given,
         party, first_at, first_pledge_id, inviter_id)
    SELECT participant_id, campaign_id, confirmed, attended, hours, party, first_at,
           first_pledge_id, inviter_id
    FROM entries ORDER BY campaign_id, participant_id;
    DELETE FROM reports_slottally
    WHERE slot_id IN (SELECT id FROM engagement_slot WHERE campaign_id = ANY(ids));
    INSERT INTO reports_slottally ({SLOT_KEY}, pledges)
    SELECT {SLOT_KEY}, COUNT(*) FROM (
        {SLOT_KINDS} FROM engagement_pledge
        WHERE slot_id IN (SELECT id FROM engagement_slot WHERE campaign_id = ANY(ids))
    ) AS k GROUP BY {SLOT_KEY};
    UPDATE reports_campaigntally t SET
        pledges_confirmed = COALESCE(n.confirmed, 0),
        pledges_waitlisted = COALESCE(n.waitlisted, 0),
        pledges_awaiting = COALESCE(n.awaiting, 0),
        pledges_offered = COALESCE(n.offered, 0),
        pledges_cancelled = COALESCE(n.cancelled, 0),
        seats_confirmed = COALESCE(n.seats, 0),
        people = COALESCE(pe.people, 0),
        companions = COALESCE(pe.companions, 0),
        attended = COALESCE(n.attended, 0),
        no_show = COALESCE(n.no_show, 0),
        pledged_seconds = COALESCE(n.pledged_seconds, 0),
        attended_hours = COALESCE(n.hours, 0),
        data_version = t.data_version + 1
    FROM unnest(ids) AS ids(id)
    LEFT JOIN (
        SELECT s.campaign_id,
               COUNT(*) FILTER (WHERE pl.{CONFIRMED}) AS confirmed,
               COUNT(*) FILTER (WHERE pl.status = 'waitlisted') AS waitlisted,
               COUNT(*) FILTER (WHERE pl.status = 'awaiting') AS awaiting,
               COUNT(*) FILTER (WHERE pl.status = 'offered') AS offered,
               COUNT(*) FILTER (WHERE pl.status = 'cancelled') AS cancelled,
               SUM(1 + pl.companions) FILTER (WHERE pl.{CONFIRMED}) AS seats,
               COUNT(*) FILTER (WHERE pl.{ATTENDED.replace("attendance", "pl.attendance")})
                   AS attended,
               COUNT(*) FILTER (WHERE pl.{NO_SHOW.replace("attendance", "pl.attendance")})
                   AS no_show,
               SUM(EXTRACT(EPOCH FROM (s.ends_at - s.starts_at))::bigint
                   * (1 + pl.companions)) FILTER (WHERE pl.{CONFIRMED}) AS pledged_seconds,
               SUM(pl.hours_given)
                   FILTER (WHERE pl.{ATTENDED.replace("attendance", "pl.attendance")})
                   AS hours
        FROM engagement_pledge pl JOIN engagement_slot s ON s.id = pl.slot_id
        WHERE s.campaign_id = ANY(ids) GROUP BY s.campaign_id
    ) AS n ON n.campaign_id = ids.id
    LEFT JOIN (
        SELECT campaign_id, COUNT(*) AS people, SUM(party) AS companions
        FROM reports_persontally WHERE campaign_id = ANY(ids) AND pledges_confirmed > 0
        GROUP BY campaign_id
    ) AS pe ON pe.campaign_id = ids.id
    WHERE t.campaign_id = ids.id;{LEAVE}
END $$;

-- A programme's people counted again from its campaigns' person rows (a campaign moved
-- to another programme or its start changed). The programmes' campaigns' tallies are
-- locked first, as every path does, so that no pledge changes their person rows meanwhile.
CREATE OR REPLACE FUNCTION reports_programme_recount(schema_name text, ids bigint[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE previous_path text;
BEGIN{ENTER_NAMED}
    PERFORM 1 FROM reports_campaigntally
    WHERE campaign_id IN (SELECT id FROM engagement_campaign WHERE programme_id = ANY(ids))
    ORDER BY campaign_id FOR UPDATE;
    DELETE FROM reports_programmepersontally WHERE programme_id = ANY(ids);
    WITH pairs AS (
        SELECT DISTINCT c.programme_id, pt.participant_id
        FROM reports_persontally pt JOIN engagement_campaign c ON c.id = pt.campaign_id
        WHERE c.programme_id = ANY(ids) AND pt.pledges_confirmed > 0
    ),
    {PROGRAMME_FRESH}
    INSERT INTO reports_programmepersontally
        (programme_id, participant_id, campaigns, first_start, attended, first_at,
         first_pledge_id, inviter_id)
    SELECT programme_id, participant_id, campaigns, first_start, attended, first_at,
           first_pledge_id, inviter_id
    FROM entries ORDER BY programme_id, participant_id;
    INSERT INTO reports_programmetally AS t (programme_id, people)
    SELECT ids.id, (SELECT COUNT(*) FROM reports_programmepersontally pp
                    WHERE pp.programme_id = ids.id AND pp.campaigns > 0)
    FROM unnest(ids) AS ids(id) ORDER BY ids.id
    ON CONFLICT (programme_id) DO UPDATE SET people = EXCLUDED.people;{LEAVE}
END $$;

CREATE OR REPLACE FUNCTION reports_tally_campaign_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE previous_path text;
BEGIN{ENTER}
    PERFORM reports_programme_recount(
        TG_TABLE_SCHEMA, ARRAY(SELECT DISTINCT unnest(
            ARRAY[OLD.programme_id, NEW.programme_id]::bigint[]) ORDER BY 1));{LEAVE}
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS engagement_campaign_tally_moved ON engagement_campaign;
CREATE TRIGGER engagement_campaign_tally_moved AFTER UPDATE OF programme_id, starts_at
    ON engagement_campaign FOR EACH ROW
    WHEN (OLD.programme_id IS DISTINCT FROM NEW.programme_id
          OR OLD.starts_at IS DISTINCT FROM NEW.starts_at)
    EXECUTE FUNCTION reports_tally_campaign_moved();

CREATE OR REPLACE FUNCTION reports_tally_campaign_gone() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE previous_path text;
BEGIN{ENTER}
    DELETE FROM reports_campaigntally WHERE campaign_id = OLD.id;
    DELETE FROM reports_persontally WHERE campaign_id = OLD.id;{LEAVE}
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION reports_tally_campaign_new() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE previous_path text;
BEGIN{ENTER}
    PERFORM reports_tally_touch(TG_TABLE_SCHEMA, ARRAY[NEW.id]::bigint[]);{LEAVE}
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION reports_tally_programme_gone() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE previous_path text;
BEGIN{ENTER}
    DELETE FROM reports_programmetally WHERE programme_id = OLD.id;
    DELETE FROM reports_programmepersontally WHERE programme_id = OLD.id;{LEAVE}
    RETURN NULL;
END $$;
"""

FORWARDS = (
    RECOUNT
    + "".join(_pledge_function(op) for op in OPS)
    + "".join(_programme_function(op) for op in OPS)
    + "".join(_touched_function(table, op) for table in TOUCHED for op in OPS)
    # Existing data counted once (every campaign, then every programme).
    + "SELECT reports_tally_recount(current_schema(), "
      "COALESCE((SELECT array_agg(id ORDER BY id) FROM engagement_campaign), '{}'));\n"
      "SELECT reports_programme_recount(current_schema(), "
      "COALESCE((SELECT array_agg(id ORDER BY id) FROM engagement_programme), '{}'));\n"
)


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0011_tallied_figures'),
    ]

    # Backwards: 0011's reversal drops the columns; the functions of 0009 and 0010 come
    # back by applying them again (their own reversal drops these, same names).
    operations = [migrations.RunSQL(FORWARDS, migrations.RunSQL.noop)]
