"""Accepting uploads: each refusal says why in Chinese; accepted content is kept once, whole, audited."""
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from PIL import Image

from bohai.kernel.audit.models import AuditRecord
from bohai.kernel.files import storage
from bohai.kernel.files.actions import clean_name, store_upload
from bohai.kernel.files.kinds import get_kind
from bohai.kernel.files.models import StoredFile

from .conftest import image_bytes, pdf_bytes

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def refusal(content, name="材料.pdf", **options) -> str:
    with pytest.raises(ValidationError) as refused:
        store_upload(content, name=name, actor="test", **options)
    field = options.get("field", "file")
    assert list(refused.value.message_dict) == [field]
    return refused.value.message_dict[field][0]


def test_a_pdf_is_stored_under_its_digest_with_its_detected_type(pdf):
    stored = store_upload(SimpleUploadedFile("申请书.pdf", pdf, content_type="text/plain"), actor="test")

    assert stored.kind == "pdf" and stored.content_type == "application/pdf"
    assert stored.size == len(pdf) and stored.original_name == "申请书.pdf"
    path = storage.path_for(stored.digest)
    assert path.read_bytes() == pdf
    digest = stored.digest
    assert path.relative_to(storage.files_dir()).as_posix() == f"{digest[:2]}/{digest[2:4]}/{digest}"
    assert path.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("image_format,kind,content_type", [
    ("PNG", "png", "image/png"), ("JPEG", "jpeg", "image/jpeg"),
])
def test_images_are_recognised_by_content_not_by_name(image_format, kind, content_type):
    stored = store_upload(image_bytes(image_format), name="photo.pdf", actor="test")
    assert (stored.kind, stored.content_type) == (kind, content_type)


def test_a_large_file_spooled_to_disk_is_accepted(jpeg):
    upload = TemporaryUploadedFile("现场照片.jpg", "image/jpeg", len(jpeg), None)
    upload.write(jpeg)
    upload.seek(0)
    assert store_upload(upload, actor="test").kind == "jpeg"


def test_the_sm3_digest_names_the_content(png):
    import hashlib

    stored = store_upload(png, name="a.png", actor="test")
    assert stored.digest == hashlib.new("sm3", png).hexdigest()


def test_an_empty_file_is_refused():
    assert "文件为空" in refusal(b"")


def test_a_file_over_the_limit_says_the_limit_and_the_size(pdf):
    big = pdf + b"\n%" + b"x" * (3 * MB // 2)
    message = refusal(big, max_bytes=1 * MB)
    assert "文件过大" in message and "上限为 1 MB" in message and "收到 1.5 MB" in message
    assert not StoredFile.objects.exists()


def test_the_default_limit_is_the_upload_setting(settings, pdf):
    settings.BOHAI_MAX_UPLOAD_BYTES = 100
    assert "文件过大" in refusal(pdf)


def test_a_claimed_size_is_not_trusted(pdf):
    upload = SimpleUploadedFile("a.pdf", pdf)
    upload.size = 10  # what a misbehaving client library might report
    assert "文件过大" in refusal(upload, max_bytes=100)


def test_a_png_named_pdf_is_refused_and_the_message_says_what_it_is(png):
    message = refusal(png, name="身份证.pdf", allowed_kinds=("pdf",))
    assert "PNG 图片" in message and "允许：PDF 文档" in message


@pytest.mark.parametrize("content,named", [
    (b"GIF89a" + b"\x00" * 40, "GIF 图片"),
    (b"PK\x03\x04" + b"\x00" * 40, "ZIP 压缩包"),
    (b"\x00\x00\x00\x18ftypheic" + b"\x00" * 40, "HEIC 图片"),
    ("这是一段文字，不是 PDF".encode(), "未知类型"),
])
def test_other_content_is_named_or_called_unknown(content, named):
    message = refusal(content, name="材料.pdf")
    assert named in message and "PDF 文档、JPEG 图片、PNG 图片" in message


def test_the_error_names_the_callers_field(png):
    assert "PNG 图片" in refusal(png, allowed_kinds=("pdf",), field="materials")


@pytest.mark.parametrize("image_format", ["PNG", "JPEG"])
def test_a_truncated_image_is_refused_as_damaged(image_format):
    whole = image_bytes(image_format, size=(400, 300))
    assert "图片已损坏或不完整" in refusal(whole[: len(whole) // 2], name="photo.png")


def test_an_image_with_too_many_pixels_is_refused_before_decoding():
    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buffer, format="PNG")  # a small file of 100 megapixels
    message = refusal(buffer.getvalue(), name="bomb.png")
    assert "像素过多" in message and "10000×10000" in message


def test_a_damaged_pdf_is_refused(pdf):
    assert "PDF 文件已损坏" in refusal(pdf[: len(pdf) // 2])
    assert "PDF 文件已损坏" in refusal(b"%PDF-1.7\n" + bytes(range(256)) * 4)


def test_an_encrypted_pdf_is_refused_with_its_own_message():
    message = refusal(pdf_bytes(password="secret"))
    assert "已加密" in message and "损坏" not in message


def test_a_pdf_without_pages_is_refused():
    assert "没有任何页面" in refusal(pdf_bytes(pages=0))


def test_nothing_is_written_for_a_refused_file(png, files_dir):
    refusal(png, allowed_kinds=("pdf",))
    assert not files_dir.exists() or not [path for path in files_dir.rglob("*") if path.is_file()]
    assert not AuditRecord.objects.filter(action="files.store").exists()


def test_the_same_content_is_stored_once_and_each_upload_is_audited(pdf, make_staff, cangzhou):
    officer = make_staff("county_officer", cangzhou["cang"])
    first = store_upload(pdf, name="营业执照.pdf", actor=officer)
    second = store_upload(pdf, name="营业执照（副本）.pdf", actor="system:import")

    assert second.pk == first.pk and StoredFile.objects.count() == 1
    assert first.uploaded_by == officer and second.original_name == "营业执照.pdf"
    assert len(list(storage.stored_files())) == 1
    records = AuditRecord.objects.filter(action="files.store").order_by("id")
    assert [(r.actor_label, r.after["reused"], r.after["original_name"]) for r in records] == [
        (officer.username, False, "营业执照.pdf"), ("system:import", True, "营业执照（副本）.pdf")]
    assert records[0].target_id == str(first.pk)


def test_a_string_actor_leaves_the_uploader_empty(pdf):
    assert store_upload(pdf, name="a.pdf", actor="system:import").uploaded_by is None


def test_a_crash_between_writing_and_renaming_leaves_no_file_under_the_final_name(pdf, monkeypatch, files_dir):
    def power_cut(temporary, target):
        assert temporary.read_bytes() == pdf  # written and flushed, not yet renamed
        raise OSError("simulated crash before the rename")

    monkeypatch.setattr(storage, "move_into_place", power_cut)
    with pytest.raises(OSError, match="simulated crash"):
        store_upload(pdf, name="a.pdf", actor="test")

    digest = storage.digest_of(io.BytesIO(pdf))
    assert not storage.path_for(digest).exists()
    assert not [path for path in files_dir.rglob("*") if path.is_file()]  # the temporary file is gone too
    assert not StoredFile.objects.exists()


def test_uploading_again_repairs_a_file_damaged_on_disk(pdf):
    stored = store_upload(pdf, name="a.pdf", actor="test")
    path = storage.path_for(stored.digest)
    path.write_bytes(pdf.replace(b"/MediaBox", b"/MediaBoX"))

    assert store_upload(pdf, name="a.pdf", actor="test").pk == stored.pk
    assert path.read_bytes() == pdf


def test_file_names_are_cleaned():
    png = get_kind("png")
    assert clean_name("C:\\Users\\张三\\Desktop\\照片.png", png) == "照片.png"
    assert clean_name("../../etc/passwd", png) == "passwd"
    assert clean_name("invoice\u202egnp.exe", png) == "invoicegnp.exe"  # no right-to-left override
    assert clean_name('a<b>:"c|?*\x00.png', png) == "abc.png"
    assert clean_name("  ...  ", png) == "文件.png"
    long_name = clean_name("长" * 300 + ".png", png)
    assert len(long_name) == 200 and long_name.endswith(".png")
