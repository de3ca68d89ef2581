"""The bytes of stored files on disk, named by their SM3 digest: BOHAI_FILES_DIR/ab/cd/abcd….

A file is written under a temporary name in its final directory, flushed to disk (fsync), and
only then renamed into place (os.replace is atomic on one file system). A crash at any moment
leaves either no file under the final name or the whole file, never half of one; what it may
leave is a temporary file, which `remove_orphans` deletes once it is old.
"""
import hashlib
import logging
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.conf import settings

logger = logging.getLogger("bohai.files")

CHUNK_BYTES = 1 << 20
TEMP_PREFIX = ".partial-"
DIGEST = re.compile(r"[0-9a-f]{64}")


class StorageError(Exception):
    """The disk does not hold what the database says it should."""


def files_dir() -> Path:
    return Path(settings.BOHAI_FILES_DIR)


def path_for(digest: str) -> Path:
    if not DIGEST.fullmatch(digest):
        raise ValueError(f"not an SM3 hex digest: {digest!r}")
    return files_dir() / digest[:2] / digest[2:4] / digest


def relative_path(digest: str) -> str:
    """The path inside the files directory, as backups name it: ab/cd/abcd…."""
    return f"{digest[:2]}/{digest[2:4]}/{digest}"


def is_stored_name(relative: str) -> bool:
    parts = relative.split("/")
    return len(parts) == 3 and bool(DIGEST.fullmatch(parts[2])) and parts[:2] == [parts[2][:2], parts[2][2:4]]


def new_hasher():
    return hashlib.new("sm3")


def write(digest: str, chunks: Iterable[bytes]) -> Path:
    """Put the content whose SM3 is `digest` in place, whole or not at all."""
    target = path_for(digest)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX)  # mode 0600
    try:
        hasher = new_hasher()
        with os.fdopen(descriptor, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
                hasher.update(chunk)
            out.flush()
            os.fsync(out.fileno())
        if hasher.hexdigest() != digest:
            raise StorageError(f"the content changed while it was stored (expected SM3 {digest})")
        move_into_place(Path(temporary), target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def move_into_place(temporary: Path, target: Path) -> None:
    os.replace(temporary, target)
    _fsync_directory(target.parent)  # the rename itself survives a power cut


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def is_present(digest: str, size: int) -> bool:
    """Cheap: the file exists with the expected size (the content is verified when read)."""
    try:
        return path_for(digest).stat().st_size == size
    except FileNotFoundError:
        return False


def digest_of(stream) -> str:
    hasher = new_hasher()
    while chunk := stream.read(CHUNK_BYTES):
        hasher.update(chunk)
    return hasher.hexdigest()


def stored_files() -> Iterator[tuple[str, Path]]:
    """(digest, path) of every file under its final name."""
    root = files_dir()
    for path in sorted(root.glob("??/??/*")):
        if path.is_file() and is_stored_name(path.relative_to(root).as_posix()):
            yield path.name, path


def temporary_files() -> Iterator[Path]:
    """Left behind by a write that crashed (a live write holds its temporary file for seconds)."""
    return (path for path in files_dir().glob(f"??/??/{TEMP_PREFIX}*") if path.is_file())


def older_than(path: Path, seconds: float) -> bool:
    try:
        return path.stat().st_mtime < time.time() - seconds
    except FileNotFoundError:
        return False
