"""Published template versions and everything in them cannot change, by database rule.

Programmes snapshot a version when they are created, and reports cite the version a
programme followed: a published version edited in place would make both lie. The service
layer never tries; these triggers make sure nothing else (admin, shell, a bug) can.
"""

from django.db import migrations

FORBID = """
CREATE OR REPLACE FUNCTION methodology_version_is_published(v_id bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM methodology_templateversion
                   WHERE id = v_id AND status = 'published')
$$;

CREATE OR REPLACE FUNCTION methodology_forbid_published_version_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'published' THEN
        RAISE EXCEPTION 'template version % is published and cannot be changed', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION methodology_forbid_published_child_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
    v bigint;
BEGIN
    IF TG_TABLE_NAME = 'methodology_step' THEN
        IF TG_OP <> 'INSERT' THEN
            ids := ids || (SELECT version_id FROM methodology_phase WHERE id = OLD.phase_id);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            ids := ids || (SELECT version_id FROM methodology_phase WHERE id = NEW.phase_id);
        END IF;
    ELSE
        IF TG_OP <> 'INSERT' THEN ids := ids || OLD.version_id; END IF;
        IF TG_OP <> 'DELETE' THEN ids := ids || NEW.version_id; END IF;
    END IF;
    FOREACH v IN ARRAY ids LOOP
        IF methodology_version_is_published(v) THEN
            RAISE EXCEPTION 'template version % is published and cannot be changed', v
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END LOOP;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER templateversion_immutable BEFORE UPDATE OR DELETE
    ON methodology_templateversion FOR EACH ROW
    EXECUTE FUNCTION methodology_forbid_published_version_change();
"""
CHILDREN = ["methodology_phase", "methodology_step", "methodology_templatelever",
            "methodology_messagetemplate", "methodology_templateindicator",
            "methodology_surveyquestion"]
FORBID += "".join(
    f"CREATE TRIGGER {table}_immutable BEFORE INSERT OR UPDATE OR DELETE ON {table} "
    f"FOR EACH ROW EXECUTE FUNCTION methodology_forbid_published_child_change();\n"
    for table in CHILDREN
)
ALLOW = "".join(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table};\n" for table in CHILDREN)
ALLOW += """
DROP TRIGGER IF EXISTS templateversion_immutable ON methodology_templateversion;
DROP FUNCTION IF EXISTS methodology_forbid_published_child_change();
DROP FUNCTION IF EXISTS methodology_forbid_published_version_change();
DROP FUNCTION IF EXISTS methodology_version_is_published(bigint);
"""


def forwards(apps, schema_editor):
    # methodology lives in the public schema only; migrate_schemas also runs this
    # migration (as a no-op) in tenant schemas.
    if schema_editor.connection.schema_name == "public":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FORBID)  # no parameters: plpgsql's own % stays as written


def backwards(apps, schema_editor):
    if schema_editor.connection.schema_name == "public":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(ALLOW)


class Migration(migrations.Migration):
    dependencies = [("methodology", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
