import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from bohai.kernel.audit.chain import GENESIS_HASH, content_sql, record_hash, seal_pending, sealed_rows, verify_chain
from bohai.kernel.audit.models import AuditRecord
from bohai.kernel.audit.recording import record

pytestmark = pytest.mark.django_db


def write_records(count: int, seal: bool = True) -> None:
    for number in range(count):
        with transaction.atomic():
            record(actor="tester", action="test.write", target_type="test.thing", after={"n": number, "名": "张三"})
    if seal:
        seal_pending()


def verify() -> str:
    try:
        call_command("audit", "verify", "--quiet")
    except CommandError as error:
        return str(error)
    return "ok"


def test_records_are_written_unsealed_then_chained_from_genesis():
    write_records(3, seal=False)
    assert list(AuditRecord.objects.values_list("seq", flat=True)) == [None, None, None]
    assert seal_pending() == 3
    first, second, third = AuditRecord.objects.order_by("seq")
    assert (first.seq, second.seq, third.seq) == (1, 2, 3)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    assert len({first.hash, second.hash, third.hash}) == 3
    assert verify() == "ok"


def test_sealing_continues_the_chain():
    write_records(2)
    write_records(2)
    assert list(AuditRecord.objects.order_by("seq").values_list("seq", flat=True)) == [1, 2, 3, 4]
    assert verify_chain().ok


def test_the_read_ahead_thread_sees_the_open_transaction_and_ends_when_the_reader_stops():
    write_records(7)  # inside this test's transaction: another connection would see none of them
    assert [row[0] for row in sealed_rows(batch_size=3)] == [1, 2, 3, 4, 5, 6, 7]
    rows = sealed_rows(batch_size=2)
    assert next(rows)[0] == 1
    rows.close()  # a caller that stops early
    assert not [thread for thread in threading.enumerate() if thread.name == "audit-chain-reader"]


def test_a_failure_in_the_read_ahead_thread_reaches_the_caller(monkeypatch):
    write_records(2)
    monkeypatch.setattr("bohai.kernel.audit.chain.content_sql", lambda: "no_such_column")
    with pytest.raises(Exception, match="no_such_column"):
        list(sealed_rows())


def test_stored_json_is_canonical_and_reads_back():
    write_records(1)
    assert AuditRecord.objects.get().after == {"n": 0, "名": "张三"}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT after FROM {AuditRecord._meta.db_table}")
        assert cursor.fetchone()[0] == '{"n":0,"名":"张三"}'


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        record(actor="tester", action="test.write")


def test_verify_reports_records_not_yet_sealed():
    write_records(2)
    write_records(1, seal=False)
    report = verify_chain()
    assert report.ok and report.checked == 2 and report.unsealed == 1


def test_altered_record_is_named(capsys):
    write_records(5)
    AuditRecord.objects.filter(seq=3).update(after={"n": 99, "名": "张三"})
    assert "1 处问题" in verify()
    assert "记录 #3 的内容已被改动" in capsys.readouterr().err


def test_deleted_record_is_named(capsys):
    write_records(5)
    AuditRecord.objects.filter(seq=2).delete()
    assert verify() != "ok"
    err = capsys.readouterr().err
    assert "#2" in err and "缺失" in err


def test_inserted_record_is_named(capsys):
    write_records(4)
    forged = AuditRecord.objects.get(seq=2)
    table = AuditRecord._meta.db_table
    with connection.cursor() as cursor:  # make room for a forged #3 by renumbering the tail
        cursor.execute(f"UPDATE {table} SET seq = seq + 100 WHERE seq >= 3")
        cursor.execute(f"UPDATE {table} SET seq = seq - 99 WHERE seq >= 103")
    forged.pk, forged.seq, forged.action = None, 3, "test.forged"
    forged.save()
    assert verify() != "ok"
    err = capsys.readouterr().err
    assert "#3" in err and "#4" in err


def test_rewritten_record_with_its_own_hash_recomputed_breaks_the_successor(capsys):
    write_records(3)
    AuditRecord.objects.filter(seq=2).update(actor_label="someone-else")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {content_sql()}, prev_hash FROM {AuditRecord._meta.db_table} WHERE seq = 2")
        content, prev_hash = cursor.fetchone()
    AuditRecord.objects.filter(seq=2).update(hash=record_hash(2, content, prev_hash))
    assert verify() != "ok"
    err = capsys.readouterr().err
    assert "记录 #3 的前序摘要不符" in err and "#2 的内容" not in err


def test_a_timestamp_with_no_fraction_of_a_second_hashes_the_same_after_sealing():
    from datetime import datetime, timezone

    write_records(1, seal=False)
    AuditRecord.objects.update(created_at=datetime(2026, 12, 1, 8, 0, 0, tzinfo=timezone.utc))
    seal_pending()
    assert verify_chain().ok


def test_an_update_keeps_only_the_fields_that_changed():
    with transaction.atomic():
        record(actor="tester", action="test.update", target_type="test.thing",
               before={"name": "张三", "address": "旧址", "region_id": 3}, after={"name": "张三", "address": "新址", "region_id": 3})
    stored = AuditRecord.objects.get()
    assert stored.before == {"address": "旧址"} and stored.after == {"address": "新址"}
