"""Register the public site and the template schema as organisations.

The template row makes ``migrate_schemas`` migrate the template with every tenant, so
clones never go stale. Its schema is created here (empty); the tenant migrations that run
right after this one fill it.
"""

from django.conf import settings
from django.db import migrations


def create_rows(apps, schema_editor):
    if schema_editor.connection.schema_name != settings.PUBLIC_SCHEMA_NAME:
        return  # migrate_schemas runs every migration in every schema; these rows are public
    Organisation = apps.get_model("tenants", "Organisation")
    Organisation.objects.get_or_create(
        schema_name=settings.PUBLIC_SCHEMA_NAME,
        defaults={"name": "Fullmobs", "slug": "public", "status": "active"},
    )
    template = settings.TENANT_TEMPLATE_SCHEMA
    Organisation.objects.get_or_create(
        schema_name=template,
        defaults={"name": "Tenant template", "slug": template.replace("_", "-"),
                  "status": "active", "is_template": True},
    )
    schema_editor.execute(f'CREATE SCHEMA IF NOT EXISTS "{template}"')


def drop_rows(apps, schema_editor):
    Organisation = apps.get_model("tenants", "Organisation")
    Organisation.objects.filter(is_template=True).delete()
    Organisation.objects.filter(schema_name=settings.PUBLIC_SCHEMA_NAME).delete()
    schema_editor.execute(f'DROP SCHEMA IF EXISTS "{settings.TENANT_TEMPLATE_SCHEMA}" CASCADE')


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial")]
    operations = [migrations.RunPython(create_rows, drop_rows)]
