"""An import with errors, through a real browser: the good rows are kept, each bad one is named."""
from datetime import date

import pytest

from bohai.kernel.accounts.actions import assign_role, create_staff_account, ensure_reference_roles
from bohai.kernel.identities.models import Person
from bohai.kernel.identities.validators import make_resident_id
from bohai.kernel.organisations.models import Organisation
from bohai.kernel.regions.actions import load_reference_divisions
from bohai.kernel.regions.models import Region
from bohai.testing.browser import shoot, sign_in

pytestmark = [pytest.mark.browser]

PASSWORD = "Import-officer-2026"


@pytest.fixture
def data_officer(transactional_db):
    load_reference_divisions("130900", actor="test")
    ensure_reference_roles(actor="test")
    county = Region.objects.get(key="130921")
    unit = Organisation.objects.create(key="130921-data", name="沧县数据和政务服务局", kind="department",
                                       function="data_services", region=county, path="/130921-data/")
    user = create_staff_account(actor="test", username="importer", password=PASSWORD, organisation=unit)
    assign_role(user, actor="test", role_code="data_officer", region=county)
    return user


def test_import_with_errors_keeps_the_good_rows_and_names_the_bad(browser_page, data_officer, tmp_path):
    good = [make_resident_id("130921", date(1980 + n, 5, 6), 101 + 2 * n) for n in range(3)]
    upload = tmp_path / "居民名单.csv"
    upload.write_text(
        "身份证号,姓名,手机号,住址\n"
        f"{good[0]},王建国,13803171234,沧县旧州镇东街1号\n"
        "130921198001010010,李错号,13803171235,沧县兴济镇\n"
        f"{good[1]},赵秀英,,沧县崔尔庄镇\n"
        f"{good[2]},刘坏号,1380317,沧县杜生镇\n",
        encoding="utf-8-sig",
    )
    page = browser_page
    sign_in(page, "importer", PASSWORD)
    page.goto(f"{page.base_url}/work/import/")
    page.select_option("select[name=kind]", "persons")
    page.set_input_files("input[name=file]", str(upload))
    page.get_by_role("button", name="开始导入").click()
    page.wait_for_load_state()
    shoot(page, "import-with-errors")

    text = page.locator("body").inner_text()
    assert "校验码" in text  # the bad identity number, by reason
    assert "手机" in text  # the bad phone number
    assert set(Person.objects.values_list("name", flat=True)) == {"王建国", "赵秀英"}
    report_link = page.locator("a[href$='errors.xlsx']")
    assert report_link.count() >= 1
    with page.expect_download() as download:
        report_link.first.click()
    assert download.value.suggested_filename.endswith(".xlsx")
