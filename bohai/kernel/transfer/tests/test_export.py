import csv
import io

import openpyxl
import pytest

from bohai.kernel.audit.models import AuditRecord
from bohai.kernel.identities.actions import register_legal_entity, register_person

from .samples import credit_code, resident_id, staff


@pytest.fixture
def register(regions):
    for n, county in enumerate(("130921", "130921", "130922", "130903"), start=1):
        register_person(actor="tester", id_number=resident_id(county, n), name=f"居民{n}", phone="13812345678",
                        address="=HYPERLINK(\"http://x\")" if n == 1 else "沧州", region=regions[county])
        register_legal_entity(actor="tester", credit_code=credit_code(county, n), name=f"企业{n}", region=regions[county])


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))


def test_county_officer_exports_only_their_county_masked(client, register, county_officer):
    client.force_login(county_officer)
    rows = csv_rows(client.get("/work/export/persons.csv"))

    assert rows[0][:2] == ["身份证号", "姓名"]
    assert sorted(row[1] for row in rows[1:]) == ["居民1", "居民2"]
    assert all("********" in row[0] and "****" in row[4] for row in rows[1:])
    assert resident_id("130921", 1) not in str(rows)
    assert rows[1][5].startswith("'=")  # a formula would run when the file is opened
    export = AuditRecord.objects.get(action="transfer.export")
    assert export.after == {"kind": "persons", "format": "csv", "filters": {"region": None}, "count": 2}
    assert export.actor_id == county_officer.pk


def test_region_filter_cannot_widen_the_scope(client, register, county_officer):
    client.force_login(county_officer)
    rows = csv_rows(client.get("/work/export/persons.csv", {"region": "130922"}))
    assert rows[1:] == []


def test_entities_xlsx_export(client, register, data_officer):
    client.force_login(data_officer)
    response = client.get("/work/export/entities.xlsx", {"region": "130921"})

    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "统一社会信用代码"
    assert [row[1] for row in rows[1:]] == ["企业1", "企业2"]
    assert rows[1][2] == "企业"


def test_api_export_is_scoped_the_same_way(client, register, county_officer):
    client.force_login(county_officer)
    response = client.get("/api/v1/transfer/export/entities", {"format": "csv"})
    assert response.status_code == 200
    assert sorted(row[1] for row in csv_rows(response)[1:]) == ["企业1", "企业2"]


def test_api_export_refuses_unknown_format(client, register, county_officer):
    client.force_login(county_officer)
    response = client.get("/api/v1/transfer/export/persons", {"format": "pdf"})
    assert response.status_code == 422
    assert "format" in response.json()["fields"]


def test_user_without_view_permission_cannot_export(client, register, regions):
    ops = staff("ops_duty", regions["city"], "ops_duty_officer")
    client.force_login(ops)
    assert client.get("/work/export/persons.csv").status_code == 403
    assert client.get("/api/v1/transfer/export/persons").status_code == 403
    assert not AuditRecord.objects.filter(action="transfer.export").exists()
