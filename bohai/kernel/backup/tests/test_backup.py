import json
import sqlite3
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from bohai.kernel.audit.chain import seal_pending, verify_chain
from bohai.kernel.audit.models import AuditRecord
from bohai.kernel.audit.recording import record
from bohai.kernel.backup.archive import create_backup, restore_backup
from bohai.kernel.backup.manifest import BackupRefused, manifest_path, sm3_of_file

# A backup reads committed data through its own connection, and a restore replaces the database.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def backup_dir(settings, tmp_path):
    settings.BOHAI_BACKUP_DIR = tmp_path / "backups"
    return settings.BOHAI_BACKUP_DIR


def add_records(count: int, action: str = "tests.entry") -> None:
    for number in range(count):
        with transaction.atomic():
            record(actor="test", action=action, target_type="entry", after={"number": number, "名称": "沧州"})


def chain_rows():
    seal_pending()
    return None  # verify_chain reads the sealed records itself


def actions() -> list[str]:
    return list(AuditRecord.objects.order_by("id").values_list("action", flat=True))


def test_round_trip_restores_the_data_and_the_chain_still_verifies(backup_dir, capsys):
    add_records(3)
    call_command("backup")
    backup = next(backup_dir.glob(f"bohai-*.{'sqlite3' if connection.vendor == 'sqlite' else 'pgdump'}"))
    manifest = json.loads(manifest_path(backup).read_text(encoding="utf-8"))

    AuditRecord.objects.filter(seq=2).delete()
    add_records(2, action="tests.after_backup")
    assert not verify_chain(chain_rows()).ok
    call_command("restore", str(backup), "--yes")

    assert actions() == ["tests.entry"] * 3 + ["backup.restore"]
    assert verify_chain(chain_rows()).ok
    restore = AuditRecord.objects.get(action="backup.restore")
    assert restore.actor_label == "system:restore"
    assert restore.after["checksum"] == manifest["checksum"]
    # What the restore replaced: 3 + the backup's own record - 1 deleted + 2 + the safety backup's record.
    assert restore.before["audit_records"] == 6
    output = capsys.readouterr().out
    assert "校验通过" in output and "恢复完成" in output
    assert len(list(backup_dir.glob("bohai-*-before-restore.*.manifest.json"))) == 1


def test_the_manifest_describes_the_backup(backup_dir):
    add_records(2)
    result = create_backup()
    manifest = json.loads(manifest_path(result.path).read_text(encoding="utf-8"))

    assert manifest["checksum"] == sm3_of_file(result.path)
    assert manifest["algorithm"] == "SM3"
    assert manifest["size"] == result.path.stat().st_size
    assert manifest["vendor"] == connection.vendor
    assert manifest["audit_records"] == 2
    assert manifest["audit_head"]["seq"] == 2
    assert manifest["migrations"]["latest"]["audit"] == "0002_deferred_sealing"
    assert manifest["migrations"]["applied"] > 10
    assert result.path.stat().st_mode & 0o077 == 0
    assert actions()[-1] == "backup.create"  # recorded after the copy, so not inside it


def test_a_corrupted_backup_is_refused_and_nothing_changes(backup_dir):
    add_records(2)
    backup = create_backup().path
    content = bytearray(backup.read_bytes())
    content[len(content) // 2] ^= 0xFF
    backup.write_bytes(bytes(content))
    add_records(1, action="tests.after_backup")

    with pytest.raises(CommandError, match="已损坏"):
        call_command("restore", str(backup), "--yes")

    assert actions() == ["tests.entry", "tests.entry", "backup.create", "tests.after_backup"]


def test_a_backup_without_its_manifest_is_refused(backup_dir):
    backup = create_backup().path
    manifest_path(backup).unlink()

    with pytest.raises(BackupRefused, match="清单"):
        restore_backup(backup)


def test_restore_asks_before_overwriting(backup_dir, monkeypatch):
    backup = create_backup().path
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)

    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(backup))


def test_a_backup_of_another_vendor_is_refused(backup_dir):
    backup = create_backup().path
    described_by = manifest_path(backup)
    manifest = json.loads(described_by.read_text(encoding="utf-8"))
    manifest["vendor"] = "oracle"
    described_by.write_text(json.dumps(manifest), encoding="utf-8")

    with pytest.raises(BackupRefused, match="oracle"):
        restore_backup(backup)


def test_a_sqlite_backup_is_a_self_contained_database_file(backup_dir):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    add_records(1)
    backup = create_backup().path

    assert not Path(f"{backup}-wal").exists()
    with sqlite3.connect(f"{backup.as_uri()}?mode=ro", uri=True) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT COUNT(*) FROM audit_auditrecord").fetchone() == (1,)


@pytest.mark.postgres
def test_a_postgres_backup_is_a_custom_format_dump_that_restores(backup_dir):
    add_records(2)
    backup = create_backup().path
    AuditRecord.objects.all().delete()

    restore_backup(backup, safety_backup=False)

    assert backup.name.endswith(".pgdump")
    assert backup.read_bytes()[:5] == b"PGDMP"
    assert actions() == ["tests.entry", "tests.entry", "backup.restore"]
    assert verify_chain(chain_rows()).ok
