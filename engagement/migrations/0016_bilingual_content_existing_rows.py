"""Campaigns and programmes written before their language was recorded are in their
organisation's language (the column's default, "fr", is right only for French ones)."""

from django.db import migrations

ORGANISATION_LOCALE = "SELECT locale FROM public.tenants_organisation WHERE schema_name = %s"


def organisation_language(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(ORGANISATION_LOCALE, [connection.schema_name])
        row = cursor.fetchone()
    if row and row[0] == "en":
        for name in ("Campaign", "Programme"):
            apps.get_model("engagement", name).objects.update(content_language="en")


class Migration(migrations.Migration):

    dependencies = [("engagement", "0015_bilingual_content")]

    operations = [migrations.RunPython(organisation_language, migrations.RunPython.noop)]
