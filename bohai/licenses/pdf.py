"""The licence as a PDF: what the record says, the issuer's seal, a QR code to the public verification
page, and the watermark 仅供办理政务服务事项时使用.

The PDF is a rendering of the signed record, not the licence itself: whoever holds one checks it
by scanning the code. It is rendered on first download and kept under VAR_DIR/licenses/, named by
the signed content's digest and the public address it points to, so a changed record or address
renders anew and a lost file costs one rendering. It shows no status: a status changes after the
PDF is printed, and the verification page answers for it. Rendering is deterministic (ReportLab's
invariant mode), so two renderings of one record are the same bytes.

Fonts: ReportLab's built-in CID font STSong-Light, which needs no font file on the machine.
"""
import functools
import io
import math
import os
from pathlib import Path

import segno
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from reportlab.lib.colors import Color, HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from .models import License
from .signing import sm3_hex

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
WATERMARK = "仅供办理政务服务事项时使用"
FONT = "STSong-Light"
INK = HexColor("#182433")
SEAL_RED = HexColor("#c8102e")
MUTED = HexColor("#5f6b7a")
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 42
LABEL_X, VALUE_X, VALUE_WIDTH = 84, 210, 300
QR_SIZE = 118


def public_base_url() -> str:
    """Read when asked, so that a deployment sets BOHAI_PUBLIC_URL without touching settings."""
    return (os.environ.get("BOHAI_PUBLIC_URL") or DEFAULT_PUBLIC_URL).rstrip("/")


def verification_url(number: str) -> str:
    return public_base_url() + reverse("licenses:verify", args=[number])


def license_pdf(license: License) -> bytes:
    """The licence's PDF, rendered once and then read from VAR_DIR/licenses/."""
    path = pdf_path(license)
    if path.exists():
        return path.read_bytes()
    data = render_pdf(license)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
    return data


def pdf_path(license: License) -> Path:
    version = sm3_hex(f"{license.payload_digest}|{verification_url(license.number)}".encode())[:16]
    return Path(settings.VAR_DIR) / "licenses" / str(license.issue_date.year) / f"{license.number}-{version}.pdf"


def pdf_filename(license: License) -> str:
    return f"{license.number}.pdf"


@functools.lru_cache(maxsize=1)
def _register_font() -> None:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def render_pdf(license: License) -> bytes:
    _register_font()
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    page.setTitle(f"{license.name} {license.number}")
    page.setAuthor(license.agency_name)
    _watermark(page)
    _frame(page)
    _heading(page, license)
    bottom = _rows(page, license)
    _seal(page, license.agency_name, bottom)
    _qr_code(page, verification_url(license.number))
    _signature_line(page, license)
    page.showPage()
    page.save()
    return buffer.getvalue()


def _watermark(page) -> None:
    page.saveState()
    page.setFillColor(Color(0.55, 0.6, 0.68, alpha=0.16))
    page.setFont(FONT, 20)
    page.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
    page.rotate(30)
    for row in range(-6, 7):
        for column in range(-2, 3):
            page.drawCentredString(column * 320 + (row % 2) * 160, row * 90, WATERMARK)
    page.restoreState()


def _frame(page) -> None:
    page.setStrokeColor(INK)
    page.setLineWidth(1.6)
    page.rect(MARGIN, MARGIN, PAGE_WIDTH - 2 * MARGIN, PAGE_HEIGHT - 2 * MARGIN)
    page.setLineWidth(0.5)
    page.rect(MARGIN + 5, MARGIN + 5, PAGE_WIDTH - 2 * MARGIN - 10, PAGE_HEIGHT - 2 * MARGIN - 10)


def _heading(page, license: License) -> None:
    page.setFillColor(INK)
    page.setFont(FONT, 28 if len(license.name) <= 10 else 17)
    page.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 118, license.name)
    page.setFont(FONT, 11)
    page.setFillColor(MUTED)
    page.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 142, "电子证照")
    page.setFillColor(INK)
    page.setFont(FONT, 12)
    page.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 170, f"证照编号：{license.number}")
    page.setStrokeColor(MUTED)
    page.setLineWidth(0.5)
    page.line(LABEL_X, PAGE_HEIGHT - 186, PAGE_WIDTH - LABEL_X, PAGE_HEIGHT - 186)


def license_rows(license: License) -> list[tuple[str, str]]:
    """(label, value) of what the licence says, in the order it is printed and shown."""
    validity = f"{license.valid_from:%Y-%m-%d} 至 " + (
        f"{license.valid_until:%Y-%m-%d}" if license.valid_until else "长期")
    rows = [("持证主体", license.holder_name),
            (license.get_holder_id_type_display(), license.holder_id_masked)]
    rows += extension_rows(license)
    rows += [("颁证单位", license.agency_name), ("颁证日期", f"{license.issue_date:%Y-%m-%d}"),
             ("有效期限", validity)]
    return rows


def extension_rows(license: License) -> list[tuple[str, str]]:
    """In the type's order (PostgreSQL's jsonb keeps keys in an order of its own); keys the type no longer
    declares come last, under their own names."""
    declared = [(field["key"], field["label"]) for field in license.license_type.fields]
    values = license.extension
    rows = [(label, values[key]) for key, label in declared if key in values]
    known = {key for key, _label in declared}
    return rows + [(key, value) for key, value in values.items() if key not in known]


def _rows(page, license: License) -> float:
    y = PAGE_HEIGHT - 222
    for label, value in license_rows(license):
        page.setFont(FONT, 11)
        page.setFillColor(MUTED)
        page.drawString(LABEL_X, y, str(label))
        page.setFillColor(INK)
        page.setFont(FONT, 12)
        for line in _wrap(str(value), 12, VALUE_WIDTH):
            page.drawString(VALUE_X, y, line)
            y -= 18
        y -= 8
    return y


def _wrap(text: str, size: float, width: float) -> list[str]:
    """Break by characters: Chinese has no spaces to break at."""
    lines, line = [], ""
    for character in text:
        if line and pdfmetrics.stringWidth(line + character, FONT, size) > width:
            lines.append(line)
            line = ""
        line += character
    return [*lines, line] if line else lines or [""]


def _seal(page, agency_name: str, rows_bottom: float) -> None:
    """A round red mark with the issuer's name, beside the issuer line: the electronic seal's visible face."""
    x, y, radius = PAGE_WIDTH - LABEL_X - 70, max(rows_bottom + 40, 250), 52
    page.saveState()
    page.setStrokeColor(SEAL_RED)
    page.setFillColor(SEAL_RED)
    page.setLineWidth(2.4)
    page.circle(x, y, radius, stroke=1, fill=0)
    _star(page, x, y + 6, 13)
    page.setFont(FONT, 8 if len(agency_name) > 10 else 9)
    for index, line in enumerate(_wrap(agency_name, 9, radius * 1.6)[:2]):
        page.drawCentredString(x, y - 18 - index * 10, line)
    page.setFont(FONT, 7)
    page.drawCentredString(x, y + 28, "电子证照专用章")
    page.restoreState()


def _star(page, x: float, y: float, size: float) -> None:
    points = []
    for index in range(10):
        reach = size if index % 2 == 0 else size * 0.4
        angle = math.pi / 2 + index * math.pi / 5
        points.append((x + reach * math.cos(angle), y + reach * math.sin(angle)))
    path = page.beginPath()
    path.moveTo(*points[0])
    for point in points[1:]:
        path.lineTo(*point)
    path.close()
    page.drawPath(path, stroke=0, fill=1)


def qr_png(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=4, border=2)
    return buffer.getvalue()


def _qr_code(page, url: str) -> None:
    x, y = LABEL_X, 96
    page.drawImage(ImageReader(io.BytesIO(qr_png(url))), x, y, QR_SIZE, QR_SIZE)
    page.setFillColor(INK)
    page.setFont(FONT, 11)
    page.drawString(x + QR_SIZE + 14, y + QR_SIZE - 22, "扫码核验证照真伪与状态")
    page.setFont(FONT, 8)
    page.setFillColor(MUTED)
    for index, line in enumerate(_wrap(url, 8, 280)[:3]):
        page.drawString(x + QR_SIZE + 14, y + QR_SIZE - 40 - index * 11, line)


def _signature_line(page, license: License) -> None:
    page.setFont(FONT, 7)
    page.setFillColor(MUTED)
    page.drawString(LABEL_X, 66, f"电子签名：SM2（GB/T 32918），密钥 {license.signing_key_id}，签名时间 "
                                 f"{timezone.localtime(license.signed_at):%Y-%m-%d}")
    page.drawString(LABEL_X, 56, f"签名内容摘要（SM3）：{license.payload_digest}")
