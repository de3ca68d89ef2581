"""The SM3 hash chain of the audit trail: appending and verifying."""
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection

GENESIS_HASH = "0" * 64
# Any constant works; it names the advisory lock that serialises appends on PostgreSQL.
_POSTGRES_CHAIN_LOCK = 7_211_309

CHAINED_FIELDS = (
    "seq", "created_at", "actor_id", "actor_label", "channel", "address", "user_agent",
    "action", "target_type", "target_id", "target_repr", "before", "after", "prev_hash",
)


def as_json_value(value):
    """Normalise a value so that it hashes the same before storage and after reading it back."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str)) if value is not None else None


def _timestamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if value.utcoffset() is None or value.utcoffset().total_seconds() == 0 else value.isoformat()


def record_hash(values: dict) -> str:
    payload = dict(values)
    payload["created_at"] = _timestamp(payload["created_at"])
    canonical = json.dumps(
        [payload[name] for name in CHAINED_FIELDS], ensure_ascii=False, separators=(",", ":"), sort_keys=True
    )
    return hashlib.new("sm3", canonical.encode("utf-8")).hexdigest()


def lock_chain_head() -> None:
    """Serialise appenders until the surrounding transaction ends.

    SQLite needs nothing: its IMMEDIATE transactions already hold the write lock.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_POSTGRES_CHAIN_LOCK])


@dataclass
class VerificationReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(rows, report: VerificationReport | None = None, progress=None) -> VerificationReport:
    """Walk records in seq order; name every record that was altered, removed or inserted.

    `rows` yields dicts with CHAINED_FIELDS plus "hash". A changed field breaks the record's
    own hash; a removed record leaves a gap in seq and breaks the next prev_hash; an inserted
    record cannot carry the right prev_hash for its successor without rewriting the chain.
    """
    report = report or VerificationReport()
    expected_prev, expected_seq = GENESIS_HASH, None
    for row in rows:
        seq = row["seq"]
        if expected_seq is not None and seq != expected_seq:
            report.problems.append(f"记录 #{expected_seq}–#{seq - 1} 缺失（被删除）")
        if row["prev_hash"] != expected_prev:
            report.problems.append(f"记录 #{seq} 的前序摘要不符：前一记录被删除、插入或改动")
        if record_hash(row) != row["hash"]:
            report.problems.append(f"记录 #{seq} 的内容已被改动（摘要不符）")
        expected_prev, expected_seq = row["hash"], seq + 1
        report.checked += 1
        if progress is not None:
            progress(1)
    return report
