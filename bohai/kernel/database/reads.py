"""Instances of several models from one joined row, for lookups on every request.

`select_related()` builds its join through the ORM's compiler on each call (about 0.6 ms of CPU for an
API key and its account), and two fixed statements cost two round trips. `first_joined()` runs one fixed
statement whose columns are `columns()` of each model in turn, and builds the instances as the ORM does:
each value through the database's and the field's converters, then `Model.from_db`.
"""
import functools

from django.db import connection
from django.db.models import Model


def columns(model: type[Model], table_alias: str) -> str:
    """The model's concrete columns, qualified by `table_alias`, in field order."""
    quote = connection.ops.quote_name
    return ", ".join(f"{quote(table_alias)}.{quote(field.column)}" for field in model._meta.concrete_fields)


def first_joined(statement: str, parameters, models: tuple[type[Model], ...]) -> tuple[Model, ...] | None:
    """The first row of `statement` as one instance of each model; None when there is none."""
    with connection.cursor() as cursor:
        cursor.execute(statement, parameters)
        row = cursor.fetchone()
    if row is None:
        return None
    instances, start = [], 0
    for model in models:
        names, converters = _reading(model, connection.alias)
        values = [_converted(value, field_converters) for value, field_converters in
                  zip(row[start:start + len(names)], converters)]
        instances.append(model.from_db(connection.alias, names, values))
        start += len(names)
    return tuple(instances)


def _converted(value, converters):
    for convert, expression in converters:
        value = convert(value, expression, connection)
    return value


@functools.lru_cache(maxsize=None)
def _reading(model: type[Model], alias: str) -> tuple[list[str], list[list]]:
    names, converters = [], []
    for field in model._meta.concrete_fields:
        expression = field.get_col(model._meta.db_table)
        names.append(field.attname)
        converters.append([(convert, expression) for convert in
                           connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)])
    return names, converters
