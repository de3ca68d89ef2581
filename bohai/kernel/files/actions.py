"""Accepting an upload: judged by its content, kept once under its digest, audited.

The checks (decoding an image, opening a PDF) and the disk write happen before the database
transaction opens: on SQLite a transaction holds the write lock from its first statement, and
decoding a large photo must not keep every other writer waiting. The row and its audit record
are then written by one action, after the file is in place; a file whose row never commits is
an orphan, harmless, and `remove_orphan_files` deletes it a day later.
"""
import os
import re
import unicodedata
from datetime import timedelta
from itertools import islice

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from bohai.kernel.audit.recording import record
from bohai.kernel.audit.service import service_action

from . import kinds, storage
from .models import StoredFile

DEFAULT_KINDS = ("pdf", "jpeg", "png")
MB = 1024 * 1024
MAX_NAME_LENGTH = 200
ORPHAN_AGE = timedelta(days=1)
_UNSAFE_IN_NAMES = re.compile(r'[<>:"/\\|?*]')


def store_upload(uploaded, *, actor, allowed_kinds=DEFAULT_KINDS, max_bytes: int | None = None,
                 field: str = "file", name: str = "") -> StoredFile:
    """Check an upload and keep it; the same content is kept once and its row returned again.

    `uploaded`: a Django UploadedFile (or any django File), or bytes with `name`.
    `max_bytes`: default BOHAI_MAX_UPLOAD_BYTES. Raises ValidationError({field: [reason]}).
    """
    upload = _as_file(uploaded, name)
    limit = settings.BOHAI_MAX_UPLOAD_BYTES if max_bytes is None else max_bytes
    try:
        kind = _inspect(upload, allowed_kinds, limit)
        digest, size = _digest(upload, limit)
    except kinds.Refused as refusal:
        raise ValidationError({field: [refusal.message]}) from None
    _put_on_disk(upload, digest, size)
    return _record_stored_file(
        actor=actor, digest=digest, size=size, kind=kind, original_name=clean_name(upload.name, kind),
    )


def _as_file(uploaded, name: str) -> File:
    if isinstance(uploaded, (bytes, bytearray, memoryview)):
        return SimpleUploadedFile(name or "file", bytes(uploaded))
    return uploaded


def _inspect(upload: File, allowed_kinds, limit: int) -> kinds.FileKind:
    """Size, kind by content, and the content read whole; raises kinds.Refused."""
    if not upload.size:
        raise kinds.Refused(_("文件为空（0 字节），请重新选择文件"))
    _check_size(upload.size, limit)
    upload.seek(0)
    head = upload.read(kinds.HEAD_BYTES)
    kind = kinds.detect(head)
    if kind is None or kind.name not in allowed_kinds:
        raise kinds.Refused(_wrong_kind_message(head, allowed_kinds))
    upload.seek(0)
    try:
        kind.check(upload)
    finally:
        upload.seek(0)
    return kind


def _check_size(size: int, limit: int) -> None:
    if size > limit:
        raise kinds.Refused(_("文件过大：收到 %(size)s MB，上限为 %(limit)s MB") % {
            "size": _megabytes(size), "limit": _megabytes(limit)})


def _megabytes(count: int) -> str:
    text = f"{count / MB:.2f}".rstrip("0").rstrip(".")
    return text if text != "0" else f"{count / MB:.2g}"


def _wrong_kind_message(head: bytes, allowed_kinds) -> str:
    allowed = "、".join(str(kinds.get_kind(name).label) for name in allowed_kinds)
    return _("文件内容是%(actual)s，不是允许的类型（允许：%(allowed)s）。类型按文件内容判断，与文件名无关") % {
        "actual": kinds.describe(head), "allowed": allowed}


def _digest(upload: File, limit: int) -> tuple[str, int]:
    """SM3 and size of what was really received (a claimed size is not trusted)."""
    hasher, size = storage.new_hasher(), 0
    for chunk in upload.chunks(storage.CHUNK_BYTES):
        size += len(chunk)
        _check_size(size, limit)
        hasher.update(chunk)
    return hasher.hexdigest(), size


def _put_on_disk(upload: File, digest: str, size: int) -> None:
    path = storage.path_for(digest)
    if storage.is_present(digest, size) and _intact(path, digest):
        os.utime(path)  # fresh again: the orphan clean-up leaves recently touched files alone
        return
    storage.write(digest, upload.chunks(storage.CHUNK_BYTES))


def _intact(path, digest: str) -> bool:
    with path.open("rb") as stream:
        return storage.digest_of(stream) == digest


@service_action
def _record_stored_file(*, actor, digest: str, size: int, kind: kinds.FileKind, original_name: str) -> StoredFile:
    """The row of a file already in place (or the existing row of the same content), and its audit record."""
    stored = StoredFile.objects.filter(digest=digest).first()
    reused = stored is not None
    if stored is None:
        stored = _create_row(digest, size, kind, original_name, _uploader(actor))
    record(actor=actor, action="files.store", target=stored, after={
        "digest": digest, "size": size, "kind": kind.name, "original_name": original_name, "reused": reused})
    return stored


def _create_row(digest, size, kind, original_name, uploaded_by) -> StoredFile:
    try:
        with transaction.atomic():
            return StoredFile.objects.create(
                digest=digest, size=size, kind=kind.name, content_type=kind.content_type,
                original_name=original_name, uploaded_by=uploaded_by,
            )
    except IntegrityError:  # the same content, uploaded at the same moment by someone else, won the race
        return StoredFile.objects.get(digest=digest)


def _uploader(actor):
    return actor if isinstance(actor, get_user_model()) and actor.pk else None


def clean_name(name: str, kind: kinds.FileKind) -> str:
    """The last part of a client's file name, without control, direction or path characters, shortened."""
    base = re.split(r"[/\\]", name or "")[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(c for c in base if unicodedata.category(c) not in ("Cc", "Cf"))
    base = _UNSAFE_IN_NAMES.sub("", base).strip().strip(".").strip()
    if len(base) > MAX_NAME_LENGTH:
        stem, dot, suffix = base.rpartition(".")
        keep = f".{suffix}" if dot and len(suffix) <= 10 else ""
        base = base[:MAX_NAME_LENGTH - len(keep)] + keep
    return base or _("文件") + kind.extension


def remove_orphan_files(*, actor, older_than: timedelta = ORPHAN_AGE) -> dict:
    """Delete files that no row names and temporary files of crashed writes, once older than `older_than`."""
    seconds = older_than.total_seconds()
    removed = 0
    for batch in _batches(storage.stored_files(), 500):
        known = set(StoredFile.objects.filter(digest__in=[d for d, _ in batch]).values_list("digest", flat=True))
        for digest, path in batch:
            if digest not in known and _still_orphan(digest, path, seconds):
                path.unlink(missing_ok=True)
                removed += 1
    temporary = 0
    for path in storage.temporary_files():
        if storage.older_than(path, seconds):
            path.unlink(missing_ok=True)
            temporary += 1
    if removed or temporary:
        with transaction.atomic():
            record(actor=actor, action="files.remove_orphans", target_type="files.storedfile",
                   after={"removed": removed, "temporary": temporary, "older_than_seconds": int(seconds)})
    return {"removed": removed, "temporary": temporary}


def _batches(items, size: int):
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _still_orphan(digest: str, path, seconds: float) -> bool:
    # Checked again just before deleting: an upload of the same content may have arrived meanwhile.
    return storage.older_than(path, seconds) and not StoredFile.objects.filter(digest=digest).exists()
