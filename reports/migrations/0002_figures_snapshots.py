from django.db import migrations, models
from django.utils import timezone

# Every table the metrics and the lever analysis read, with the columns they read. A
# change to one of them moves the organisation's data version, which makes its stored
# figures outdated; other changes (an invitation's open count, a participant's consent)
# do not.
SOURCES = {
    "engagement_campaign": ("programme_id", "title", "starts_at", "ends_at", "status"),
    "engagement_slot": ("campaign_id", "starts_at", "ends_at"),
    "engagement_pledge": ("slot_id", "participant_id", "invitation_id", "companions",
                          "status", "attendance", "hours_given", "created_at"),
    "engagement_participant": ("email", "team_id", "site", "postcode", "age_band",
                               "referred_by_id"),
    "engagement_team": ("name",),
    "engagement_invitation": ("campaign_id", "inviter_id", "channel", "lever_code",
                              "invitee_email"),
    "engagement_impactrecord": ("campaign_id", "indicator_id", "value"),
    "engagement_programme": ("name", "starts_on", "ends_on"),
    "engagement_programmeindicator": ("programme_id", "code", "position", "unit",
                                      "label_fr", "label_en", "sdg"),
}

# The version moves when a writing transaction commits (deferred constraint triggers), not
# when it writes: figures computed while a long write (an import) is under way are not
# stamped with a version that already counts it. nextval() takes no lock, so writers
# never wait on each other for it (a rolled-back write only costs one needless
# recomputation). The function names the sequence through the table's own schema: the
# same body serves every organisation.
FORWARDS = """
CREATE SEQUENCE reports_figures_version;
CREATE FUNCTION reports_figures_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval(format('%I.reports_figures_version', TG_TABLE_SCHEMA));
    RETURN NULL;
END $$;
""" + "".join(
    f"CREATE CONSTRAINT TRIGGER {table}_figures "
    f"AFTER INSERT OR DELETE OR UPDATE OF {', '.join(columns)} ON {table} "
    f"DEFERRABLE INITIALLY DEFERRED "
    f"FOR EACH ROW EXECUTE FUNCTION reports_figures_changed();\n"
    f"CREATE TRIGGER {table}_figures_truncate AFTER TRUNCATE ON {table} "
    f"FOR EACH STATEMENT EXECUTE FUNCTION reports_figures_changed();\n"
    for table, columns in SOURCES.items())

BACKWARDS = "".join(
    f"DROP TRIGGER IF EXISTS {table}_figures ON {table};\n"
    f"DROP TRIGGER IF EXISTS {table}_figures_truncate ON {table};\n"
    for table in SOURCES) + """
DROP FUNCTION IF EXISTS reports_figures_changed();
DROP SEQUENCE IF EXISTS reports_figures_version;
"""


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="FiguresSnapshot",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                           serialize=False, verbose_name="ID")),
                ("key", models.CharField(max_length=120, unique=True)),
                ("format", models.PositiveSmallIntegerField()),
                ("data", models.JSONField()),
                ("version", models.BigIntegerField()),
                ("computed_at", models.DateTimeField()),
                ("expires_at", models.DateTimeField()),
                ("duration_ms", models.PositiveIntegerField()),
                ("read_at", models.DateTimeField(default=timezone.now)),
                ("refresh_queued_at", models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.RunSQL(FORWARDS, BACKWARDS),
    ]
