"""Publishing the evidence across organisations
(``lab.evidence.publication.evidence_publish``): time for 30, 300 and 1,000
organisations' contribution rows (the demo's synthetic shape: four
templates each, every lever of them, six age segments), against a reference measured in
the same run: copying the same contribution rows once (INSERT … SELECT), the least any
publication reading them all must do. Only the public schema is needed
(``migrate_schemas --shared``). Run it on a database of its own: it replaces every
contribution and cell, and leaves none at the end.

    DATABASE_URL=... python bench/evidence.py [organisations ...]
"""

import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("FULLMOBS_DEMO", "1")  # its rows are is_demo: counted in a demo only

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from demo.evidence import _rows_for  # noqa: E402
from lab.evidence.publication import evidence_publish  # noqa: E402
from methodology.models import EvidenceCell, EvidenceContribution  # noqa: E402
from methodology.services import library_load  # noqa: E402

LEVERS = {f"template-{n}": ["personal_invitation", "social_proof", "deadline",
                            "team_challenge", "leader_example", "local_impact"][: 3 + n % 4]
          for n in range(8)}


def fill(count: int) -> int:
    rng = random.Random(count)  # noqa: S311 - bench data
    kinds = ("company", "local_authority", "association")
    rows = []
    for index in range(count):
        kind, size = kinds[index % 3], ("small", "medium", "large")[index % 3 - 1]
        rows += [EvidenceContribution(organisation_key=f"bench-{index}", kind=kind,
                                      size_band=size, is_demo=True, **row)
                 for row in _rows_for(rng, kind, size, LEVERS)]
    EvidenceContribution.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def reference() -> float:
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_copy AS SELECT * FROM "
                       f"{EvidenceContribution._meta.db_table}")  # noqa: S608 - a table name
        cursor.execute("DROP TABLE bench_copy")
    return time.perf_counter() - start


def main(sizes: list[int]) -> None:
    library_load()
    print(f"{'organisations':>13} {'rows':>8} {'cells':>7} {'publish s':>10} "
          f"{'copy s':>8} {'ratio':>6}")
    for count in sizes:
        EvidenceContribution.objects.all().delete()
        EvidenceCell.objects.all().delete()
        rows = fill(count)
        copy = reference()
        start = time.perf_counter()
        evidence_publish()
        publish = time.perf_counter() - start
        cells = EvidenceCell.objects.count()
        print(f"{count:>13} {rows:>8} {cells:>7} {publish:>10.2f} {copy:>8.3f} "
              f"{publish / copy:>6.0f}")
    EvidenceContribution.objects.all().delete()
    EvidenceCell.objects.all().delete()


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [30, 300, 1000])
