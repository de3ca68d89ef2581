import io

import pytest
from PIL import Image
from pypdf import PdfWriter


@pytest.fixture(autouse=True)
def files_dir(settings, tmp_path):
    settings.BOHAI_FILES_DIR = tmp_path / "files"
    return settings.BOHAI_FILES_DIR


def image_bytes(image_format: str, size=(64, 48), colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=image_format)
    return buffer.getvalue()


def pdf_bytes(pages: int = 1, password: str | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    if password:
        writer.encrypt(password, algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture
def png():
    return image_bytes("PNG")


@pytest.fixture
def jpeg():
    return image_bytes("JPEG")


@pytest.fixture
def pdf():
    return pdf_bytes()
