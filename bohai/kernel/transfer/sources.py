"""Checking an uploaded table file before anything is imported, and reading its rows.

A file is judged by its content, never by its name: an XLSX is a ZIP archive that openpyxl
can open; a CSV is text that decodes as UTF-8 (with or without BOM) or GB18030 (what Excel
on a Chinese Windows writes). Everything else is refused with a reason the user can act on.
"""
import codecs
import csv
import hashlib
import io
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

import openpyxl
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _


CHUNK_BYTES = 1 << 20
SNIFF_BYTES = 64 * 1024
CSV_ENCODINGS = ("utf-8", "gb18030")
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the pre-2007 .xls format
OTHER_MAGICS = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!", b"{\\rtf")
# Excel stores long digit strings typed as numbers as floats: 18 digits do not survive.
LONGEST_EXACT_NUMBER = 15


class FileRefused(ValidationError):
    """The file cannot be imported at all; nothing was stored."""

    def __init__(self, message: str):
        super().__init__({"file": [message]})
        self.reason = message


@dataclass(frozen=True)
class InspectedFile:
    file_format: str  # "csv" or "xlsx"
    size: int
    digest: str  # SM3 of the bytes, so that the same file imported twice can be recognised
    encoding: str = ""
    delimiter: str = ","


UPLOAD_LIMIT = "upload"  # settings.BOHAI_MAX_UPLOAD_BYTES, read when a file is checked


def inspect_file(stream, max_bytes: int | str | None = UPLOAD_LIMIT) -> InspectedFile:
    """Size, type by content, encoding and digest; raises FileRefused. Leaves the stream at 0.

    `max_bytes`: the upload limit by default; None for files an operator imports on the server.
    """
    limit = settings.BOHAI_MAX_UPLOAD_BYTES if max_bytes == UPLOAD_LIMIT else max_bytes
    _check_size(stream.seek(0, os.SEEK_END), limit)
    stream.seek(0)
    head = stream.read(SNIFF_BYTES)
    if not head:
        raise FileRefused(_("文件为空"))
    if head.startswith(ZIP_MAGIC):
        size, digest, _encoding = _scan(stream, encodings=())
        _check_workbook(stream)
        return InspectedFile("xlsx", size, digest)
    _refuse_known_binary(head)
    size, digest, encoding = _scan(stream, encodings=CSV_ENCODINGS)
    if encoding is None:
        raise FileRefused(_("文件既不是 XLSX，也不是可识别编码（UTF-8 或 GB18030）的 CSV 文本"))
    text = head.decode(encoding, errors="ignore")
    return InspectedFile("csv", size, digest, encoding, _delimiter(text))


def _check_size(size: int, limit: int | None) -> None:
    if limit is not None and size > limit:
        raise FileRefused(
            _("文件过大（%(size)s），上限为 %(limit)s") % {"size": filesizeformat(size), "limit": filesizeformat(limit)}
        )


def _refuse_known_binary(head: bytes) -> None:
    if head.startswith(OLE_MAGIC):
        raise FileRefused(_("不支持旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 或 CSV"))
    if head.startswith(OTHER_MAGICS) or b"\x00" in head:
        raise FileRefused(_("文件类型不支持：请上传 CSV（UTF-8 或 GB18030 编码）或 XLSX 文件"))


def _scan(stream, *, encodings: tuple[str, ...]) -> tuple[int, str, str | None]:
    """One pass over the bytes: size, SM3 digest and the first encoding that decodes all of it."""
    stream.seek(0)
    hasher = hashlib.new("sm3")
    decoders = {name: codecs.getincrementaldecoder(name)() for name in encodings}
    size = 0
    first = True
    while chunk := stream.read(CHUNK_BYTES):
        if first and chunk.startswith(codecs.BOM_UTF8):
            decoders = {"utf-8-sig": codecs.getincrementaldecoder("utf-8-sig")()}
        first = False
        size += len(chunk)
        hasher.update(chunk)
        for name in list(decoders):
            if not _decodes(decoders[name], chunk):
                del decoders[name]
    for name in list(decoders):
        if not _decodes(decoders[name], b"", final=True):
            del decoders[name]
    stream.seek(0)
    return size, hasher.hexdigest(), next(iter(decoders), None)


def _decodes(decoder, chunk: bytes, final: bool = False) -> bool:
    try:
        text = decoder.decode(chunk, final)
    except UnicodeDecodeError:
        return False
    return "\x00" not in text


def _check_workbook(stream) -> None:
    try:
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        raise FileRefused(_("ZIP 文件不是有效的 XLSX 工作簿"))
    except Exception:  # openpyxl raises many kinds of errors on malformed parts
        raise FileRefused(_("无法读取该 XLSX 工作簿，请在 Excel 中重新保存后再试"))
    finally:
        stream.seek(0)
    if not workbook.worksheets:
        workbook.close()
        raise FileRefused(_("工作簿中没有工作表"))
    workbook.close()


def _delimiter(text: str) -> str:
    first_line = text.splitlines()[0] if text else ""
    candidates = [(first_line.count(sep), sep) for sep in (",", "\t", ";", "，")]
    count, separator = max(candidates)
    return separator if count else ","


def read_rows(stream, inspected: InspectedFile) -> Iterator[tuple[int, list[str]]]:
    """(line number, cell texts) of every row, the header being line 1; blank rows are skipped."""
    rows = _xlsx_rows(stream) if inspected.file_format == "xlsx" else _csv_rows(stream, inspected)
    for line, cells in enumerate(rows, start=1):
        if any(cells):
            yield line, cells


def _csv_rows(stream, inspected: InspectedFile) -> Iterator[list[str]]:
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding=inspected.encoding, newline="")
    try:
        for row in csv.reader(text, delimiter=inspected.delimiter):
            yield [cell.strip() for cell in row]
    finally:
        text.detach()  # the caller owns the underlying file


def _xlsx_rows(stream) -> Iterator[list[str]]:
    stream.seek(0)
    workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    try:
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            yield [cell_text(value) for value in row]
    finally:
        workbook.close()


class NumericCell(str):
    """Text of a cell that Excel stored as a number (so long digit strings may have lost digits)."""


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return NumericCell(f"{value:.0f}")
    if isinstance(value, (int, float)):
        return NumericCell(str(value))
    return str(value).strip()


def lost_precision(text: str) -> bool:
    return isinstance(text, NumericCell) and len(text) > LONGEST_EXACT_NUMBER
