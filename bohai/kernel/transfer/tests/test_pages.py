import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from bohai.kernel.identities.actions import find_person
from bohai.kernel.transfer.models import ImportRun

from .samples import csv_file, resident_id, staff

HEADER = ["身份证号", "姓名", "手机号", "住址", "所属区划"]


def upload(rows, name="people.csv"):
    return SimpleUploadedFile(name, csv_file(rows).getvalue(), content_type="text/csv")


def test_upload_shows_counts_errors_and_offers_the_report(client, data_officer):
    client.force_login(data_officer)
    rows = [HEADER, [resident_id(n=1), "张三", "", "", ""], [resident_id(n=2), "李四", "12", "", ""]]
    response = client.post("/work/import/", {"kind": "persons", "file": upload(rows)})

    run = ImportRun.objects.get()
    assert response.status_code == 302 and response.url == f"/work/import/{run.pk}/"
    page = client.get(response.url).content.decode()
    assert 'data-count="imported">1<' in page and 'data-count="rejected">1<' in page
    assert "手机号码应为 11 位数字" in page
    report = client.get(f"/work/import/{run.pk}/errors.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(report.streaming_content)))["错误明细"]
    assert list(sheet.iter_rows(values_only=True))[1][:2] == (3, "手机号")


def test_refused_file_is_explained_on_the_form(client, data_officer):
    client.force_login(data_officer)
    fake = SimpleUploadedFile("people.xlsx", b"%PDF-1.7 not a table", content_type="application/pdf")
    response = client.post("/work/import/", {"kind": "persons", "file": fake})

    assert response.status_code == 200
    assert "文件类型不支持" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_someone_elses_run_is_not_found(client, data_officer, regions):
    client.force_login(data_officer)
    client.post("/work/import/", {"kind": "persons", "file": upload([HEADER, [resident_id(n=1), "张三"]])})
    run = ImportRun.objects.get()
    other = staff("other_officer", regions["city"], "data_officer")
    client.force_login(other)
    assert client.get(f"/work/import/{run.pk}/").status_code == 404
    assert client.get(f"/work/import/{run.pk}/errors.xlsx").status_code == 404
    assert client.get(f"/api/v1/transfer/imports/{run.pk}").status_code == 404


def test_staff_without_add_permission_cannot_open_the_import_page(client, regions):
    client.force_login(staff("hotline", regions["city"], "hotline_operator"))
    assert client.get("/work/import/").status_code == 403


def test_api_upload_reports_the_run(client, data_officer):
    client.force_login(data_officer)
    rows = [HEADER, [resident_id(n=1), "张三"], ["123", "李四"]]
    response = client.post("/api/v1/transfer/import/persons", {"file": upload(rows)})

    assert response.status_code == 201
    body = response.json()
    assert (body["imported_count"], body["rejected_count"]) == (1, 1)
    assert body["errors"][0]["line"] == 3 and body["errors"][0]["field"] == "id_number"


def test_api_upload_of_a_refused_file_is_a_field_error(client, data_officer):
    client.force_login(data_officer)
    response = client.post("/api/v1/transfer/import/persons", {"file": upload([["姓名"], ["张三"]])})
    assert response.status_code == 422
    assert "身份证号" in response.json()["fields"]["file"][0]


def test_import_command_prints_a_summary(tmp_path, regions, capsys):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_file([HEADER, [resident_id(n=1), "张三"], [resident_id(n=1), "张三"]]).getvalue())
    report = tmp_path / "errors.xlsx"
    call_command("import", "persons", str(path), "--quiet", "--report", str(report))

    out = capsys.readouterr().out
    assert "导入 1 行" in out and "退回 1 行" in out and "与第 2 行重复" in out
    assert find_person(resident_id(n=1)).name == "张三"
    assert report.exists()


def test_import_command_is_not_bound_by_the_upload_limit(tmp_path, regions, settings):
    settings.BOHAI_MAX_UPLOAD_BYTES = 10
    path = tmp_path / "people.csv"
    path.write_bytes(csv_file([HEADER, [resident_id(n=1), "张三"]]).getvalue())
    call_command("import", "persons", str(path), "--quiet")
    assert find_person(resident_id(n=1)) is not None
    with pytest.raises(CommandError, match="过大"):
        call_command("import", "persons", str(path), "--quiet", "--max-bytes", "10")


def test_import_command_refuses_a_bad_file(tmp_path, regions):
    path = tmp_path / "people.csv"
    path.write_bytes(b"\x00\x01\x02")
    with pytest.raises(CommandError, match="文件未导入"):
        call_command("import", "persons", str(path), "--quiet")


def test_a_large_upload_is_imported_by_a_background_job(client, data_officer, monkeypatch, settings, tmp_path):
    from bohai.kernel.jobs.runner import claim_next, run_job
    from bohai.kernel.transfer import actions

    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(actions, "INLINE_IMPORT_BYTES", 10)
    client.force_login(data_officer)
    number = resident_id(n=1)
    response = client.post("/work/import/", {"kind": "persons", "file": upload([HEADER, [number, "张三"], ["1", "李四"]])})

    run = ImportRun.objects.get()
    assert run.status == "queued" and find_person(number) is None
    assert "后台任务仍在导入" in client.get(response.url).content.decode()
    (kept,) = (tmp_path / "imports").iterdir()
    assert number.encode() not in kept.read_bytes()

    job = run_job(claim_next("test-worker"))
    run.refresh_from_db()
    assert job.status == "succeeded" and run.status == "succeeded"
    assert (run.imported_count, run.rejected_count) == (1, 1)
    assert find_person(number).name == "张三" and find_person(number).region.code == "130921"
    assert not list((tmp_path / "imports").iterdir())
