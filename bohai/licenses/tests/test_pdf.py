"""The PDF: a real PDF that says what the record says, with the watermark and a QR code to the verification page."""
import io

import pypdf
from PIL import Image, ImageChops

from bohai.licenses import pdf


def _reader(data: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(data))


def test_the_pdf_holds_the_number_the_masked_holder_and_the_watermark(id_card):
    data = pdf.license_pdf(id_card)
    assert data.startswith(b"%PDF-")
    reader = _reader(data)
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    for expected in (id_card.number, "居民身份证", "张小明", id_card.holder_id_masked, id_card.agency_name,
                     "仅供办理政务服务事项时使用", "住址", id_card.payload_digest):
        assert expected in text, expected
    assert id_card.holder_id_number not in text
    assert reader.metadata.title == f"居民身份证 {id_card.number}"


def test_the_qr_code_points_to_the_verification_page(id_card, monkeypatch):
    monkeypatch.setenv("BOHAI_PUBLIC_URL", "https://zwfw.cangzhou.gov.cn/")
    url = pdf.verification_url(id_card.number)
    assert url == f"https://zwfw.cangzhou.gov.cn/licenses/verify/{id_card.number}/"
    images = _reader(pdf.render_pdf(id_card)).pages[0].images
    assert len(images) == 1
    embedded = images[0].image.convert("L")
    expected = Image.open(io.BytesIO(pdf.qr_png(url))).convert("L")
    assert embedded.size == expected.size
    assert ImageChops.difference(embedded, expected).getbbox() is None
    assert url in _reader(pdf.render_pdf(id_card)).pages[0].extract_text().replace("\n", "")


def test_the_public_url_defaults_to_the_local_server(monkeypatch, id_card):
    monkeypatch.delenv("BOHAI_PUBLIC_URL", raising=False)
    assert pdf.verification_url(id_card.number).startswith("http://127.0.0.1:8000/licenses/verify/")


def test_rendered_once_then_kept_under_var_dir(id_card, var_dir):
    first = pdf.license_pdf(id_card)
    path = pdf.pdf_path(id_card)
    assert path.is_relative_to(var_dir / "licenses") and path.read_bytes() == first
    assert pdf.render_pdf(id_card) == first  # deterministic: a lost file renders to the same bytes
    assert pdf.license_pdf(id_card) == first


def test_a_long_type_name_and_long_values_fit(license_types, cangzhou, entity):
    from bohai.licenses import actions
    from bohai.testing.fixtures import organisation_in

    unit = organisation_in(cangzhou["city"], "fire_rescue")
    licence = actions.issue_license(
        type_code="fire_safety_certificate", issuing_organisation=unit, holder_entity=entity, actor="test",
        fields={"premises": "沧州市运河区解放西路与浮阳大道交叉口东北角渤海国际商业中心一至五层" * 3, "area": "12000",
                "usage": "商场"})
    text = _reader(pdf.render_pdf(licence)).pages[0].extract_text()
    assert licence.number in text and "公众聚集场所投入使用营业前消防安全检查合格证" in text


def test_fields_are_shown_in_the_types_order(id_card):
    id_card.extension = dict(reversed(list(id_card.extension.items())))
    labels = [label for label, _value in pdf.license_rows(id_card)]
    assert labels[2:6] == ["性别", "民族", "出生", "住址"]
