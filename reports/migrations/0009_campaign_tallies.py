"""Figures maintained, not recomputed (issue 16): a tally per campaign and per person and
campaign, kept by triggers on the pledges, and a data version per campaign.

Statement-level triggers with transition tables: one statement's rows (a bulk import's
thousands or one pledge) are added up per campaign and per person and applied as one
``UPDATE … SET x = x + delta`` per tally row, so bulk paths are counted like the services'
writes and two transactions at once both count (the row lock orders them; rows are taken
in campaign-then-person order so that two statements never wait on each other in a
circle). An UPDATE is counted as its new rows minus its old ones, with rows unchanged in
every column the figures read cancelled out (``EXCEPT ALL``): a reminder stamped on a
pledge moves nothing. The same statements move the ``data_version`` of each campaign
whose rows changed (pledges, slots, invitations, impact records): being a row written in
the writing transaction, it becomes visible with the data at commit, so figures read in
one snapshot match their version exactly. These four tables no longer move the
organisation's version; the others (campaigns, participants, teams, programmes, skills,
the hour value) still do. Tables are named through the trigger's own schema: one body
serves every organisation."""

from django.db import migrations, models

PLEDGE_COLUMNS = ("id, slot_id, participant_id, invitation_id, companions, status, "
                  "attendance, hours_given, created_at, skill_id, hour_rate")
# The columns of the other campaign-scoped tables that the figures read (reports/0002-0005).
TOUCHED = {
    "engagement_slot": "id, campaign_id, starts_at, ends_at, skill_id",
    "engagement_invitation": ("id, campaign_id, inviter_id, channel, lever_code, "
                              "invitee_email, first_opened_at"),
    "engagement_impactrecord": "id, campaign_id, indicator_id, value",
}
# The old organisation-wide triggers these replace (for the way back).
OLD_COLUMNS = {
    "engagement_pledge": ("slot_id, participant_id, invitation_id, companions, status, "
                          "attendance, hours_given, created_at, skill_id, hour_rate"),
    "engagement_slot": "campaign_id, starts_at, ends_at, skill_id",
    "engagement_invitation": ("campaign_id, inviter_id, channel, lever_code, invitee_email, "
                              "first_opened_at"),
    "engagement_impactrecord": "campaign_id, indicator_id, value",
}


def _changed_rows(op: str, columns: str) -> str:
    """The rows a statement changed, signed: +1 new, -1 old."""
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


def _pledge_delta(op: str) -> str:
    # %1$I is the schema; doubled quotes inside format()'s string literal.
    sql = f"""
    WITH changed AS (
        SELECT r.sign, r.participant_id, s.campaign_id, r.status, r.attendance,
               r.companions, r.hours_given,
               EXTRACT(EPOCH FROM (s.ends_at - s.starts_at))::bigint AS slot_seconds
        FROM ({_changed_rows(op, PLEDGE_COLUMNS)}) AS r
        JOIN %1$I.engagement_slot s ON s.id = r.slot_id
    ),
    persons AS (
        SELECT participant_id, campaign_id,
               COALESCE(SUM(sign) FILTER (WHERE {CONFIRMED}), 0)::int AS confirmed,
               COALESCE(SUM(sign) FILTER (WHERE {ATTENDED}), 0)::int AS attended,
               COALESCE(SUM(sign * hours_given) FILTER (WHERE {ATTENDED}), 0) AS hours
        FROM changed GROUP BY participant_id, campaign_id
    ),
    person_rows AS (
        INSERT INTO %1$I.reports_persontally AS t
            (participant_id, campaign_id, pledges_confirmed, pledges_attended, hours_given)
        SELECT participant_id, campaign_id, confirmed, attended, hours FROM persons
        WHERE confirmed <> 0 OR attended <> 0 OR hours <> 0
        ORDER BY campaign_id, participant_id
        ON CONFLICT (participant_id, campaign_id) DO UPDATE SET
            pledges_confirmed = t.pledges_confirmed + EXCLUDED.pledges_confirmed,
            pledges_attended = t.pledges_attended + EXCLUDED.pledges_attended,
            hours_given = t.hours_given + EXCLUDED.hours_given
        RETURNING t.participant_id, t.campaign_id, t.pledges_confirmed AS now_confirmed
    ),
    people AS (
        -- A person counts in a campaign while they have a confirmed pledge to it.
        SELECT pr.campaign_id,
               COUNT(*) FILTER (WHERE pr.now_confirmed > 0
                                  AND pr.now_confirmed - p.confirmed <= 0)
               - COUNT(*) FILTER (WHERE pr.now_confirmed <= 0
                                    AND pr.now_confirmed - p.confirmed > 0) AS delta
        FROM person_rows pr JOIN persons p USING (participant_id, campaign_id)
        GROUP BY pr.campaign_id
    ),
    campaigns AS (
        SELECT campaign_id,
               COALESCE(SUM(sign) FILTER (WHERE {CONFIRMED}), 0) AS confirmed,
               COALESCE(SUM(sign) FILTER (WHERE status = ''waitlisted''), 0) AS waitlisted,
               COALESCE(SUM(sign) FILTER (WHERE status = ''awaiting''), 0) AS awaiting,
               COALESCE(SUM(sign) FILTER (WHERE status = ''offered''), 0) AS offered,
               COALESCE(SUM(sign) FILTER (WHERE status = ''cancelled''), 0) AS cancelled,
               COALESCE(SUM(sign * (1 + companions)) FILTER (WHERE {CONFIRMED}), 0) AS seats,
               COALESCE(SUM(sign) FILTER (WHERE {ATTENDED}), 0) AS attended,
               COALESCE(SUM(sign) FILTER (WHERE {NO_SHOW}), 0) AS no_show,
               COALESCE(SUM(sign * slot_seconds * (1 + companions))
                        FILTER (WHERE {CONFIRMED}), 0) AS pledged_seconds,
               COALESCE(SUM(sign * hours_given) FILTER (WHERE {ATTENDED}), 0) AS hours
        FROM changed GROUP BY campaign_id
    )
    INSERT INTO %1$I.reports_campaigntally AS t
        (campaign_id, pledges_confirmed, pledges_waitlisted, pledges_awaiting,
         pledges_offered, pledges_cancelled, seats_confirmed, people, attended, no_show,
         pledged_seconds, attended_hours, data_version)
    SELECT c.campaign_id, c.confirmed, c.waitlisted, c.awaiting, c.offered, c.cancelled,
           c.seats, COALESCE(people.delta, 0), c.attended, c.no_show, c.pledged_seconds,
           c.hours, 1
    FROM campaigns c LEFT JOIN people USING (campaign_id)
    ORDER BY c.campaign_id
    ON CONFLICT (campaign_id) DO UPDATE SET
        pledges_confirmed = t.pledges_confirmed + EXCLUDED.pledges_confirmed,
        pledges_waitlisted = t.pledges_waitlisted + EXCLUDED.pledges_waitlisted,
        pledges_awaiting = t.pledges_awaiting + EXCLUDED.pledges_awaiting,
        pledges_offered = t.pledges_offered + EXCLUDED.pledges_offered,
        pledges_cancelled = t.pledges_cancelled + EXCLUDED.pledges_cancelled,
        seats_confirmed = t.seats_confirmed + EXCLUDED.seats_confirmed,
        people = t.people + EXCLUDED.people,
        attended = t.attended + EXCLUDED.attended,
        no_show = t.no_show + EXCLUDED.no_show,
        pledged_seconds = t.pledged_seconds + EXCLUDED.pledged_seconds,
        attended_hours = t.attended_hours + EXCLUDED.attended_hours,
        data_version = t.data_version + 1
    """
    return sql.replace("'confirmed'", "''confirmed''").replace(
        "'attended'", "''attended''").replace("'no_show'", "''no_show''")


def _pledge_function(op: str) -> str:
    return f"""
CREATE FUNCTION reports_tally_pledges_{op.lower()}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('{_pledge_delta(op)}', TG_TABLE_SCHEMA);
    RETURN NULL;
END $$;
CREATE TRIGGER engagement_pledge_tally_{op.lower()} AFTER {op} ON engagement_pledge
    REFERENCING {"NEW TABLE AS new_rows" if op == "INSERT" else
                 "OLD TABLE AS old_rows" if op == "DELETE" else
                 "OLD TABLE AS old_rows NEW TABLE AS new_rows"}
    FOR EACH STATEMENT EXECUTE FUNCTION reports_tally_pledges_{op.lower()}();
"""


def _touched_function(table: str, op: str) -> str:
    """A campaign-scoped table's rows move their campaigns' versions; a slot's times or
    campaign also change its pledges' hours, so its campaigns are counted again."""
    columns = TOUCHED[table]
    recount = ("EXECUTE format('SELECT %I.reports_tally_recount($1, $2)', TG_TABLE_SCHEMA) "
               "USING TG_TABLE_SCHEMA, touched;"
               if table == "engagement_slot" and op != "INSERT" else "")
    name = f"{table}_tally_{op.lower()}"
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE touched bigint[];
BEGIN
    SELECT array_agg(DISTINCT campaign_id ORDER BY campaign_id) INTO touched
    FROM ({_changed_rows(op, columns)}) AS r;
    IF touched IS NOT NULL THEN
        {recount}
        EXECUTE format('SELECT %I.reports_tally_touch($1, $2)', TG_TABLE_SCHEMA)
            USING TG_TABLE_SCHEMA, touched;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER {name} AFTER {op} ON {table}
    REFERENCING {"NEW TABLE AS new_rows" if op == "INSERT" else
                 "OLD TABLE AS old_rows" if op == "DELETE" else
                 "OLD TABLE AS old_rows NEW TABLE AS new_rows"}
    FOR EACH STATEMENT EXECUTE FUNCTION {name}();
"""


OPS = ("INSERT", "UPDATE", "DELETE")

# Counting a campaign's tallies again from its pledges: after a slot's times or campaign
# changed, and to fill the tallies of existing data. The campaigns' rows are locked first
# (in id order) so that a concurrent pledge waits rather than adding to a row being
# rewritten.
RECOUNT = """
CREATE FUNCTION reports_tally_touch(schema_name text, ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('INSERT INTO %1$I.reports_campaigntally AS t (campaign_id, data_version)
                    SELECT id, 1 FROM unnest($1) AS id ORDER BY id
                    ON CONFLICT (campaign_id) DO UPDATE SET data_version = t.data_version + 1',
                   schema_name) USING ids;
END $$;

CREATE FUNCTION reports_tally_recount(schema_name text, ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('INSERT INTO %1$I.reports_campaigntally (campaign_id)
                    SELECT id FROM unnest($1) AS id ORDER BY id ON CONFLICT DO NOTHING',
                   schema_name) USING ids;
    EXECUTE format('SELECT 1 FROM %1$I.reports_campaigntally WHERE campaign_id = ANY($1)
                    ORDER BY campaign_id FOR UPDATE', schema_name) USING ids;
    EXECUTE format('DELETE FROM %1$I.reports_persontally WHERE campaign_id = ANY($1)',
                   schema_name) USING ids;
    EXECUTE format('
        INSERT INTO %1$I.reports_persontally
            (participant_id, campaign_id, pledges_confirmed, pledges_attended, hours_given)
        SELECT pl.participant_id, s.campaign_id,
               COUNT(*) FILTER (WHERE pl.status = ''confirmed''),
               COUNT(*) FILTER (WHERE pl.status = ''confirmed''
                                  AND pl.attendance = ''attended''),
               COALESCE(SUM(pl.hours_given) FILTER (WHERE pl.status = ''confirmed''
                                                      AND pl.attendance = ''attended''), 0)
        FROM %1$I.engagement_pledge pl JOIN %1$I.engagement_slot s ON s.id = pl.slot_id
        WHERE s.campaign_id = ANY($1)
        GROUP BY pl.participant_id, s.campaign_id
        HAVING COUNT(*) FILTER (WHERE pl.status = ''confirmed'') > 0', schema_name)
        USING ids;
    EXECUTE format('
        UPDATE %1$I.reports_campaigntally t SET
            pledges_confirmed = COALESCE(n.confirmed, 0),
            pledges_waitlisted = COALESCE(n.waitlisted, 0),
            pledges_awaiting = COALESCE(n.awaiting, 0),
            pledges_offered = COALESCE(n.offered, 0),
            pledges_cancelled = COALESCE(n.cancelled, 0),
            seats_confirmed = COALESCE(n.seats, 0),
            people = COALESCE(n.people, 0),
            attended = COALESCE(n.attended, 0),
            no_show = COALESCE(n.no_show, 0),
            pledged_seconds = COALESCE(n.pledged_seconds, 0),
            attended_hours = COALESCE(n.hours, 0),
            data_version = t.data_version + 1
        FROM unnest($1) AS ids(id) LEFT JOIN (
            SELECT s.campaign_id,
                   COUNT(*) FILTER (WHERE pl.status = ''confirmed'') AS confirmed,
                   COUNT(*) FILTER (WHERE pl.status = ''waitlisted'') AS waitlisted,
                   COUNT(*) FILTER (WHERE pl.status = ''awaiting'') AS awaiting,
                   COUNT(*) FILTER (WHERE pl.status = ''offered'') AS offered,
                   COUNT(*) FILTER (WHERE pl.status = ''cancelled'') AS cancelled,
                   SUM(1 + pl.companions) FILTER (WHERE pl.status = ''confirmed'') AS seats,
                   COUNT(DISTINCT pl.participant_id)
                       FILTER (WHERE pl.status = ''confirmed'') AS people,
                   COUNT(*) FILTER (WHERE pl.status = ''confirmed''
                                      AND pl.attendance = ''attended'') AS attended,
                   COUNT(*) FILTER (WHERE pl.status = ''confirmed''
                                      AND pl.attendance = ''no_show'') AS no_show,
                   SUM(EXTRACT(EPOCH FROM (s.ends_at - s.starts_at))::bigint
                       * (1 + pl.companions)) FILTER (WHERE pl.status = ''confirmed'')
                       AS pledged_seconds,
                   SUM(pl.hours_given) FILTER (WHERE pl.status = ''confirmed''
                                                 AND pl.attendance = ''attended'') AS hours
            FROM %1$I.engagement_pledge pl JOIN %1$I.engagement_slot s ON s.id = pl.slot_id
            WHERE s.campaign_id = ANY($1) GROUP BY s.campaign_id
        ) AS n ON n.campaign_id = ids.id
        WHERE t.campaign_id = ids.id', schema_name) USING ids;
END $$;

-- A campaign has its tally from its creation; its deletion (after its pledges and slots)
-- drops its rows.
CREATE FUNCTION reports_tally_campaign_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('DELETE FROM %1$I.reports_campaigntally WHERE campaign_id = $1',
                   TG_TABLE_SCHEMA) USING OLD.id;
    EXECUTE format('DELETE FROM %1$I.reports_persontally WHERE campaign_id = $1',
                   TG_TABLE_SCHEMA) USING OLD.id;
    RETURN NULL;
END $$;
CREATE TRIGGER engagement_campaign_tally_gone AFTER DELETE ON engagement_campaign
    FOR EACH ROW EXECUTE FUNCTION reports_tally_campaign_gone();
CREATE FUNCTION reports_tally_campaign_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('SELECT %I.reports_tally_touch($1, $2)', TG_TABLE_SCHEMA)
        USING TG_TABLE_SCHEMA, ARRAY[NEW.id]::bigint[];
    RETURN NULL;
END $$;
CREATE TRIGGER engagement_campaign_tally_new AFTER INSERT ON engagement_campaign
    FOR EACH ROW EXECUTE FUNCTION reports_tally_campaign_new();
"""

FORWARDS = (
    RECOUNT
    + "".join(_pledge_function(op) for op in OPS)
    + "".join(_touched_function(table, op) for table in TOUCHED for op in OPS)
    + "".join(f"DROP TRIGGER IF EXISTS {table}_figures ON {table};\n" for table in OLD_COLUMNS)
    # Existing data counted once.
    + "SELECT reports_tally_recount(current_schema(), "
      "COALESCE((SELECT array_agg(id ORDER BY id) FROM engagement_campaign), '{}'));\n"
)

BACKWARDS = (
    "".join(f"DROP TRIGGER IF EXISTS engagement_pledge_tally_{op.lower()} ON engagement_pledge;\n"
            f"DROP FUNCTION IF EXISTS reports_tally_pledges_{op.lower()}();\n" for op in OPS)
    + "".join(f"DROP TRIGGER IF EXISTS {table}_tally_{op.lower()} ON {table};\n"
              f"DROP FUNCTION IF EXISTS {table}_tally_{op.lower()}();\n"
              for table in TOUCHED for op in OPS)
    + "DROP TRIGGER IF EXISTS engagement_campaign_tally_gone ON engagement_campaign;\n"
      "DROP TRIGGER IF EXISTS engagement_campaign_tally_new ON engagement_campaign;\n"
      "DROP FUNCTION IF EXISTS reports_tally_campaign_gone();\n"
      "DROP FUNCTION IF EXISTS reports_tally_campaign_new();\n"
      "DROP FUNCTION IF EXISTS reports_tally_recount(text, bigint[]);\n"
      "DROP FUNCTION IF EXISTS reports_tally_touch(text, bigint[]);\n"
    + "".join(f"CREATE CONSTRAINT TRIGGER {table}_figures "
              f"AFTER INSERT OR DELETE OR UPDATE OF {columns} ON {table} "
              f"DEFERRABLE INITIALLY DEFERRED "
              f"FOR EACH ROW EXECUTE FUNCTION reports_figures_changed();\n"
              for table, columns in OLD_COLUMNS.items())
)


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0008_pledge_hour_rate_moves_figures'),
        ('engagement', '0024_invitation_batch_wording'),
    ]

    operations = [
        migrations.CreateModel(
            name='CampaignTally',
            fields=[
                ('campaign_id', models.BigIntegerField(primary_key=True, serialize=False)),
                ('pledges_confirmed', models.IntegerField(db_default=0)),
                ('pledges_waitlisted', models.IntegerField(db_default=0)),
                ('pledges_awaiting', models.IntegerField(db_default=0)),
                ('pledges_offered', models.IntegerField(db_default=0)),
                ('pledges_cancelled', models.IntegerField(db_default=0)),
                ('seats_confirmed', models.IntegerField(db_default=0)),
                ('people', models.IntegerField(db_default=0)),
                ('attended', models.IntegerField(db_default=0)),
                ('no_show', models.IntegerField(db_default=0)),
                ('pledged_seconds', models.BigIntegerField(db_default=0)),
                ('attended_hours', models.DecimalField(decimal_places=2, db_default=0, max_digits=16)),
                ('data_version', models.BigIntegerField(db_default=0)),
            ],
        ),
        migrations.AddField(
            model_name='figuressnapshot',
            name='campaigns_version',
            field=models.BigIntegerField(db_default=0),
        ),
        migrations.CreateModel(
            name='PersonTally',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('participant_id', models.BigIntegerField()),
                ('campaign_id', models.BigIntegerField()),
                ('pledges_confirmed', models.IntegerField(db_default=0)),
                ('pledges_attended', models.IntegerField(db_default=0)),
                ('hours_given', models.DecimalField(decimal_places=2, db_default=0, max_digits=12)),
            ],
            options={
                'indexes': [models.Index(condition=models.Q(('pledges_confirmed__gt', 0)), fields=['campaign_id', 'participant_id'], name='person_tally_confirmed')],
                'constraints': [models.UniqueConstraint(fields=('participant_id', 'campaign_id'), name='one_person_tally_per_campaign')],
            },
        ),
        migrations.RunSQL(FORWARDS, BACKWARDS),
    ]
