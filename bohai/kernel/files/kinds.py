"""What an uploaded file is, judged by its content: never by its name or the type the client claims.

Each accepted kind has a signature (magic bytes at the start of the file) and a check that
the whole content can really be read: an image is fully decoded by Pillow, a PDF is opened
by pypdf. Other apps may add kinds with `register_kind`.
"""
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image
from pypdf import PdfReader

HEAD_BYTES = 64
# Decoding needs about 3 bytes a pixel: 60 megapixels (a 50 MP phone photo fits) is ~180 MB at most.
MAX_IMAGE_PIXELS = 60_000_000


class Refused(Exception):
    """The content is not acceptable; the message says why, for the person who uploaded it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FileKind:
    name: str  # "pdf": what callers list in allowed_kinds and what StoredFile.kind holds
    label: str | Promise  # what users read: "PDF 文档"
    content_type: str
    extension: str  # with the dot: ".pdf"
    signatures: tuple[bytes, ...]  # the file starts with one of these
    check: Callable[[BinaryIO], None]  # raises Refused when the content cannot be read whole
    other_extensions: tuple[str, ...] = ()

    def matches(self, head: bytes) -> bool:
        return head.startswith(self.signatures)

    def names_itself(self, file_name: str) -> bool:
        """Whether the name already ends in one of this kind's extensions."""
        return file_name.lower().endswith((self.extension, *self.other_extensions))


_kinds: dict[str, FileKind] = {}


def register_kind(kind: FileKind) -> None:
    _kinds[kind.name] = kind


def get_kind(name: str) -> FileKind:
    try:
        return _kinds[name]
    except KeyError:
        raise LookupError(f"no file kind is registered as {name!r}") from None


def detect(head: bytes) -> FileKind | None:
    """The registered kind whose signature starts the content, or None."""
    return next((kind for kind in _kinds.values() if kind.matches(head)), None)


# Kinds we do not accept but can name, so that a refusal says what the file really is.
_OTHER_SIGNATURES = (
    (0, b"GIF87a", gettext_lazy("GIF 图片")),
    (0, b"GIF89a", gettext_lazy("GIF 图片")),
    (0, b"PK\x03\x04", gettext_lazy("ZIP 压缩包（或 Word、Excel 等新版 Office 文档）")),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", gettext_lazy("旧版 Office 文档（.doc、.xls）")),
    (0, b"Rar!", gettext_lazy("RAR 压缩包")),
    (0, b"7z\xbc\xaf\x27\x1c", gettext_lazy("7z 压缩包")),
    (0, b"\x1f\x8b", gettext_lazy("gzip 压缩包")),
    (0, b"II*\x00", gettext_lazy("TIFF 图片")),
    (0, b"MM\x00*", gettext_lazy("TIFF 图片")),
    (8, b"WEBP", gettext_lazy("WebP 图片")),
    (4, b"ftypheic", gettext_lazy("HEIC 图片（苹果手机照片）")),
    (4, b"ftypmif1", gettext_lazy("HEIF 图片")),
    (4, b"ftypavif", gettext_lazy("AVIF 图片")),
    (4, b"ftyp", gettext_lazy("视频文件")),
    (0, b"MZ", gettext_lazy("Windows 可执行程序")),
    (0, b"\x7fELF", gettext_lazy("可执行程序")),
    (0, b"{\\rtf", gettext_lazy("RTF 文档")),
)


def describe(head: bytes) -> str:
    """What the content is, in words: a registered kind, a known other kind, or 未知类型."""
    kind = detect(head)
    if kind is not None:
        return str(kind.label)
    for offset, signature, label in _OTHER_SIGNATURES:
        if head[offset:offset + len(signature)] == signature:
            return str(label)
    return _("未知类型")


def _check_image(expected_format: str) -> Callable[[BinaryIO], None]:
    def check(stream: BinaryIO) -> None:
        try:
            with warnings.catch_warnings():
                # Our own, lower limit follows with the image's size; Pillow still raises past twice its own.
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(stream, formats=[expected_format]) as image:
                    _check_pixels(*image.size)
                    image.load()  # decodes every pixel: a truncated or damaged image fails here
        except Refused:
            raise
        except Image.DecompressionBombError:
            raise Refused(_too_many_pixels_message()) from None
        except Exception:  # Pillow raises many kinds of errors on damaged data
            raise Refused(_("图片已损坏或不完整，无法打开，请重新拍摄或导出后再上传")) from None

    return check


def _too_many_pixels_message(width: int | None = None, height: int | None = None) -> str:
    limit = MAX_IMAGE_PIXELS // 10_000
    if width is None:
        return _("图片像素过多，上限为 %(limit)d 万像素") % {"limit": limit}
    return _("图片像素过多（%(width)d×%(height)d），上限为 %(limit)d 万像素，请缩小后再上传") % {
        "width": width, "height": height, "limit": limit}


def _check_pixels(width: int, height: int) -> None:
    if width * height > MAX_IMAGE_PIXELS:
        raise Refused(_too_many_pixels_message(width, height))


def _check_pdf(stream: BinaryIO) -> None:
    try:
        reader = PdfReader(stream)
        if reader.is_encrypted:
            raise Refused(_("PDF 文件已加密（设有密码或权限限制），请上传未加密的文件"))
        pages = len(reader.pages)
    except Refused:
        raise
    except Exception:  # pypdf raises many kinds of errors on damaged files
        raise Refused(_("PDF 文件已损坏或不完整，无法打开，请重新导出后再上传")) from None
    if pages == 0:
        raise Refused(_("PDF 文件没有任何页面"))


register_kind(FileKind("pdf", gettext_lazy("PDF 文档"), "application/pdf", ".pdf", (b"%PDF-",), _check_pdf))
register_kind(FileKind("jpeg", gettext_lazy("JPEG 图片"), "image/jpeg", ".jpg", (b"\xff\xd8\xff",),
                       _check_image("JPEG"), (".jpeg", ".jpe")))
register_kind(FileKind("png", gettext_lazy("PNG 图片"), "image/png", ".png", (b"\x89PNG\r\n\x1a\n",),
                       _check_image("PNG")))
