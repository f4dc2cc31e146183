"""``migrate_organisations`` in a process of its own, with extra temporary migrations (a test
kills its workers, or starts two runs at once). Django's settings come from the environment
(``tests.conftest.child_env``: the test database).

    python -m tests.tenants.migrate_runner NAME SQL [NAME SQL ...] -- [command arguments]

Exits with the command's status (1 on ``CommandError``), its output on stdout/stderr.
"""

from __future__ import annotations

import os
import sys

sys.dont_write_bytecode = True  # the temporary migrations leave no .pyc behind


def main(argv: list[str]) -> int:
    split = argv.index("--")
    pairs, arguments = argv[:split], argv[split + 1:]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import CommandError, call_command

    from tests.tenants.temporary_migrations import temporary_migrations

    with temporary_migrations("lab") as extra:
        for name, sql in zip(pairs[::2], pairs[1::2], strict=True):
            extra.add(name, sql)
        try:
            call_command("migrate_organisations", *arguments)
        except CommandError as exc:
            sys.stderr.write(f"CommandError: {exc}\n")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
