"""Backup and restore of one organisation: time and archive size, against pg_dump of the
same schema alone (custom format, compressed) measured in the same run.

Two organisations: a small one (a programme from the library, the demo's 120 people with
their campaigns, pledges, invitations, check-ins and impact) and a big one (the same, plus
20,000 participants and 100,000 pledges written with SQL). Each is backed up, restored
under a new address beside itself, and everything made is dropped at the end.

    DATABASE_URL=... python bench/backup.py [participants] [pledges_per_participant]
"""

import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from _support import django_setup

django_setup(MEDIA_ROOT=tempfile.mkdtemp(prefix="bench-backup-media-"))

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from billing.catalogue import options  # noqa: E402
from billing.models import Subscription  # noqa: E402
from demo import engagement as engagement_demo  # noqa: E402
from engagement.services import programme_create_from_template  # noqa: E402
from methodology.models import Template  # noqa: E402
from methodology.selectors import latest_published  # noqa: E402
from methodology.services import library_load  # noqa: E402
from tenants.libpq import libpq_dsn  # noqa: E402
from tenants.models import Domain, Organisation, User  # noqa: E402
from tenants.schema_clone import _pg_dump_binary  # noqa: E402
from tenants.services import organisation_provision  # noqa: E402
from tenants.services.backup import media_folder, organisation_backup  # noqa: E402
from tenants.services.backup_restore import organisation_restore  # noqa: E402

PARTICIPANTS = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
PER_PERSON = int(sys.argv[2]) if len(sys.argv) > 2 else 5
SLUGS = ["bench-bk-small", "bench-bk-big"]


def drop_all() -> None:
    slugs = SLUGS + [f"{slug}-copy" for slug in SLUGS]
    for organisation in Organisation.objects.filter(slug__in=slugs):
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{organisation.schema_name}" CASCADE')
        shutil.rmtree(media_folder(organisation.schema_name), ignore_errors=True)
        Domain.objects.filter(tenant=organisation).delete()
        organisation.delete()
    User.objects.filter(email__endswith="@bench-bk.example").delete()


def make(slug: str) -> Organisation:
    organisation = organisation_provision(
        name=slug, slug=slug, owner_email=f"owner-{slug}@bench-bk.example",
        status=Organisation.Status.ACTIVE)
    Subscription.objects.create(organisation=organisation, plan="territory",
                                options=sorted(options()), stripe_status="active")
    today = timezone.localdate()
    with tenant_context(organisation):
        programme_create_from_template(
            version=latest_published(Template.objects.get(slug="values-day")), name="Values",
            starts_on=today - timedelta(days=50), action_date=today + timedelta(days=20),
            ends_on=today + timedelta(days=65), participant_target=100)
        engagement_demo.seed(domain="bench-bk.example", teams=["Finance", "IT"],
                             team_kind="department", sites=["Lyon"], people=120, seed_value=3)
    return organisation


def grow(organisation: Organisation) -> None:
    """PARTICIPANTS more people, each pledged to PER_PERSON new slots (SQL, in bulk)."""
    s = f'"{organisation.schema_name}"'
    with connection.cursor() as cursor:
        cursor.execute(f"""
            INSERT INTO {s}.engagement_participant (email, first_name, last_name, language,
                site, postcode, age_band, consent_to_contact, source, referral_code,
                created_at, last_active_at)
            SELECT 'p' || g || '@bench-bk.example', 'First' || g, 'Last' || g, 'fr', 'Lyon',
                '69001', '', true, 'link', 'bk' || lpad(g::text, 12, '0'), now(), now()
            FROM generate_series(1, %s) g""", [PARTICIPANTS])
        cursor.execute(f"""
            INSERT INTO {s}.engagement_slot (starts_at, ends_at, capacity, confirmed_seats,
                sequence, campaign_id)
            SELECT c.starts_at + g * interval '1 day', c.ends_at + g * interval '1 day',
                1000000, 0, 0, c.id
            FROM (SELECT * FROM {s}.engagement_campaign ORDER BY id LIMIT 1) c,
                 generate_series(1, %s) g""", [PER_PERSON])
        cursor.execute(f"""
            INSERT INTO {s}.engagement_pledge (companions, companion_names, status, attendance,
                hours_given, walk_in, created_at, participant_id, slot_id)
            SELECT (p.id %% 3)::smallint, '', 'confirmed', 'unknown', 0, false, now(), p.id,
                sl.id
            FROM {s}.engagement_participant p
            CROSS JOIN (SELECT id FROM {s}.engagement_slot ORDER BY id DESC LIMIT %s) sl
            WHERE p.email LIKE 'p%%@bench-bk.example'""", [PER_PERSON])
        cursor.execute(f"ANALYZE {s}.engagement_pledge")


def pg_dump_reference(schema: str, path: Path) -> float:
    started = time.perf_counter()
    subprocess.run([_pg_dump_binary(), "-Fc", f"--schema={schema}", f"--file={path}",  # noqa: S603
                    f"--dbname={libpq_dsn(connection.settings_dict)}"], check=True)
    return time.perf_counter() - started


def counts(schema: str) -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT (SELECT count(*) FROM "{schema}".engagement_participant), '
                       f'(SELECT count(*) FROM "{schema}".engagement_pledge)')
        return cursor.fetchone()


def main() -> None:
    library_load()
    drop_all()
    rows = []
    try:
        with tempfile.TemporaryDirectory() as scratch:
            for slug in SLUGS:
                organisation = make(slug)
                if slug.endswith("big"):
                    grow(organisation)
                people, pledges = counts(organisation.schema_name)
                archive = Path(scratch, f"{slug}.tar.gz")
                started = time.perf_counter()
                organisation_backup(organisation=organisation, path=archive)
                backup_s = time.perf_counter() - started
                reference = Path(scratch, f"{slug}.dump")
                dump_s = pg_dump_reference(organisation.schema_name, reference)
                started = time.perf_counter()
                organisation_restore(path=archive, slug=f"{slug}-copy")
                restore_s = time.perf_counter() - started
                rows.append((slug, people, pledges, backup_s, archive.stat().st_size, dump_s,
                             reference.stat().st_size, restore_s))
    finally:
        drop_all()
    print(f"{'organisation':<16}{'people':>8}{'pledges':>9}{'backup s':>10}{'archive':>11}"
          f"{'pg_dump s':>11}{'dump -Fc':>11}{'restore s':>11}")
    for slug, people, pledges, backup_s, size, dump_s, dump_size, restore_s in rows:
        print(f"{slug:<16}{people:>8}{pledges:>9}{backup_s:>10.2f}{size / 1024:>9.0f}kB"
              f"{dump_s:>11.2f}{dump_size / 1024:>9.0f}kB{restore_s:>11.2f}")


if __name__ == "__main__":
    main()
