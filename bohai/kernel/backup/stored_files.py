"""The stored files (kernel/files) in a backup: one tar archive beside the database copy.

Files are named by their SM3 digest and never change, so the archive is taken after the
database snapshot: every file a backed-up row names was in place before its row committed,
so it is in the archive. A restore writes each file back whole (temporary name, fsync, rename)
and checks it against its name; files the restored database no longer names become orphans,
which the clean-up job removes a day later.
"""
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

from django.utils.translation import gettext as _

from bohai.kernel.files import storage

from .manifest import BackupRefused, sm3_of_file

Progress = Callable[[str], None]


def archive_files(target: Path, progress: Progress) -> dict:
    """Write every stored file into the tar archive `target`; its description for the manifest."""
    progress(_("正在备份上传文件目录 %(path)s") % {"path": storage.files_dir()})
    partial = target.with_name(target.name + ".partial")
    try:
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
            count = sum(_add(tar, digest, path) for digest, path in storage.stored_files())
        partial.chmod(0o600)
        partial.rename(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    size = target.stat().st_size
    progress(_("上传文件 %(count)d 个，归档 %(size)s 字节") % {"count": count, "size": f"{size:,}"})
    return {"file": target.name, "checksum": sm3_of_file(target), "size": size, "count": count}


def _add(tar: tarfile.TarFile, digest: str, path: Path) -> int:
    try:
        with path.open("rb") as stream:
            info = tar.gettarinfo(arcname=storage.relative_path(digest), fileobj=stream)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mode = 0o600
            tar.addfile(info, stream)
    except FileNotFoundError:  # an orphan removed by the clean-up job meanwhile
        return 0
    return 1


def restore_files(archive: Path, progress: Progress) -> int:
    """Put every file of a verified archive back in the files directory; how many were written."""
    progress(_("正在恢复上传文件 → %(path)s") % {"path": storage.files_dir()})
    written = 0
    with tarfile.open(archive, "r:") as tar:
        members = [(member, _digest_of_member(member)) for member in tar.getmembers()]
        for member, digest in members:
            if storage.is_present(digest, member.size) and _intact(digest):
                continue
            _write(digest, tar.extractfile(member))
            written += 1
    progress(_("已恢复上传文件 %(count)d 个（其余已在目录中且完好）") % {"count": written})
    return written


def _digest_of_member(member: tarfile.TarInfo) -> str:
    # Only plain files named ab/cd/<digest>: nothing in an archive can write elsewhere.
    if not member.isfile() or not storage.is_stored_name(member.name):
        raise BackupRefused(_("文件备份中含有不应有的条目：%(name)s，拒绝恢复。") % {"name": member.name})
    return member.name.rsplit("/", 1)[1]


def _write(digest: str, stream) -> None:
    try:
        storage.write(digest, _chunks(stream))
    except storage.StorageError:
        raise BackupRefused(_("文件备份中的 %(digest)s 与其 SM3 摘要不符，拒绝恢复。") % {"digest": digest}) from None


def _intact(digest: str) -> bool:
    with storage.path_for(digest).open("rb") as stream:
        return storage.digest_of(stream) == digest


def _chunks(stream) -> Iterator[bytes]:
    while chunk := stream.read(storage.CHUNK_BYTES):
        yield chunk
