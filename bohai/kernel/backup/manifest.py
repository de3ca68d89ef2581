"""The manifest beside each backup file: what it holds and its SM3 checksum.

`bohai-20260101-020000.sqlite3` is described by `bohai-20260101-020000.sqlite3.manifest.json`:
the checksum and size of the file, the database vendor, when it was made, the migrations
applied in it, and the length and head of its audit chain. Since format 2 the stored files
(kernel/files) travel beside it as `….sqlite3.files.tar`, whose checksum the manifest also holds.
`restore` checks the checksums before touching anything, and the audit head after restoring.
"""
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from bohai.kernel.audit.models import AuditRecord

FORMAT = "bohai-backup/2"
READABLE_FORMATS = ("bohai-backup/1", FORMAT)  # format 1: the database alone, no files
CHECKSUM_ALGORITHM = "SM3"
_CHUNK_BYTES = 1 << 20


class BackupRefused(Exception):
    """The backup cannot be used: missing, corrupted, or not for this database."""


@dataclass(frozen=True)
class DatabaseSummary:
    """What a database holds, read from the same snapshot as the backup itself."""

    migrations_applied: int
    latest_migrations: dict[str, str]
    audit_records: int
    audit_head: dict | None  # {"seq": …, "hash": …} of the last audit record


@dataclass(frozen=True)
class Manifest:
    file: str
    checksum: str
    size: int
    vendor: str
    created_at: str
    migrations: dict
    audit_records: int
    audit_head: dict | None
    format: str = FORMAT
    algorithm: str = CHECKSUM_ALGORITHM
    files: dict | None = None  # {"file", "checksum", "size", "count"} of the stored files' archive


def summarise(cursor) -> DatabaseSummary:
    """Read the summary through any DB-API cursor (sqlite3 or Django's); plain SQL, no parameters."""
    cursor.execute("SELECT app, name FROM django_migrations")
    applied = cursor.fetchall()
    latest: dict[str, str] = {}
    for app, name in applied:
        latest[app] = max(latest.get(app, ""), name)
    table = AuditRecord._meta.db_table
    cursor.execute(f"SELECT COUNT(*) FROM {table}")
    (count,) = cursor.fetchone()
    cursor.execute(f"SELECT seq, hash FROM {table} ORDER BY seq DESC LIMIT 1")
    head = cursor.fetchone()
    return DatabaseSummary(
        migrations_applied=len(applied),
        latest_migrations=dict(sorted(latest.items())),
        audit_records=count,
        audit_head={"seq": head[0], "hash": head[1]} if head else None,
    )


def sm3_of_file(path: Path) -> str:
    digest = hashlib.new("sm3")
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def manifest_path(backup: Path) -> Path:
    return backup.with_name(backup.name + ".manifest.json")


def files_archive_path(backup: Path) -> Path:
    return backup.with_name(backup.name + ".files.tar")


def write_manifest(backup: Path, *, vendor: str, created_at: str, summary: DatabaseSummary,
                   files: dict | None = None) -> Manifest:
    manifest = Manifest(
        file=backup.name,
        checksum=sm3_of_file(backup),
        size=backup.stat().st_size,
        vendor=vendor,
        created_at=created_at,
        migrations={"applied": summary.migrations_applied, "latest": summary.latest_migrations},
        audit_records=summary.audit_records,
        audit_head=summary.audit_head,
        files=files,
    )
    target = manifest_path(backup)
    target.write_text(json.dumps(asdict(manifest), ensure_ascii=False, indent=2), encoding="utf-8")
    target.chmod(0o600)
    return manifest


def verified_manifest(backup: Path) -> Manifest:
    """The backup's manifest, once the file is found whole; BackupRefused otherwise."""
    if not backup.is_file():
        raise BackupRefused(_("找不到备份文件：%(path)s") % {"path": backup})
    described_by = manifest_path(backup)
    if not described_by.is_file():
        raise BackupRefused(_("找不到备份清单 %(path)s，无法校验，拒绝恢复。") % {"path": described_by.name})
    try:
        manifest = Manifest(**json.loads(described_by.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as error:
        raise BackupRefused(_("备份清单无法读取（%(error)s），拒绝恢复。") % {"error": error}) from None
    if manifest.format not in READABLE_FORMATS or manifest.algorithm != CHECKSUM_ALGORITHM:
        raise BackupRefused(_("不支持的备份格式：%(format)s") % {"format": manifest.format})
    _check_file(backup, manifest.size, manifest.checksum)
    if manifest.files is not None:
        archive = files_archive_path(backup)
        if not archive.is_file():
            raise BackupRefused(_("找不到文件备份 %(path)s，拒绝恢复。") % {"path": archive.name})
        _check_file(archive, manifest.files["size"], manifest.files["checksum"])
    return manifest


def _check_file(path: Path, size: int, checksum: str) -> None:
    if path.stat().st_size != size or sm3_of_file(path) != checksum:
        raise BackupRefused(
            _("备份文件已损坏或被篡改：SM3 校验值与清单不符，拒绝恢复。（%(name)s）") % {"name": path.name}
        )
