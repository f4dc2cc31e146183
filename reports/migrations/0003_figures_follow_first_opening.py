"""Invitations count as sent once they are opened (``reports.metrics.SENT``): the first
opening of an invitation moves the data version too. Later openings (the open count)
still move nothing, so a busy invitation link does not keep figures outdated."""

from django.db import migrations

COLUMNS = ("campaign_id", "inviter_id", "channel", "lever_code", "invitee_email")
TRIGGER = ("CREATE CONSTRAINT TRIGGER engagement_invitation_figures "
           "AFTER INSERT OR DELETE OR UPDATE OF {columns} ON engagement_invitation "
           "DEFERRABLE INITIALLY DEFERRED "
           "FOR EACH ROW EXECUTE FUNCTION reports_figures_changed();")
DROP = "DROP TRIGGER IF EXISTS engagement_invitation_figures ON engagement_invitation;"


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0002_figures_snapshots"),
        ("engagement", "0004_cross_schema_references"),
    ]

    operations = [
        migrations.RunSQL(
            DROP + TRIGGER.format(columns=", ".join((*COLUMNS, "first_opened_at"))),
            DROP + TRIGGER.format(columns=", ".join(COLUMNS))),
    ]
