from django.db import migrations, models
from django.db.models import F


def existing_spaces_are_verified(apps, schema_editor):
    """Spaces made before the e-mail check existed keep working as they did."""
    if getattr(schema_editor.connection, "schema_name", "public") != "public":
        return  # a shared table: once, from the public schema
    Organisation = apps.get_model("tenants", "Organisation")
    Organisation.objects.filter(owner_email_verified_at__isnull=True).update(
        owner_email_verified_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [("tenants", "0003_organisation_allowed_email_domains")]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="owner_email_verified_at",
            field=models.DateTimeField(blank=True, null=True,
                                       verbose_name="owner's e-mail verified"),
        ),
        migrations.RunPython(existing_spaces_are_verified, migrations.RunPython.noop),
    ]
