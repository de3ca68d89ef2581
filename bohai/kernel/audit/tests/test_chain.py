import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from bohai.kernel.audit.chain import GENESIS_HASH
from bohai.kernel.audit.models import AuditRecord
from bohai.kernel.audit.recording import record

pytestmark = pytest.mark.django_db


def write_records(count: int) -> None:
    for number in range(count):
        with transaction.atomic():
            record(actor="tester", action="test.write", target_type="test.thing", after={"n": number, "名": "张三"})


def verify() -> str:
    try:
        call_command("audit", "verify", "--quiet")
    except CommandError as error:
        return str(error)
    return "ok"


def test_records_are_chained_from_genesis():
    write_records(3)
    first, second, third = AuditRecord.objects.order_by("seq")
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    assert len({first.hash, second.hash, third.hash}) == 3
    assert verify() == "ok"


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        record(actor="tester", action="test.write")


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


def test_deleted_last_records_leave_a_consistent_prefix_but_inserted_record_is_caught(capsys):
    write_records(4)
    forged = AuditRecord.objects.get(seq=2)
    # Insert a forged record between 2 and 3 by renumbering: its hash cannot be what #3 expects.
    with connection.cursor() as cursor:
        table = AuditRecord._meta.db_table
        cursor.execute(f"UPDATE {table} SET seq = seq + 100 WHERE seq >= 3")
        cursor.execute(f"UPDATE {table} SET seq = seq - 99 WHERE seq >= 103")
    forged.pk, forged.seq, forged.action = None, 3, "test.forged"
    forged.save()
    assert verify() != "ok"
    err = capsys.readouterr().err
    assert "#3" in err or "#4" in err


def test_rewritten_field_with_recomputed_own_hash_breaks_the_successor(capsys):
    write_records(3)
    from bohai.kernel.audit.chain import CHAINED_FIELDS, record_hash

    row = AuditRecord.objects.filter(seq=2).values(*CHAINED_FIELDS).get()
    row["actor_label"] = "someone-else"
    AuditRecord.objects.filter(seq=2).update(actor_label="someone-else", hash=record_hash(row))
    assert verify() != "ok"
    assert "记录 #3 的前序摘要不符" in capsys.readouterr().err
