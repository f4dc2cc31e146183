"""The invitation funnel maintained too (issue 16): ``CampaignTally`` keeps, for the
invitations *to* each campaign, the figures of ``reports.metrics``' ``invitations`` block
(sent, pledged, and the participants' part), so a programme's or a campaign's funnel is
read from one row per campaign instead of counted over every invitation and the pledges
made through them.

- **The rule** is ``engagement.selectors.INVITATION_SENT``: an invitation counts as sent
  when an organiser recorded it, it has an invitee's address, it was opened ("marked",
  a property of its own row), or a pledge was made through it. The last part depends on
  other rows, so each trigger counts an invitation's contribution before and after the
  statement and adds the difference.
- **Pledges** (the tally triggers of 0012, rewritten here): step 1 now also locks the
  tallies of the campaigns of the invitations the statement's pledges came through (with
  the slots' campaigns, one ``ORDER BY campaign_id``: the lock order is unchanged, only
  campaigns' rows first), and a last step moves their funnel: per invitation whose pledges
  the statement moved (added, removed, moved to or from it, cancelled or restored), "had a
  pledge" before and after is read from its pledges after the locks (a statement started
  after them sees every committed write) less the statement's own rows; the live pledges
  move by the statement's difference alone. Reading "has a pledge" is capped (``LIMIT``):
  an organiser's poster invitation with thousands of pledges costs a few index entries.
- **Invitations**: their triggers count each changed row's contribution with its pledges
  (old row -1, new row +1, after locking the campaigns' tallies) on the rows whose
  campaign, "marked" or inviter changed. The organiser is now among the columns that move
  a campaign's data version (it moves "sent").
- **Not kept**: invitations opened and pledges attended through invitations. The metrics
  do not show them; the campaign page and the levers page count them by lever and
  channel (``funnel_counts``), and keeping "opened" would lock the campaign's row at every
  opening of a link.
- **Repair**: ``reports_tally_funnel_recount(schema, ids)`` counts the funnel of campaigns
  again from their invitations and pledges (the backfill below; not part of
  ``reports_tally_recount``, which a slot change runs and which the funnel does not need).
- **Known limit**: an invitation moved to another campaign while a pledge is made through
  it at that very moment may have that pledge counted on the other campaign (the pledge's
  trigger locks the campaign it read before its lock). No path of the product moves an
  invitation between campaigns.
"""

import re
from importlib import import_module

from django.db import migrations, models

tallied = import_module("reports.migrations.0012_tallied_figures_triggers")
_changed_rows = tallied._changed_rows
ENTER, LEAVE, ENTER_NAMED = tallied.ENTER, tallied.LEAVE, tallied.ENTER_NAMED
OPS, REFERENCING = tallied.OPS, tallied.REFERENCING

# ``INVITATION_SENT`` without its pledges: what an invitation's own row says.
MARKED = ("(organiser_id IS NOT NULL OR invitee_email <> '' "
          "OR first_opened_at IS NOT NULL)")
INVITATION_FUNNEL_COLUMNS = (f"id, campaign_id, {MARKED} AS marked, "
                             "inviter_id IS NOT NULL AS by_participant")
PLEDGE_FUNNEL_COLUMNS = "id, invitation_id, status <> 'cancelled' AS live"
# 0012's columns of an invitation that move its campaign's data version, and the organiser.
INVITATION_COLUMNS = ("id, campaign_id, inviter_id, organiser_id, channel, lever_code, "
                      "invitee_email, first_opened_at")

# The funnel's four counters moved by ``f`` (campaign_id, sent, sent_bp, pledged,
# pledged_bp).
APPLY = """
    UPDATE reports_campaigntally t SET
        invitations_sent = t.invitations_sent + f.sent,
        invitations_sent_by_participants = t.invitations_sent_by_participants + f.sent_bp,
        invitations_pledged = t.invitations_pledged + f.pledged,
        invitations_pledged_by_participants =
            t.invitations_pledged_by_participants + f.pledged_bp
    FROM funnel f
    WHERE t.campaign_id = f.campaign_id
      AND (f.sent, f.sent_bp, f.pledged, f.pledged_bp) <> (0, 0, 0, 0);"""


def _pledge_step_one(op: str) -> str:
    return f"""-- 1. The campaigns' tallies, locked in id order (and their version moved): the
    -- pledges' slots' campaigns and those of the invitations they came through (5.).
    INSERT INTO reports_campaigntally AS t (campaign_id, data_version)
    SELECT campaign_id, 1 FROM (
        SELECT s.campaign_id FROM ({_changed_rows(op, tallied.PLEDGE_COLUMNS)}) AS r
        JOIN engagement_slot s ON s.id = r.slot_id
        UNION
        SELECT i.campaign_id FROM engagement_invitation i
        WHERE i.id IN (SELECT f.invitation_id
                       FROM ({_changed_rows(op, PLEDGE_FUNNEL_COLUMNS)}) AS f)
    ) AS locked ORDER BY campaign_id
    ON CONFLICT (campaign_id) DO UPDATE SET data_version = t.data_version + 1;"""


def _pledge_step_five(op: str) -> str:
    return f"""
    -- 5. The funnel of the invitations the statement's pledges came through or left
    -- (their campaigns' tallies locked in 1.): "has a pledge" before and after, read
    -- after the locks less the statement's own rows (counted up to the statement's
    -- difference + 1, enough to tell zero), and the live pledges' difference.
    WITH moved AS (
        SELECT invitation_id, SUM(sign) AS pledges,
               COALESCE(SUM(sign) FILTER (WHERE live), 0) AS live
        FROM ({_changed_rows(op, PLEDGE_FUNNEL_COLUMNS)}) AS f
        WHERE invitation_id IS NOT NULL GROUP BY invitation_id
    ),
    counted AS (
        SELECT i.campaign_id, i.inviter_id IS NOT NULL AS by_participant, m.live,
               {MARKED.replace("organiser_id", "i.organiser_id")
                      .replace("invitee_email", "i.invitee_email")
                      .replace("first_opened_at", "i.first_opened_at")} AS marked,
               n.pledges > 0 AS sent_after, n.pledges - m.pledges > 0 AS sent_before
        FROM moved m JOIN engagement_invitation i ON i.id = m.invitation_id
        CROSS JOIN LATERAL (
            SELECT COUNT(*) AS pledges FROM (
                SELECT 1 FROM engagement_pledge pl WHERE pl.invitation_id = m.invitation_id
                LIMIT ABS(m.pledges) + 1) AS capped
        ) AS n
    ),
    funnel AS (
        SELECT campaign_id,
               SUM((marked OR sent_after)::int - (marked OR sent_before)::int) AS sent,
               SUM(CASE WHEN by_participant THEN (marked OR sent_after)::int
                                                 - (marked OR sent_before)::int
                        ELSE 0 END) AS sent_bp,
               SUM(live) AS pledged,
               SUM(CASE WHEN by_participant THEN live ELSE 0 END) AS pledged_bp
        FROM counted GROUP BY campaign_id
    ){APPLY}"""


def _pledge_function(op: str) -> str:
    """0012's pledge trigger with its step 1 widened and the funnel's step added."""
    body, found = re.subn(r"-- 1\. The campaigns' tallies.*?data_version \+ 1;",
                          lambda _m: _pledge_step_one(op), tallied._pledge_function(op),
                          count=1, flags=re.DOTALL)
    assert found == 1
    end = f"{LEAVE}\n    RETURN NULL;"
    assert body.count(end) == 1
    return body.replace(end, _pledge_step_five(op) + end)


def _invitation_function(op: str) -> str:
    """0012's invitation trigger (data versions, the forest recounted after an inviter
    changed), with the organiser among its columns and the funnel moved."""
    inviter_recount = ""
    if op == "UPDATE":
        inviter_recount = """recounted := ARRAY(
            SELECT DISTINCT s.campaign_id FROM engagement_pledge pl
            JOIN engagement_slot s ON s.id = pl.slot_id
            WHERE pl.invitation_id IN (
                SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
                WHERE n.inviter_id IS DISTINCT FROM o.inviter_id)
            ORDER BY 1);
        PERFORM 1 FROM reports_campaigntally
        WHERE campaign_id = ANY(touched || recounted) ORDER BY campaign_id FOR UPDATE;
        PERFORM reports_tally_recount(TG_TABLE_SCHEMA, recounted);"""
    name = f"engagement_invitation_tally_{op.lower()}"
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE touched bigint[]; recounted bigint[]; previous_path text;
BEGIN{ENTER}
    SELECT array_agg(DISTINCT campaign_id ORDER BY campaign_id) INTO touched
    FROM ({_changed_rows(op, INVITATION_COLUMNS)}) AS r;
    IF touched IS NOT NULL THEN
        {inviter_recount}
        PERFORM reports_tally_touch(TG_TABLE_SCHEMA, touched);
        -- The funnel: each changed row's contribution with its pledges (read after the
        -- campaigns' locks just taken), old rows taken away, new rows added.
        WITH counted AS (
            SELECT c.sign, c.campaign_id, c.by_participant,
                   c.marked OR EXISTS (SELECT 1 FROM engagement_pledge pl
                                       WHERE pl.invitation_id = c.id) AS sent,
                   (SELECT COUNT(*) FROM engagement_pledge pl
                    WHERE pl.invitation_id = c.id AND pl.status <> 'cancelled') AS live
            FROM ({_changed_rows(op, INVITATION_FUNNEL_COLUMNS)}) AS c
        ),
        funnel AS (
            SELECT campaign_id, SUM(sign * sent::int) AS sent,
                   SUM(sign * (sent AND by_participant)::int) AS sent_bp,
                   SUM(sign * live) AS pledged,
                   SUM(CASE WHEN by_participant THEN sign * live ELSE 0 END) AS pledged_bp
            FROM counted GROUP BY campaign_id
        ){APPLY}
    END IF;{LEAVE}
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS {name} ON engagement_invitation;
CREATE TRIGGER {name} AFTER {op} ON engagement_invitation REFERENCING {REFERENCING[op]}
    FOR EACH STATEMENT EXECUTE FUNCTION {name}();
"""


RECOUNT = f"""
CREATE OR REPLACE FUNCTION reports_tally_funnel_recount(schema_name text, ids bigint[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE previous_path text;
BEGIN{ENTER_NAMED}
    INSERT INTO reports_campaigntally (campaign_id)
    SELECT id FROM unnest(ids) AS id ORDER BY id ON CONFLICT DO NOTHING;
    PERFORM 1 FROM reports_campaigntally WHERE campaign_id = ANY(ids)
    ORDER BY campaign_id FOR UPDATE;
    UPDATE reports_campaigntally t SET
        invitations_sent = COALESCE(n.sent, 0),
        invitations_sent_by_participants = COALESCE(n.sent_bp, 0),
        invitations_pledged = COALESCE(n.pledged, 0),
        invitations_pledged_by_participants = COALESCE(n.pledged_bp, 0),
        data_version = t.data_version + 1
    FROM unnest(ids) AS ids(id) LEFT JOIN (
        SELECT campaign_id, COUNT(*) FILTER (WHERE sent) AS sent,
               COUNT(*) FILTER (WHERE sent AND by_participant) AS sent_bp,
               SUM(live) AS pledged,
               SUM(live) FILTER (WHERE by_participant) AS pledged_bp
        FROM (
            SELECT i.campaign_id, i.inviter_id IS NOT NULL AS by_participant,
                   {MARKED.replace("organiser_id", "i.organiser_id")
                          .replace("invitee_email", "i.invitee_email")
                          .replace("first_opened_at", "i.first_opened_at")}
                   OR p.pledges IS NOT NULL AS sent,
                   COALESCE(p.live, 0) AS live
            FROM engagement_invitation i
            LEFT JOIN (
                SELECT invitation_id, COUNT(*) AS pledges,
                       COUNT(*) FILTER (WHERE status <> 'cancelled') AS live
                FROM engagement_pledge
                WHERE invitation_id IN (SELECT id FROM engagement_invitation
                                        WHERE campaign_id = ANY(ids))
                GROUP BY invitation_id
            ) AS p ON p.invitation_id = i.id
            WHERE i.campaign_id = ANY(ids)
        ) AS each_invitation GROUP BY campaign_id
    ) AS n ON n.campaign_id = ids.id
    WHERE t.campaign_id = ids.id;{LEAVE}
END $$;
"""

FORWARDS = (
    RECOUNT
    + "".join(_pledge_function(op) for op in OPS)
    + "".join(_invitation_function(op) for op in OPS)
    # Existing invitations counted once.
    + "SELECT reports_tally_funnel_recount(current_schema(), "
      "COALESCE((SELECT array_agg(id ORDER BY id) FROM engagement_campaign), '{}'));\n"
)
# Back to 0012's triggers (its functions again, same names), then the columns dropped.
BACKWARDS = (
    "".join(tallied._pledge_function(op) for op in OPS)
    + "".join(tallied._touched_function("engagement_invitation", op) for op in OPS)
    + "DROP FUNCTION IF EXISTS reports_tally_funnel_recount(text, bigint[]);\n"
)


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0012_tallied_figures_triggers'),
    ]

    operations = [
        migrations.AddField(
            model_name='campaigntally',
            name='invitations_pledged',
            field=models.IntegerField(db_default=0),
        ),
        migrations.AddField(
            model_name='campaigntally',
            name='invitations_pledged_by_participants',
            field=models.IntegerField(db_default=0),
        ),
        migrations.AddField(
            model_name='campaigntally',
            name='invitations_sent',
            field=models.IntegerField(db_default=0),
        ),
        migrations.AddField(
            model_name='campaigntally',
            name='invitations_sent_by_participants',
            field=models.IntegerField(db_default=0),
        ),
        migrations.RunSQL(FORWARDS, BACKWARDS),
    ]
