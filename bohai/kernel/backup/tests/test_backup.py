import io
import json
import sqlite3
import tarfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from pypdf import PdfWriter

from bohai.kernel.audit.chain import seal_pending, verify_chain
from bohai.kernel.audit.models import AuditRecord
from bohai.kernel.audit.recording import record
from bohai.kernel.backup.archive import create_backup, restore_backup
from bohai.kernel.backup.manifest import BackupRefused, files_archive_path, manifest_path, sm3_of_file
from bohai.kernel.files import storage
from bohai.kernel.files.actions import store_upload
from bohai.kernel.files.models import StoredFile
from bohai.kernel.files.reading import open_stored

# A backup reads committed data through its own connection, and a restore replaces the database.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def backup_dir(settings, tmp_path):
    settings.BOHAI_BACKUP_DIR = tmp_path / "backups"
    return settings.BOHAI_BACKUP_DIR


@pytest.fixture(autouse=True)
def files_dir(settings, tmp_path):
    settings.BOHAI_FILES_DIR = tmp_path / "files"
    return settings.BOHAI_FILES_DIR




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


def latest_migration(app: str) -> str:
    (leaf,) = MigrationLoader(connection).graph.leaf_nodes(app)
    return leaf[1]


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
    assert manifest["migrations"]["latest"]["audit"] == latest_migration("audit")
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


def stored_pdf(marker: str) -> StoredFile:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_metadata({"/Title": marker})
    buffer = io.BytesIO()
    writer.write(buffer)
    return store_upload(buffer.getvalue(), name=f"{marker}.pdf", actor="test")


def test_a_backup_takes_the_stored_files_and_a_restore_puts_them_back(backup_dir):
    kept = stored_pdf("营业执照")
    result = create_backup()
    manifest = json.loads(manifest_path(result.path).read_text(encoding="utf-8"))
    archive = files_archive_path(result.path)
    assert manifest["format"] == "bohai-backup/2"
    assert manifest["files"] == {"file": archive.name, "checksum": sm3_of_file(archive),
                                 "size": archive.stat().st_size, "count": 1}
    assert archive.stat().st_mode & 0o077 == 0

    storage.path_for(kept.digest).unlink()  # a lost disk
    later = stored_pdf("后来上传")
    restore_backup(result.path, safety_backup=False)

    assert list(StoredFile.objects.values_list("digest", flat=True)) == [kept.digest]
    with open_stored(StoredFile.objects.get()) as handle:
        assert handle.read().startswith(b"%PDF-")
    assert storage.path_for(later.digest).exists()  # now an orphan: the clean-up job removes it in a day


def test_the_restore_command_reports_the_files(backup_dir, capsys):
    stored_pdf("材料")
    call_command("backup")
    assert "上传文件 1 个" in capsys.readouterr().out
    backup = next(p for p in backup_dir.iterdir() if p.suffix in (".sqlite3", ".pgdump"))
    call_command("restore", str(backup), "--yes", "--no-safety-backup")
    assert "已恢复上传文件 0 个" in capsys.readouterr().out  # the file was still there, whole


def test_a_damaged_files_archive_is_refused_before_anything_changes(backup_dir):
    stored_pdf("材料")
    backup = create_backup().path
    archive = files_archive_path(backup)
    content = bytearray(archive.read_bytes())
    content[700] ^= 0xFF
    archive.write_bytes(bytes(content))
    add_records(1, action="tests.after_backup")

    with pytest.raises(BackupRefused, match="已损坏"):
        restore_backup(backup)
    archive.unlink()
    with pytest.raises(BackupRefused, match="找不到文件备份"):
        restore_backup(backup)
    assert actions()[-1] == "tests.after_backup"


def test_an_archive_entry_outside_the_files_layout_is_refused(backup_dir, files_dir):
    backup = create_backup().path
    archive = files_archive_path(backup)
    with tarfile.open(archive, "w") as tar:
        info = tarfile.TarInfo("../../escaped.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"bad"))
    described_by = manifest_path(backup)
    manifest = json.loads(described_by.read_text(encoding="utf-8"))
    manifest["files"].update(checksum=sm3_of_file(archive), size=archive.stat().st_size)
    described_by.write_text(json.dumps(manifest), encoding="utf-8")

    with pytest.raises(BackupRefused, match="不应有的条目"):
        restore_backup(backup, safety_backup=False)
    assert not (files_dir.parent / "escaped.txt").exists()


def test_a_format_1_backup_without_files_still_restores(backup_dir):
    add_records(1)
    backup = create_backup().path
    files_archive_path(backup).unlink()
    described_by = manifest_path(backup)
    manifest = json.loads(described_by.read_text(encoding="utf-8"))
    manifest["format"] = "bohai-backup/1"
    del manifest["files"]
    described_by.write_text(json.dumps(manifest), encoding="utf-8")
    stored = stored_pdf("恢复后仍在")

    restore_backup(backup, safety_backup=False)

    assert actions() == ["tests.entry", "backup.restore"]
    assert storage.path_for(stored.digest).exists()
