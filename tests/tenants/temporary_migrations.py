"""Extra migrations for an existing tenant app, written to a temporary package only.

The app's own migration files are copied into a package in a temporary directory, the extra
ones are added after its last migration, and ``MIGRATION_MODULES`` points the app at that
package: nothing is written into the repository, and the rows the extra migrations leave
in ``django_migrations`` name migrations that do not exist once the context ends (the
schemas they touched are meant to be dropped). Processes forked inside the context (the
migration workers) see the same package.
"""

from __future__ import annotations

import importlib
import shutil
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.apps import apps
from django.db.migrations.loader import MigrationLoader
from django.test import override_settings

MIGRATION = '''from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [({app!r}, {previous!r})]
    operations = [migrations.RunSQL({sql!r})]
'''


class TemporaryMigrations:
    def __init__(self, app_label: str, directory: Path, package: str) -> None:
        self.app_label = app_label
        self.directory = directory
        self.package = package
        leaves = MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes(app_label)
        self.last = leaves[0][1]

    def add(self, name: str, sql: str) -> str:
        """Add a migration running ``sql`` after the last one; returns "app.name"."""
        source = MIGRATION.format(app=self.app_label, previous=self.last, sql=sql)
        (self.directory / f"{name}.py").write_text(source)
        importlib.invalidate_caches()
        self.last = name
        return f"{self.app_label}.{name}"


@contextmanager
def temporary_migrations(app_label: str = "lab") -> Iterator[TemporaryMigrations]:
    root = Path(tempfile.mkdtemp(prefix="fullmobs-migrations-"))
    package = f"temporary_migrations_{uuid.uuid4().hex[:8]}"
    directory = root / package
    source = Path(apps.get_app_config(app_label).path) / "migrations"
    shutil.copytree(source, directory, ignore=shutil.ignore_patterns("__pycache__"))
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    try:
        with override_settings(MIGRATION_MODULES={app_label: package}):
            yield TemporaryMigrations(app_label, directory, package)
    finally:
        sys.path.remove(str(root))
        for module in [name for name in sys.modules if name.startswith(package)]:
            del sys.modules[module]
        shutil.rmtree(root, ignore_errors=True)
