"""Pages, XLSX downloads and the API: scoping by region (404 for an enterprise outside), the figures shown
and written, and the role's permissions."""
import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest

from bohai.energy import actions, exceedances, figures
from bohai.testing.fixtures import signed_in_client

from .conftest import BEIJING, month, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def figures_of_march(enterprises, make_device):
    steel, glass = enterprises["steel"], enterprises["glass"]
    steel_meter, glass_meter = make_device("EM-S", "meter", steel), make_device("EM-G", "meter", glass)
    write(steel_meter, "electricity", [((2026, 3, 5, 10, 0), 1_000_000)])   # 122.9 tce
    write(steel_meter, "coal", [((2026, 3, 6, 10, 0), 100_000)])            # 71.43 tce
    write(glass_meter, "natural_gas", [((2026, 3, 7, 10, 0), 50_000)])      # 60.715 tce
    actions.record_output(actor="test", enterprise=steel, month=month(2026, 3), output_value="1000",
                          product_quantity="500", product_unit="吨钢")
    actions.record_output(actor="test", enterprise=glass, month=month(2026, 3), output_value="500")
    cems = make_device("CEMS-S", "cems", steel)
    actions.add_permit(actor="test", enterprise=steel, permit_number="PW-1", pollutant="nox", limit_mg_m3="50",
                       valid_from=date(2025, 1, 1))
    write(cems, "nox", [((2026, 3, 9, 8, 30), 75)])
    exceedances.check(datetime(2026, 3, 1, tzinfo=BEIJING), datetime(2026, 4, 1, tzinfo=BEIJING), actor="test")
    figures.recompute([month(2026, 3)], actor="test")
    return steel, glass


@pytest.fixture
def officers(make_staff, cangzhou):
    return {"city": make_staff("energy_officer", cangzhou["city"]),
            "cang": make_staff("energy_officer", cangzhou["cang"]),
            "qing": make_staff("energy_officer", cangzhou["qing"]),
            "clerk": make_staff("window_clerk", cangzhou["city"])}


def test_overview_counts_what_is_in_scope(figures_of_march, officers):
    page = signed_in_client(officers["city"]).get("/work/energy/?month=2026-03")
    assert page.status_code == 200
    text = page.content.decode()
    assert "沧县示范钢铁有限公司" in text and "青县示范玻璃有限公司" in text
    assert page.context["total"].total_tce == Decimal("255.045")  # 122.9 + 71.43 + 60.715
    assert page.context["total"].exceedances == 1
    county = signed_in_client(officers["cang"]).get("/work/energy/?month=2026-03")
    assert county.context["total"].total_tce == Decimal("194.330")
    assert "青县示范玻璃有限公司" not in county.content.decode()


def test_enterprise_page_and_scoping(figures_of_march, officers):
    steel, _glass = figures_of_march
    url = f"/work/energy/enterprises/{steel.enterprise_code}/?month=2026-03"
    page = signed_in_client(officers["cang"]).get(url)
    assert page.status_code == 200
    march = page.context["months"][-1]
    assert march.total_tce == Decimal("194.330") and march.intensity == Decimal("0.1943")
    assert march.exceedance_count == 1
    assert "PW-1" in page.content.decode()
    assert signed_in_client(officers["qing"]).get(url).status_code == 404
    assert signed_in_client(officers["qing"]).get(
        f"/work/energy/enterprises/{steel.enterprise_code}/export/").status_code == 404
    assert signed_in_client(officers["clerk"]).get(url).status_code == 403


def test_enterprise_workbook(figures_of_march, officers):
    steel, _glass = figures_of_march
    response = signed_in_client(officers["city"]).get(
        f"/work/energy/enterprises/{steel.enterprise_code}/export/?month=2026-03")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [row for row in sheet.iter_rows(values_only=True)]
    assert "沧县示范钢铁有限公司" in rows[0][0]
    header = next(row for row in rows if row[0] == "月份")
    march = next(row for row in rows if row[0] == "2026-03")
    values = dict(zip(header, march))
    assert values["电力（kWh）"] == 1_000_000 and values["原煤（kg）"] == 100_000
    assert values["综合能耗（吨标准煤）"] == pytest.approx(194.33)
    assert values["万元产值能耗（tce/万元）"] == pytest.approx(0.1943)
    assert values["单位产品能耗（kgce/单位）"] == pytest.approx(388.66)
    assert values["超标小时数"] == 1
    assert rows[-1][0] == "合计"


def test_industry_report_and_workbook(figures_of_march, officers):
    client = signed_in_client(officers["city"])
    page = client.get("/work/energy/industry/?month=2026-03&industry=building_materials")
    assert page.status_code == 200
    assert [f.enterprise.name for f in page.context["report"].rows] == ["青县示范玻璃有限公司"]
    response = client.get("/work/energy/industry/export/?month=2026-03")
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    header = next(row for row in rows if row[0] == "企业名称")
    body = [dict(zip(header, row)) for row in rows[rows.index(header) + 1:]]
    assert [row["企业名称"] for row in body] == ["沧县示范钢铁有限公司", "青县示范玻璃有限公司", "合计"]
    total = body[-1]
    assert total["综合能耗（吨标准煤）"] == pytest.approx(255.045)
    assert total["工业总产值（万元）"] == 1500
    assert total["万元产值能耗（tce/万元）"] == pytest.approx(0.17)  # 255.045 / 1500
    # an officer of 青县 gets 青县's enterprises only
    qing = signed_in_client(officers["qing"]).get("/work/energy/industry/export/?month=2026-03")
    names = [row[0] for row in openpyxl.load_workbook(io.BytesIO(qing.content)).active.iter_rows(values_only=True)]
    assert "青县示范玻璃有限公司" in names and "沧县示范钢铁有限公司" not in names


def test_a_bad_month_falls_back_to_this_month(figures_of_march, officers):
    page = signed_in_client(officers["city"]).get("/work/energy/?month=March")
    assert page.status_code == 200 and page.context["problem"]


def test_api_figures_and_exceedances_within_scope(figures_of_march, officers):
    steel, glass = figures_of_march
    client = signed_in_client(officers["qing"])
    listed = client.get("/api/v1/energy/figures?month_from=2026-03-01").json()
    assert [row["enterprise_code"] for row in listed["results"]] == [glass.enterprise_code]
    assert listed["results"][0]["total_tce"] == "60.715" and listed["results"][0]["month"] == "2026-03"
    assert client.get("/api/v1/energy/exceedances").json()["count"] == 0
    assert client.get(f"/api/v1/energy/enterprises/{steel.enterprise_code}").status_code == 404
    city = signed_in_client(officers["city"])
    found = city.get("/api/v1/energy/exceedances?pollutant=nox").json()["results"]
    assert len(found) == 1 and found[0]["permit_number"] == "PW-1" and found[0]["ratio"] == pytest.approx(1.5)
    ordered = city.get("/api/v1/energy/figures?ordering=-total_tce").json()["results"]
    assert [row["enterprise_code"] for row in ordered] == [steel.enterprise_code, glass.enterprise_code]


def test_admin_pages_and_coefficient_edit_through_the_action(figures_of_march, make_staff, cangzhou):
    from bohai.energy.models import CoalCoefficient
    from bohai.kernel.audit.models import AuditRecord

    actions.load_coefficients(actor="test")
    admin = signed_in_client(make_staff(None, cangzhou["city"], superuser=True))
    for model in ("coalcoefficient", "keyenterprise", "monthlyoutput", "emissionpermit", "monthlyenergy", "exceedance"):
        assert admin.get(f"/admin/energy/{model}/").status_code == 200, model
    gas = CoalCoefficient.objects.get(carrier="natural_gas")
    response = admin.post(f"/admin/energy/coalcoefficient/{gas.pk}/change/",
                          {"kgce_per_unit": "1.1000", "note": "本市管道气实测"})
    assert response.status_code == 302
    gas.refresh_from_db()
    assert gas.kgce_per_unit == Decimal("1.1000") and gas.note == "本市管道气实测"
    assert AuditRecord.objects.filter(action="energy.coefficient.update").count() == 1


def test_an_officer_records_output_on_the_enterprise_page(figures_of_march, officers, make_staff, cangzhou):
    from bohai.energy.models import MonthlyOutput

    steel, _glass = figures_of_march
    url = f"/work/energy/enterprises/{steel.enterprise_code}/output/"
    client = signed_in_client(officers["cang"])
    response = client.post(url, {"month": "2026-04", "output_value": "1234.5", "product_quantity": "",
                                 "product_unit": ""})
    assert response.status_code == 302
    assert MonthlyOutput.objects.get(enterprise=steel, month=date(2026, 4, 1)).output_value == Decimal("1234.50")
    refused = client.post(url, {"month": "2026-05"}, follow=True)
    assert "产值和产量至少填写一项" in refused.content.decode()
    assert signed_in_client(officers["qing"]).post(url, {"month": "2026-04", "output_value": "1"}).status_code == 404
    reader = make_staff("city_officer", cangzhou["city"])  # may read the figures, not enter output
    assert signed_in_client(reader).post(url, {"month": "2026-04", "output_value": "1"}).status_code == 403
    page = signed_in_client(reader).get(f"/work/energy/enterprises/{steel.enterprise_code}/")
    assert page.status_code == 200 and 'data-form="output"' not in page.content.decode()
