"""The SM3 hash chain of the audit trail: sealing new records and verifying the chain.

Actions insert records unsealed (no seq, no hash) so that an audited write costs one
INSERT and no lock; the sealer, run by the worker every few seconds and before every
verification and backup, numbers the new records in the order it sees them and chains
each to the previous one. Tampering with a sealed record is detected; a record that is
not yet sealed is listed as such.
"""
import hashlib
import queue
import threading
from dataclasses import dataclass, field

from django.db import connection, transaction

from .models import AuditRecord

GENESIS_HASH = "0" * 64
# Any constant works; it names the advisory lock that keeps sealers one at a time on PostgreSQL.
_POSTGRES_SEALER_LOCK = 7_211_309
_SEAL_BATCH = 2000
_VERIFY_BATCH = 10_000

# The columns whose stored text is hashed, in this order, after seq.
CONTENT_COLUMNS = (
    "created_at", "actor_id", "actor_label", "channel", "address", "user_agent", "action",
    "target_type", "target_id", "target_repr", "before", "after",
)


def _table() -> str:
    return connection.ops.quote_name(AuditRecord._meta.db_table)


def content_sql() -> str:
    """SQL for one text per record: its content columns as stored, joined by US (0x1F).

    The database does the joining and reads the timestamp as text, because decoding millions
    of column values (and datetimes) in Python costs more than hashing them.
    """
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        separator = "chr(31)"
        timestamp = f"to_char({quote('created_at')} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
    else:
        separator = "char(31)"
        # SQLite keeps the text Django wrote, which drops a zero fraction of a second.
        timestamp = (f"CASE WHEN length({quote('created_at')}) = 19 THEN {quote('created_at')} || '.000000' "
                     f"ELSE {quote('created_at')} END")
    others = [f"COALESCE(CAST({quote(name)} AS TEXT), '')" for name in CONTENT_COLUMNS[1:]]
    return f" || {separator} || ".join([timestamp, *others])


_SM3 = hashlib.new("sm3")


def record_hash(seq: int, content: str, prev_hash: str) -> str:
    """SM3 over seq, the record's content text and the previous hash, separated by US (0x1F)."""
    digest = _SM3.copy()
    digest.update(f"{seq}\x1f{content}\x1f{prev_hash}".encode("utf-8"))
    return digest.hexdigest()


def _lock_sealer() -> None:
    # SQLite needs nothing: its IMMEDIATE transactions already hold the write lock.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_POSTGRES_SEALER_LOCK])


def seal_pending() -> int:
    """Number and chain every unsealed record; returns how many were sealed."""
    sealed = 0
    while True:
        with transaction.atomic():
            _lock_sealer()
            count = _seal_batch()
        sealed += count
        if count < _SEAL_BATCH:
            return sealed


def _seal_batch() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT seq, hash FROM {_table()} WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1")
        head = cursor.fetchone()
        seq, prev_hash = head if head else (0, GENESIS_HASH)
        cursor.execute(
            f"SELECT id, {content_sql()} FROM {_table()} WHERE seq IS NULL ORDER BY id LIMIT {_SEAL_BATCH}"
        )
        updates = []
        for record_id, content in cursor.fetchall():
            seq += 1
            digest = record_hash(seq, content, prev_hash)
            updates.append((seq, prev_hash, digest, record_id))
            prev_hash = digest
        cursor.executemany(f"UPDATE {_table()} SET seq = %s, prev_hash = %s, hash = %s WHERE id = %s", updates)
    return len(updates)


@dataclass
class VerificationReport:
    checked: int = 0
    unsealed: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def sealed_rows(batch_size: int = _VERIFY_BATCH):
    """(seq, content, prev_hash, hash) of sealed records in seq order, read in keyset batches.

    A thread reads the next batch while the caller hashes this one: the database's part (SQLite's step, a
    PostgreSQL round trip) runs without the GIL, so on two cores reading and hashing overlap. The thread uses
    the caller's own connection, and so sees its transaction; the caller must not use it until the rows end.
    """
    batches: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()
    reader = threading.Thread(target=_read_sealed_batches, args=(_raw_connection(), batch_size, batches, stop),
                              name="audit-chain-reader", daemon=True)
    reader.start()
    try:
        while (batch := batches.get()) is not None:
            if isinstance(batch, BaseException):
                raise batch
            yield from batch
    finally:
        stop.set()
        while reader.is_alive():  # unblock a reader waiting to put, then let it finish
            try:
                batches.get(timeout=0.05)
            except queue.Empty:
                pass
        reader.join()


def _raw_connection():
    connection.ensure_connection()
    return connection.connection


def _read_sealed_batches(raw, batch_size: int, batches: queue.Queue, stop: threading.Event) -> None:
    placeholder = "?" if connection.vendor == "sqlite" else "%s"
    query = (f"SELECT seq, {content_sql()}, prev_hash, hash FROM {_table()} "
             f"WHERE seq > {placeholder} ORDER BY seq LIMIT {batch_size}")
    last_seq = 0
    try:
        while not stop.is_set():
            cursor = raw.cursor()
            try:
                cursor.execute(query, [last_seq])
                batch = cursor.fetchall()
            finally:
                cursor.close()
            if not batch:
                break
            batches.put(batch)
            last_seq = batch[-1][0]
    except BaseException as error:  # noqa: BLE001 — handed to the caller, raised there
        batches.put(error)
        return
    batches.put(None)


def verify_chain(rows=None, progress=None) -> VerificationReport:
    """Walk sealed records in seq order; name every record that was altered, removed or inserted.

    A changed column breaks the record's own hash; a removed record leaves a gap in seq and
    breaks its successor's link; an inserted record cannot carry the link its successor expects.
    """
    report = VerificationReport()
    expected_prev, expected_seq = GENESIS_HASH, 1
    for seq, content, prev_hash, digest in sealed_rows() if rows is None else rows:
        if seq != expected_seq:
            report.problems.append(f"记录 #{expected_seq}–#{seq - 1} 缺失（被删除）")
        if prev_hash != expected_prev:
            report.problems.append(f"记录 #{seq} 的前序摘要不符：前一记录被删除、插入或改动")
        if record_hash(seq, content, prev_hash) != digest:
            report.problems.append(f"记录 #{seq} 的内容已被改动（摘要不符）")
        expected_prev, expected_seq = digest, seq + 1
        report.checked += 1
        if progress is not None and report.checked % 1000 == 0:
            progress(1000)
    report.unsealed = AuditRecord.objects.filter(seq__isnull=True).count()
    return report
