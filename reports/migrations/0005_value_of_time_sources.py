"""The value of time moves the data version too: a skill's rate, the organisation's hour
value and workforce size, and which skill a slot or a pledge is marked with."""

from django.db import migrations

TRIGGER = ("CREATE CONSTRAINT TRIGGER {table}_figures "
           "AFTER INSERT OR DELETE OR UPDATE OF {columns} ON {table} "
           "DEFERRABLE INITIALLY DEFERRED "
           "FOR EACH ROW EXECUTE FUNCTION reports_figures_changed();\n")
TRUNCATE = ("CREATE TRIGGER {table}_figures_truncate AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION reports_figures_changed();\n")
DROP = "DROP TRIGGER IF EXISTS {table}_figures ON {table};\n"
DROP_TRUNCATE = "DROP TRIGGER IF EXISTS {table}_figures_truncate ON {table};\n"

SLOT = ("campaign_id", "starts_at", "ends_at")
PLEDGE = ("slot_id", "participant_id", "invitation_id", "companions", "status",
          "attendance", "hours_given", "created_at")
NEW = {"engagement_skill": ("hourly_rate",),
       "engagement_timevaluation": ("hour_value", "workforce_size")}


def _replace(table: str, columns: tuple[str, ...]) -> str:
    return DROP.format(table=table) + TRIGGER.format(table=table, columns=", ".join(columns))


FORWARDS = (_replace("engagement_slot", (*SLOT, "skill_id"))
            + _replace("engagement_pledge", (*PLEDGE, "skill_id"))
            + "".join(TRIGGER.format(table=table, columns=", ".join(columns))
                      + TRUNCATE.format(table=table) for table, columns in NEW.items()))
BACKWARDS = (_replace("engagement_slot", SLOT) + _replace("engagement_pledge", PLEDGE)
             + "".join(DROP.format(table=table) + DROP_TRUNCATE.format(table=table)
                       for table in NEW))


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0004_report_file_deleted"),
        ("engagement", "0011_value_of_time"),
    ]

    operations = [migrations.RunSQL(FORWARDS, BACKWARDS)]
