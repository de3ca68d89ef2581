"""Backing up the whole platform database and its stored files, and restoring them.

Both leave a trace in the audit trail: a backup is a copy of everyone's data, and a
restore rewinds the platform. The restore's record is appended to the restored chain
(so the chain still verifies) and names the head of the chain it replaced, so that the
records rolled back by the restore are known.
"""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django.utils.translation import gettext as _

from bohai.kernel.audit.chain import seal_pending
from bohai.kernel.audit.recording import record

from .databases import live_database
from .manifest import (
    BackupRefused, DatabaseSummary, Manifest, files_archive_path, summarise, verified_manifest, write_manifest,
)
from .stored_files import archive_files, restore_files

Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    pass


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: Manifest


@dataclass(frozen=True)
class RestoreResult:
    manifest: Manifest
    replaced: DatabaseSummary | None
    safety_backup: Path | None
    needs_migrate: bool


def create_backup(output_dir: Path | None = None, *, progress: Progress = _quiet, label: str = "") -> BackupResult:
    """Copy the live database into `output_dir` (default BOHAI_BACKUP_DIR) with its manifest."""
    database = live_database()
    seal_pending()  # the manifest names the head of the chain: everything written so far is in it
    directory = Path(output_dir or settings.BOHAI_BACKUP_DIR)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    created_at = timezone.now()
    path = _unused_name(directory, created_at, database.extension, label)
    # Written under a temporary name: a backup interrupted halfway must not look complete.
    partial = path.with_name(path.name + ".partial")
    progress(_("正在备份 %(vendor)s 数据库 → %(path)s") % {"vendor": database.vendor, "path": path})
    try:
        summary = database.dump(partial, progress)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.chmod(0o600)
    partial.rename(path)
    try:  # after the database: every file its rows name was in place before the row committed
        files = archive_files(files_archive_path(path), progress)
    except BaseException:
        path.unlink()
        raise
    manifest = write_manifest(path, vendor=database.vendor, created_at=created_at.isoformat(), summary=summary,
                              files=files)
    with transaction.atomic():
        record(actor="system:backup", action="backup.create", target_type="backup", after=_describe(manifest))
    progress(
        _("备份完成：%(size)s 字节，审计记录 %(records)d 条，SM3 %(checksum)s")
        % {"size": f"{manifest.size:,}", "records": manifest.audit_records, "checksum": manifest.checksum}
    )
    return BackupResult(path, manifest)


def _unused_name(directory: Path, created_at: datetime, extension: str, label: str) -> Path:
    stem = f"bohai-{timezone.localtime(created_at):%Y%m%d-%H%M%S}" + (f"-{label}" if label else "")
    path, number = directory / f"{stem}.{extension}", 1
    while path.exists():
        number += 1
        path = directory / f"{stem}-{number}.{extension}"
    return path


def _describe(manifest: Manifest) -> dict:
    return {
        "file": manifest.file,
        "checksum": manifest.checksum,
        "size": manifest.size,
        "backup_created_at": manifest.created_at,
        "audit_records": manifest.audit_records,
        "audit_head": manifest.audit_head,
        "files": manifest.files,
    }


def restore_backup(path: Path, *, progress: Progress = _quiet, safety_backup: bool = True) -> RestoreResult:
    """Replace the live database with a verified backup; refuses a corrupted or foreign file."""
    if connection.in_atomic_block:
        raise RuntimeError("restore_backup closes every connection; it cannot run inside a transaction")
    path = Path(path)
    progress(_("正在校验 %(name)s（SM3）") % {"name": path.name})
    manifest = verified_manifest(path)
    database = live_database()
    if manifest.vendor != database.vendor:
        raise BackupRefused(
            _("这是 %(backup)s 数据库的备份，当前数据库是 %(live)s，拒绝恢复。")
            % {"backup": manifest.vendor, "live": database.vendor}
        )
    created_at = timezone.localtime(datetime.fromisoformat(manifest.created_at))
    progress(_("校验通过：备份于 %(created)s，审计记录 %(records)d 条") % {
        "created": f"{created_at:%Y-%m-%d %H:%M:%S}", "records": manifest.audit_records})
    saved = None
    if safety_backup and _live_summary() is not None:
        progress(_("先备份当前数据库，以便需要时撤销本次恢复"))
        saved = create_backup(progress=progress, label="before-restore").path
    replaced = _live_summary()
    if manifest.files is not None:  # first, so that no restored row names a file not yet back
        restore_files(files_archive_path(path), progress)
    connections.close_all()
    progress(_("正在恢复数据库"))
    database.load(path, progress)
    connections.close_all()
    _check_restored(manifest)
    _record_restore(manifest, replaced)
    needs_migrate = _has_unapplied_migrations()
    if needs_migrate:
        progress(_("注意：备份的数据库结构比当前程序旧，请运行 bohai migrate"))
    progress(_("恢复完成"))
    return RestoreResult(manifest, replaced, saved, needs_migrate)


def _live_summary() -> DatabaseSummary | None:
    """What the live database holds, or None when it has no platform tables yet (a fresh machine)."""
    try:
        with connection.cursor() as cursor:
            return summarise(cursor)
    except DatabaseError:
        return None


def _check_restored(manifest: Manifest) -> None:
    restored = _live_summary()
    expected = (manifest.audit_records, manifest.audit_head)
    if restored is None or (restored.audit_records, restored.audit_head) != expected:
        raise BackupRefused(_("恢复后的审计链与备份清单不符，请检查数据库后重试。"))


def _record_restore(manifest: Manifest, replaced: DatabaseSummary | None) -> None:
    before = None
    if replaced is not None:
        before = {"audit_records": replaced.audit_records, "audit_head": replaced.audit_head}
    with transaction.atomic():
        record(actor="system:restore", action="backup.restore", target_type="backup", before=before,
               after=_describe(manifest))
    seal_pending()


def _has_unapplied_migrations() -> bool:
    executor = MigrationExecutor(connection)
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))
