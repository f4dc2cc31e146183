"""Rows kept without sending for want of consent; and one consent record for everyone who
consented before records were kept, so that nobody's consent has an empty history."""

from django.db import migrations, models

# Frozen copies of services.consent's "legacy" wording and of its sources.
LEGACY_WORDING = {"fr": "Consentement donné avant la tenue du registre des consentements",
                  "en": "Consent given before consent records were kept"}
SOURCES = {"signup": "join_form", "invitation": "join_form", "import": "import",
           "api": "api", "organiser": "organiser"}


def record_legacy_consents(apps, schema_editor):
    Participant = apps.get_model("engagement", "Participant")
    ConsentRecord = apps.get_model("engagement", "ConsentRecord")
    consenting = (Participant.objects.filter(consent_to_contact=True, consents__isnull=True)
                  .only("pk", "language", "source", "created_at").iterator(chunk_size=2000))
    batch = []
    for person in consenting:
        language = "fr" if (person.language or "").startswith("fr") else "en"
        batch.append(ConsentRecord(
            participant_id=person.pk, purpose="future_actions", given=True,
            source=SOURCES.get(person.source, "organiser"), wording_version="legacy",
            wording=LEGACY_WORDING[language], language=language,
            # The consent's own date is unknown: the person's first record is the earliest.
            recorded_at=person.created_at))
        if len(batch) >= 2000:
            ConsentRecord.objects.bulk_create(batch)
            batch = []
    ConsentRecord.objects.bulk_create(batch)


def forget_legacy_consents(apps, schema_editor):
    apps.get_model("engagement", "ConsentRecord").objects.filter(
        wording_version="legacy").delete()


class Migration(migrations.Migration):

    dependencies = [
        ('engagement', '0007_privacy_records'),
    ]

    operations = [
        migrations.AlterField(
            model_name='outboundemail',
            name='status',
            field=models.CharField(choices=[('queued', 'Queued'), ('sent', 'Sent'), ('failed', 'Failed'), ('skipped', 'Not sent (unsubscribed)'), ('no_consent', 'Not sent (no consent to hear about future actions)')], default='queued', max_length=10),
        ),
        migrations.RunPython(record_legacy_consents, forget_legacy_consents),
    ]
