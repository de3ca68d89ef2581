"""Writing audit records: called by actions inside their transaction."""
from django.db import models, transaction
from django.utils import timezone

from .chain import GENESIS_HASH, as_json_value, lock_chain_head, record_hash
from .context import current_origin
from .models import AuditRecord


def actor_label(actor) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return getattr(actor, "username", None) or str(actor)


def snapshot(instance: models.Model, exclude: tuple[str, ...] = ()) -> dict:
    """A JSON-safe picture of a model's concrete fields, without secrets.

    Fields whose names end in _cipher or _index hold personal data or keys to it;
    models keep a masked copy beside them, which is what the trail keeps.
    """
    data = {}
    for model_field in instance._meta.concrete_fields:
        name = model_field.attname
        if name in exclude or name.endswith(("_cipher", "_index", "password", "_secret")):
            continue
        data[name] = getattr(instance, name)
    return as_json_value(data)


def record(*, actor, action: str, target=None, before=None, after=None, target_type: str = "") -> AuditRecord:
    """Append one record to the chain. Must run inside the action's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must run inside the action's transaction")
    origin = current_origin()
    lock_chain_head()
    last = AuditRecord.objects.order_by("-seq").values_list("seq", "hash").first()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
    values = {
        "seq": seq,
        "created_at": timezone.now(),
        "actor_id": getattr(actor, "pk", None),
        "actor_label": actor_label(actor)[:150],
        "channel": origin.channel,
        "address": origin.address[:64],
        "user_agent": origin.user_agent[:200],
        "action": action,
        "target_type": target_type or (target._meta.label_lower if target is not None else ""),
        "target_id": str(target.pk) if target is not None and target.pk is not None else "",
        "target_repr": str(target)[:200] if target is not None else "",
        "before": as_json_value(before),
        "after": as_json_value(after),
        "prev_hash": prev_hash,
    }
    values["hash"] = record_hash(values)
    return AuditRecord.objects.create(**values)
