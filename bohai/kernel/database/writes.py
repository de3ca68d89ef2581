"""Rows written as Model.save() writes them, without the ORM's statement building on every call.

`Model.save()` builds an INSERT through a query object and a compiler each time: about 55 µs over
the statement itself for a small model, more for a wide one, and an Open311 report makes five new
rows inside its transaction (on SQLite, while holding the database's one write lock). `insert()`
takes the statement text from a per-model cache and the values from each field exactly as the
compiler does (`pre_save(add=True)`, then `get_db_prep_save`), so auto_now, defaults, JSON and
encrypted fields come out the same.

What it leaves out, so use it only where none of these applies: the pre_save and post_save signals,
expressions as field values, inherited (multi-table) models, and database-side defaults.

`insert_unread()` and `update_unread()` are for writes whose result the code does not read back (a
case's timeline event, its number set once its id is known): on PostgreSQL the statement goes to the
server with the next one, usually the COMMIT (audit/postgresql/base.py), so it costs no round trip;
an inserted instance then gets no primary key. Later statements in the transaction see the write.
"""
import functools

from django.db import connections, router
from django.db.models import Model


def insert(instance: Model) -> Model:
    """INSERT `instance` (not yet saved) and set its primary key; returns it."""
    model, connection = type(instance), _connection_for(instance)
    with_key = instance.pk is not None
    returning = not with_key and connection.features.can_return_columns_from_insert
    statement, values = _statement_and_values(instance, connection, with_key, returning)
    with connection.cursor() as cursor:
        cursor.execute(statement, values)
        if not with_key:
            key = cursor.fetchone()[0] if returning else cursor.lastrowid
            setattr(instance, model._meta.pk.attname, key)
    _mark_saved(instance, connection)
    return instance


def insert_unread(instance: Model) -> None:
    """INSERT `instance`; on a connection that defers statements (PostgreSQL, inside a transaction) it goes
    with the next statement and the instance keeps no primary key, elsewhere as insert()."""
    connection = _connection_for(instance)
    if not (connection.in_atomic_block and getattr(connection, "defers_statements", False)):
        insert(instance)
        return
    statement, values = _statement_and_values(instance, connection, instance.pk is not None, returning=False)
    connection.defer(statement, tuple(values))
    _mark_saved(instance, connection)


def update_unread(instance: Model, field_names: tuple[str, ...]) -> None:
    """UPDATE these columns of `instance`'s row to its values (no auto_now, no signals), deferred as
    insert_unread() defers."""
    model, connection = type(instance), _connection_for(instance)
    statement, fields = _update_statement(model, connection.alias, tuple(field_names))
    values = tuple([field.get_db_prep_save(getattr(instance, field.attname), connection) for field in fields]
                   + [instance.pk])
    if connection.in_atomic_block and getattr(connection, "defers_statements", False):
        connection.defer(statement, values)
        return
    with connection.cursor() as cursor:
        cursor.execute(statement, values)


def _connection_for(instance: Model):
    instance._prepare_related_fields_for_save(operation_name="insert")  # as save(): no unsaved related object
    return connections[router.db_for_write(type(instance), instance=instance)]


def _statement_and_values(instance: Model, connection, with_key: bool, returning: bool) -> tuple[str, list]:
    model = type(instance)
    statement, fields = _statement(model, connection.alias, with_key, returning)
    values = []
    for field in fields:
        value = field.pre_save(instance, True)
        if hasattr(value, "resolve_expression"):  # F(), Now(), a database default
            raise ValueError(f"insert() takes plain values; {model.__name__}.{field.name} holds an expression")
        values.append(field.get_db_prep_save(value, connection))
    return statement, values


def _mark_saved(instance: Model, connection) -> None:
    instance._state.adding = False
    instance._state.db = connection.alias


@functools.lru_cache(maxsize=None)
def _statement(model: type[Model], alias: str, with_key: bool, returning: bool) -> tuple[str, tuple]:
    if model._meta.parents:
        raise ValueError(f"insert() writes one table; {model.__name__} inherits from another model")
    connection = connections[alias]
    quote = connection.ops.quote_name
    fields = tuple(field for field in model._meta.concrete_fields if with_key or not field.primary_key)
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    statement = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})"
    if returning:
        statement += f" RETURNING {quote(model._meta.pk.column)}"
    return statement, fields


@functools.lru_cache(maxsize=None)
def _update_statement(model: type[Model], alias: str, field_names: tuple[str, ...]) -> tuple[str, tuple]:
    quote = connections[alias].ops.quote_name
    fields = tuple(model._meta.get_field(name) for name in field_names)
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    statement = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(model._meta.pk.column)} = %s"
    return statement, fields
