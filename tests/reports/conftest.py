"""The data version behind stored figures moves when a writing transaction commits
(deferred triggers). Tests run in one transaction that is rolled back, so in these tests
the triggers fire at the end of each statement instead, as if each write had committed."""

import pytest
from django.db import connection


@pytest.fixture(autouse=True)
def _figures_version_moves_with_each_write(request):
    if connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    yield
