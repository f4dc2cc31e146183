# A programme no longer has its own time zone: every date of a space is read in its
# organisation's (tenants.Organisation.time_zone; docs/decisions.md, "One time zone per
# organisation").

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("engagement", "0011_value_of_time"),
    ]

    operations = [
        migrations.RemoveField(model_name="programme", name="time_zone"),
    ]
