import io

import openpyxl
import pytest
from django.test import override_settings

from bohai.kernel.audit.models import AuditRecord
from bohai.kernel.identities.actions import find_legal_entity, find_person, register_person
from bohai.kernel.identities.models import LegalEntity, Person
from bohai.kernel.transfer.actions import import_file
from bohai.kernel.transfer.models import ImportStatus
from bohai.kernel.transfer.report import error_report
from bohai.kernel.transfer.sources import FileRefused

from .samples import credit_code, csv_file, resident_id, xlsx_file

PERSON_HEADER = ["身份证号", "姓名", "手机号", "住址", "所属区划"]


def import_persons(stream, actor="tester", **options):
    return import_file("persons", stream, actor=actor, file_name="persons.csv", **options)


def errors_by_line(run) -> dict[int, list[tuple[str, str]]]:
    found: dict[int, list[tuple[str, str]]] = {}
    for error in run.errors:
        found.setdefault(error["line"], []).append((error["field"], error["reason"]))
    return found


def test_good_rows_are_kept_and_each_bad_row_is_reported(regions):
    register_person(actor="tester", id_number=resident_id(n=9), name="王五", region=regions["130921"])
    rows = [
        PERSON_HEADER,
        [resident_id(n=1), "张三", "13812345678", "沧州市运河区解放西路1号", ""],
        [resident_id(n=1)[:-1] + ("0" if resident_id(n=1)[-1] != "0" else "1"), "李四", "", "", ""],
        [resident_id(n=2), "赵六", "1381234", "", ""],
        [resident_id(n=3), "孙七", "", "", "不存在的区"],
        [resident_id(n=9), "王五", "", "", ""],
        [resident_id(n=1), "张三", "", "", ""],
        [resident_id(n=4), "周八", "13912345678", "", "运河区"],
    ]
    run = import_persons(csv_file(rows))

    assert run.status == ImportStatus.SUCCEEDED
    assert (run.total_rows, run.imported_count, run.rejected_count, run.duplicate_count) == (7, 2, 5, 2)
    errors = errors_by_line(run)
    assert sorted(errors) == [3, 4, 5, 6, 7]
    assert errors[3][0][0] == "id_number" and "校验码" in errors[3][0][1]
    assert errors[4] == [("phone", errors[4][0][1])] and "11 位" in errors[4][0][1]
    assert errors[5][0][0] == "region" and "不存在" in errors[5][0][1]
    assert errors[6] == [("id_number", "该身份证号已登记")]
    assert errors[7] == [("id_number", "与第 2 行重复")]
    assert find_person(resident_id(n=1)).name == "张三"
    assert find_person(resident_id(n=4)).region == regions["130903"]


def test_rejected_values_are_masked_in_the_stored_errors(regions):
    bad_phone_row = [resident_id(n=5), "欧阳小明", "138123456789", "", ""]
    run = import_persons(csv_file([PERSON_HEADER, bad_phone_row]))
    (error,) = run.errors
    assert error["value"] == "138*****6789"
    assert error["column"] == "手机号"
    assert "13812345678" not in str(run.errors)


def test_one_audit_record_per_stored_batch(regions):
    rows = [PERSON_HEADER] + [[resident_id(n=n), f"居民{n}", "", "", ""] for n in range(1, 6)]
    run = import_persons(csv_file(rows), batch_size=2)

    assert run.imported_count == 5
    batches = AuditRecord.objects.filter(action="identities.person.bulk_register")
    assert sorted(record.after["count"] for record in batches) == [1, 2, 2]
    assert AuditRecord.objects.filter(action="transfer.import.finish", target_id=str(run.pk)).count() == 1


def test_english_headers_xlsx_and_region_from_identity_number(regions):
    rows = [["id_number", "name", "phone", "address", "region"],
            [resident_id("130922", 1), "张三", 13812345678, "青县城关镇", None]]
    run = import_file("persons", xlsx_file(rows), actor="tester", file_name="p.xlsx")

    assert (run.file_format, run.imported_count, run.rejected_count) == ("xlsx", 1, 0)
    person = find_person(resident_id("130922", 1))
    assert person.region == regions["130922"] and person.phone == "13812345678"


def test_identity_number_stored_as_an_excel_number_is_explained(regions):
    number = resident_id(n=1)
    run = import_file("persons", xlsx_file([PERSON_HEADER, [float(number), "张三"]]), actor="tester", file_name="p.xlsx")
    (error,) = run.errors
    assert "文本" in error["reason"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings_and_tab_delimiter(regions, encoding):
    rows = [PERSON_HEADER, [resident_id(n=1), "张三", "", "沧县旧州镇", ""]]
    text = "\r\n".join("\t".join(row) for row in rows)
    run = import_persons(io.BytesIO(text.encode(encoding)))
    assert run.imported_count == 1
    person = find_person(resident_id(n=1))
    assert (person.name, person.address) == ("张三", "沧县旧州镇")


def test_missing_required_columns_are_named_and_nothing_is_stored(regions):
    with pytest.raises(FileRefused) as refused:
        import_persons(csv_file([["手机号", "住址"], ["13812345678", "沧县"]]))
    assert "身份证号" in refused.value.reason and "姓名" in refused.value.reason
    assert not AuditRecord.objects.filter(action__startswith="transfer.import").exists()


@pytest.mark.parametrize("content", [
    b"%PDF-1.4 fake document",
    b"\x89PNG\r\n\x1a\n" + bytes(100),
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100),
    b"PK\x03\x04 not really a zip archive",
    b"\xff\xfe\x00\x00binary\x00data",
    b"",
])
def test_files_that_are_not_tables_are_refused(regions, content):
    with pytest.raises(FileRefused):
        import_persons(io.BytesIO(content))
    assert not Person.objects.exists()


def test_oversized_file_is_refused_before_reading(regions):
    rows = [PERSON_HEADER] + [[resident_id(n=n), "张三", "", "", ""] for n in range(1, 50)]
    with override_settings(BOHAI_MAX_UPLOAD_BYTES=100), pytest.raises(FileRefused) as refused:
        import_persons(csv_file(rows))
    assert "过大" in refused.value.reason
    assert not Person.objects.exists()


def test_county_officer_cannot_import_into_another_county(regions, county_officer):
    rows = [PERSON_HEADER, [resident_id("130921", 1), "张三", "", "", ""], [resident_id("130922", 2), "李四", "", "", ""]]
    run = import_persons(csv_file(rows), actor=county_officer)

    assert (run.imported_count, run.rejected_count) == (1, 1)
    assert run.errors[0]["line"] == 3 and "权限范围" in run.errors[0]["reason"]
    assert run.actor == county_officer


def test_entities_with_all_columns(regions):
    header = ["统一社会信用代码", "名称", "法定代表人", "联系电话", "住所", "行业", "成立日期", "注册资本（万元）"]
    rows = [
        header,
        [credit_code(n=1), "沧县鑫达管道装备有限公司", "张三", "13812345678", "沧县旧州镇", "管道装备", "2012/3/5", "500"],
        [credit_code(n=2), "沧县红枣专业合作社", "李四", "", "", "红枣", "2030-01-01", "abc"],
        [credit_code(n=1), "重复公司", "", "", "", "", "", ""],
        [credit_code(n=3)[:-1] + "Z", "坏代码公司", "", "", "", "", "", ""],
    ]
    run = import_file("entities", csv_file(rows), actor="tester", file_name="e.csv")

    assert (run.imported_count, run.rejected_count, run.duplicate_count) == (1, 3, 1)
    entity = find_legal_entity(credit_code(n=1))
    assert entity.region == regions["130921"] and entity.industry == "管道装备"
    assert str(entity.established_on) == "2012-03-05" and entity.registered_capital == 500
    errors = errors_by_line(run)
    assert {field for field, _reason in errors[3]} == {"established_on", "registered_capital"}
    assert errors[4] == [("credit_code", "与第 2 行重复")]
    assert errors[5][0][0] == "credit_code"
    assert LegalEntity.objects.count() == 1


def test_error_report_lists_every_problem(regions):
    rows = [PERSON_HEADER, [resident_id(n=1), "", "12", "", ""]]
    run = import_persons(csv_file(rows))

    workbook = openpyxl.load_workbook(error_report(run))
    summary = dict(workbook["概要"].iter_rows(values_only=True))
    assert summary["退回行数"] == 1 and summary["文件名"] == "persons.csv"
    detail = list(workbook["错误明细"].iter_rows(values_only=True))
    assert detail[0] == ("行号", "字段", "值", "原因")
    assert sorted(row[1] for row in detail[1:]) == ["姓名", "手机号"]
    assert all(row[0] == 2 for row in detail[1:])
