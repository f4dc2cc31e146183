"""The links to participants of organisations already closed: their schemas are dropped,
but their rows (status CLOSED) stay, so the foreign key's CASCADE never removed them."""

from django.db import migrations


def delete_links_of_closed_organisations(apps, schema_editor):
    if getattr(schema_editor.connection, "schema_name", "public") != "public":
        return
    ProfileLink = apps.get_model("profiles", "ProfileLink")
    ProfileLink.objects.filter(organisation__status="closed").delete()


class Migration(migrations.Migration):

    dependencies = [
        ("profiles", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(delete_links_of_closed_organisations, migrations.RunPython.noop),
    ]
