"""The rate a pledge's given hours are valued at (``Pledge.hour_rate``) moves the data
version too, like the other columns the figures read."""

from django.db import migrations

TRIGGER = ("CREATE CONSTRAINT TRIGGER engagement_pledge_figures "
           "AFTER INSERT OR DELETE OR UPDATE OF {columns} ON engagement_pledge "
           "DEFERRABLE INITIALLY DEFERRED "
           "FOR EACH ROW EXECUTE FUNCTION reports_figures_changed();\n")
DROP = "DROP TRIGGER IF EXISTS engagement_pledge_figures ON engagement_pledge;\n"
PLEDGE = ("slot_id", "participant_id", "invitation_id", "companions", "status",
          "attendance", "hours_given", "created_at", "skill_id")

FORWARDS = DROP + TRIGGER.format(columns=", ".join((*PLEDGE, "hour_rate")))
BACKWARDS = DROP + TRIGGER.format(columns=", ".join(PLEDGE))


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0007_bilingual_commentary_existing_rows"),
        ("engagement", "0020_pledge_hour_rate"),
    ]

    operations = [migrations.RunSQL(FORWARDS, BACKWARDS)]
