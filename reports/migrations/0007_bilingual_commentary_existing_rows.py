"""Commentary written before its language was recorded is in the organisation's
language (the column's default, "fr", is right only for French organisations)."""

from django.db import migrations

ORGANISATION_LOCALE = "SELECT locale FROM public.tenants_organisation WHERE schema_name = %s"


def organisation_language(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(ORGANISATION_LOCALE, [connection.schema_name])
        row = cursor.fetchone()
    if row and row[0] == "en":
        apps.get_model("reports", "Commentary").objects.update(content_language="en")


class Migration(migrations.Migration):

    dependencies = [("reports", "0006_bilingual_commentary")]

    operations = [migrations.RunPython(organisation_language, migrations.RunPython.noop)]
