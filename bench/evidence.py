"""Publishing the evidence across organisations
(``lab.evidence.publication.evidence_publish``): time in total and per organisation for
30, 100 and 300 organisations' contribution rows (the demo's synthetic shape: four
templates each, every lever of them, six age segments), against a reference measured in
the same run: copying the same contribution rows once (``CREATE TEMP TABLE … AS
SELECT``), the least any publication reading them all must do. Only the public schema is
needed (``migrate_schemas --shared``). Run it on a database of its own: it replaces every
contribution and cell, and leaves none at the end.

    DATABASE_URL=... python bench/evidence.py [organisations ...]
"""

import random
import sys
import time

from _support import django_setup, timed

# Its rows are is_demo: counted in a demo installation only.
django_setup(FULLMOBS_DEMO="1")

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


def copy_once() -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_copy AS SELECT * FROM "
                       f"{EvidenceContribution._meta.db_table}")
        cursor.execute("DROP TABLE bench_copy")


def main(sizes: list[int]) -> None:
    library_load()
    print(f"{'organisations':>13} {'rows':>8} {'cells':>7} {'publish s':>10} "
          f"{'per org ms':>10} {'next night s':>12} {'copy s':>8} {'ratio':>6}")
    for count in sizes:
        EvidenceContribution.objects.all().delete()
        EvidenceCell.objects.all().delete()
        rows = fill(count)
        copy, _ = timed(copy_once, runs=3)
        # The first publication of these rows (no baseline), as the bench always measured.
        start = time.perf_counter()
        evidence_publish()
        publish = time.perf_counter() - start
        cells = EvidenceCell.objects.count()
        # The next night: the same rows, every cell with its baseline.
        start = time.perf_counter()
        evidence_publish()
        again = time.perf_counter() - start
        print(f"{count:>13} {rows:>8} {cells:>7} {publish:>10.2f} "
              f"{publish / count * 1000:>10.1f} {again:>12.2f} {copy:>8.3f} "
              f"{publish / copy:>6.0f}")
    EvidenceContribution.objects.all().delete()
    EvidenceCell.objects.all().delete()


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [30, 100, 300])
