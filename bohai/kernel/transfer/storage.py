"""Uploaded files waiting for a background import, kept SM4-encrypted until the job has read them.

An import file holds plaintext identity numbers; it never rests on disk in the clear.
"""
import io
import os
from pathlib import Path

import gmssl_pyx
from django.conf import settings

from bohai.kernel.crypto.fields import data_key

IV_BYTES = 16


def _path(run) -> Path:
    return Path(settings.MEDIA_ROOT) / "imports" / f"{run.pk}-{run.digest[:16]}.sm4"


def keep(run, stream) -> Path:
    stream.seek(0)
    iv = os.urandom(IV_BYTES)
    path = _path(run)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(iv + gmssl_pyx.sm4_cbc_padding_encrypt(data_key(), iv, stream.read()))
    path.chmod(0o600)
    return path


def open_kept(run) -> io.BytesIO:
    raw = _path(run).read_bytes()
    return io.BytesIO(gmssl_pyx.sm4_cbc_padding_decrypt(data_key(), raw[:IV_BYTES], raw[IV_BYTES:]))


def discard(run) -> None:
    _path(run).unlink(missing_ok=True)
