"""The per-person outcomes of an experiment in SQL: one definition read by the daily look,
the CSV export and the ``.sql`` file an analyst runs in psql (``export.py``), so the
three cannot disagree.

- pledged: a live (not cancelled) pledge on the campaign; for an invitation wave, made
  after the launch (a reminder wave's people had pledged already: still pledged).
- attended: such a pledge marked attended.
- unsubscribed: the person unsubscribed after the launch (guardrail).
- complained: their address was reported as spam after the launch (guardrail).
"""

PERSON_SQL = """
SELECT a.participant_id, a.unit_key, a.variant_id, v.name AS variant, v.is_holdout,
       v.is_control, a.hash_value, a.assigned_at, p.team_id, p.site, p.age_band,
       pl.pledged, pl.attended,
       (p.unsubscribed_at IS NOT NULL AND p.unsubscribed_at >= e.launched_at) AS unsubscribed,
       EXISTS (SELECT 1 FROM engagement_emaildeliverability d
               WHERE d.email = lower(p.email) AND d.reason = 'complaint'
                 AND d.undeliverable_since >= e.launched_at) AS complained,
       CASE WHEN e.metric = 'attended' THEN pl.attended ELSE pl.pledged END AS success
FROM lab_assignment a
JOIN lab_experiment e ON e.id = a.experiment_id
JOIN lab_variant v ON v.id = a.variant_id
JOIN engagement_participant p ON p.id = a.participant_id
LEFT JOIN (
    -- The campaign's live pledges, read once and grouped by person (set-based: one scan
    -- of the campaign's slots and their pledges, not one probe per assigned person).
    SELECT x.participant_id, bool_or(x.attendance = 'attended') AS attended
    FROM engagement_pledge x
    JOIN engagement_slot s ON s.id = x.slot_id
    JOIN lab_experiment pe ON pe.id = %(experiment_id)s AND s.campaign_id = pe.campaign_id
    WHERE x.status <> 'cancelled'
      AND (pe.wave = 'reminder' OR x.created_at >= pe.launched_at)
    GROUP BY x.participant_id
) live ON live.participant_id = a.participant_id
CROSS JOIN LATERAL (
    SELECT live.participant_id IS NOT NULL AS pledged,
           coalesce(live.attended, false) AS attended
) pl
WHERE a.experiment_id = %(experiment_id)s
"""

# The sufficient statistics of each arm (``lab.stats.ArmSums``) for the primary metric
# (s_), unsubscribes (u_) and complaints (c_): sums over randomisation units. ``ARM_CTE``
# names them ``arm`` for the exported file's result query (``export.py``).
ARM_CTE = """
person AS ({person}),
unit AS (
    SELECT variant_id, unit_key, count(*) AS n,
           count(*) FILTER (WHERE success) AS s,
           count(*) FILTER (WHERE unsubscribed) AS u,
           count(*) FILTER (WHERE complained) AS c
    FROM person GROUP BY variant_id, unit_key
),
arm AS (
    SELECT variant_id, count(*) AS clusters, sum(n) AS people, sum(n * n) AS people_sq,
           sum(s) AS s, sum(s * s) AS s_sq, sum(n * s) AS s_cross,
           sum(u) AS u, sum(u * u) AS u_sq, sum(n * u) AS u_cross,
           sum(c) AS c, sum(c * c) AS c_sq, sum(n * c) AS c_cross
    FROM unit GROUP BY variant_id
)""".format(person=PERSON_SQL)  # noqa: S608, UP032 (constant texts, the id is a parameter)

ARM_SUMS_SQL = "WITH " + ARM_CTE + "\nSELECT * FROM arm ORDER BY variant_id\n"

# The sums of each segment and arm over randomisation units (``ArmSums``: units, people,
# successes and their squares and cross products), so that a team experiment's segments
# get the cluster variance: dimension team (not when whole teams are randomised), site,
# age band.
SEGMENT_SQL = """
WITH person AS ({person}),
cell AS (
    SELECT 'team' AS dimension, coalesce(t.name, '') AS value, variant_id, unit_key,
           count(*) AS n, count(*) FILTER (WHERE success) AS y
    FROM person LEFT JOIN engagement_team t ON t.id = person.team_id
    WHERE person.team_id IS NOT NULL GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT 'site', site, variant_id, unit_key, count(*), count(*) FILTER (WHERE success)
    FROM person WHERE site <> '' GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT 'age_band', age_band, variant_id, unit_key, count(*),
           count(*) FILTER (WHERE success)
    FROM person WHERE age_band <> '' GROUP BY 1, 2, 3, 4
)
SELECT dimension, value, variant_id, count(*) AS clusters, sum(n) AS people,
       sum(y) AS successes, sum(n * n) AS people_sq, sum(y * y) AS successes_sq,
       sum(n * y) AS cross_sum
FROM cell GROUP BY 1, 2, 3
""".format(person=PERSON_SQL)  # noqa: S608, UP032

# Units the wave actually reached, per arm (the sample-ratio check counts these): an
# invitation recorded for the person and due (its send time passed), or a reminder e-mail
# queued or sent; the holdout, sent nothing by design, counts by assignment.
SENT_SQL = """
SELECT a.variant_id,
       count(DISTINCT a.unit_key) FILTER (
           WHERE v.is_holdout OR a.email_id IS NOT NULL
              OR (a.invitation_id IS NOT NULL AND i.sent_at <= %(now)s)) AS units,
       count(*) FILTER (
           WHERE v.is_holdout OR a.email_id IS NOT NULL
              OR (a.invitation_id IS NOT NULL AND i.sent_at <= %(now)s)) AS people
FROM lab_assignment a
JOIN lab_variant v ON v.id = a.variant_id
LEFT JOIN engagement_invitation i ON i.id = a.invitation_id
WHERE a.experiment_id = %(experiment_id)s
GROUP BY a.variant_id
"""
