"""A new model instance's INSERT as SQL, for the statements the ORM cannot say: a row
inserted with ``ON CONFLICT`` on an expression index, or inside a data-modifying ``WITH``.

The values are the ones ``Model.save()`` would write (each field's default and
``pre_save``, prepared for the connection), so such a statement stays the model's row
whatever fields the model gains; only the columns a caller names are written as SQL
expressions instead (``overrides``).
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Model


def insert_sql(instance: Model, *, overrides: dict[str, tuple[str, list[Any]]] | None = None
               ) -> tuple[str, list[Any]]:
    """``INSERT INTO <table> (<columns>) VALUES (<values>)`` for ``instance`` and its
    parameters. ``overrides`` maps a field's attribute name to an SQL expression and its
    parameters, written in place of the field's value."""
    overrides = overrides or {}
    meta = instance._meta
    columns, values, params = [], [], []
    for field in meta.concrete_fields:
        if field.primary_key and getattr(instance, field.attname) is None:
            continue  # the sequence gives it
        assert field.column is not None  # a concrete field has its column
        columns.append(connection.ops.quote_name(field.column))
        if field.attname in overrides:
            sql, extra = overrides[field.attname]
            values.append(sql)
            params.extend(extra)
            continue
        values.append("%s")
        params.append(field.get_db_prep_save(field.pre_save(instance, True), connection))
    table = connection.ops.quote_name(meta.db_table)
    # Names from the model, quoted; values as parameters or the caller's SQL.
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(values)})",  # noqa: S608
            params)


def mark_saved(instance: Model, pk: int) -> None:
    """The instance as ``save()`` leaves it once the row with this primary key is in."""
    instance.pk = pk
    instance._state.adding = False
    instance._state.db = connection.alias
