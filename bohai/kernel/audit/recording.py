"""Writing audit records: called by actions inside their transaction."""
import functools

from django.db import models, transaction
from django.utils import timezone

from .context import current_origin
from .fields import canonical_json
from .models import AuditRecord

_INSERTED_COLUMNS = (
    "created_at", "actor_id", "actor_label", "channel", "address", "user_agent", "action",
    "target_type", "target_id", "target_repr", "before", "after", "prev_hash", "hash",
)


def actor_label(actor) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return getattr(actor, "username", None) or str(actor)


def snapshot(instance: models.Model, exclude: tuple[str, ...] = ()) -> dict:
    """A picture of a model's concrete fields, without secrets.

    Fields whose names end in _cipher or _index hold personal data or keys to it;
    models keep a masked copy beside them, which is what the trail keeps.
    """
    return {name: getattr(instance, name) for name in _pictured_fields(type(instance)) if name not in exclude}


@functools.lru_cache(maxsize=None)
def _pictured_fields(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(field.attname for field in model._meta.concrete_fields
                 if not field.attname.endswith(("_cipher", "_index", "password", "_secret")))


def changed_fields(before: dict, after: dict) -> tuple[dict, dict]:
    """Only what changed, old and new: the trail stays readable and cheap to write."""
    keys = [key for key in after.keys() | before.keys() if before.get(key) != after.get(key)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def record(*, actor, action: str, target=None, before=None, after=None, target_type: str = "") -> None:
    """Append one record to the trail, unsealed; it must run inside the action's transaction.

    When both `before` and `after` are snapshots (dicts), only the fields that changed are kept.
    One plain INSERT: audited writes take no lock and read nothing (chain.seal_pending seals).
    On PostgreSQL the INSERT goes to the server with the next statement, usually the COMMIT
    (audit/postgresql/base.py): one round trip fewer per audited action.
    """
    if isinstance(before, dict) and isinstance(after, dict):
        before, after = changed_fields(before, after)
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record must run inside the action's transaction")
    origin = current_origin()
    values = (
        connection.ops.adapt_datetimefield_value(timezone.now()),
        getattr(actor, "pk", None),
        actor_label(actor)[:150],
        origin.channel,
        origin.address[:64],
        origin.user_agent[:200],
        action,
        target_type or (target._meta.label_lower if target is not None else ""),
        str(target.pk) if target is not None and target.pk is not None else "",
        str(target)[:200] if target is not None else "",
        None if before is None else canonical_json(before),
        None if after is None else canonical_json(after),
        "",
        "",
    )
    statement = _insert_statement(connection.vendor, connection.ops.quote_name)
    if getattr(connection, "defers_statements", False):
        connection.defer(statement, values)
        return
    with connection.cursor() as cursor:
        cursor.execute(statement, values)


@functools.lru_cache(maxsize=4)
def _insert_statement(vendor: str, quote) -> str:
    # Built once per database kind: on a hot path, quoting fifteen names per write shows.
    columns = ", ".join(quote(name) for name in _INSERTED_COLUMNS)
    placeholders = ", ".join(["%s"] * len(_INSERTED_COLUMNS))
    return f"INSERT INTO {quote(AuditRecord._meta.db_table)} ({columns}) VALUES ({placeholders})"
