"""The wallet and the verification page in a real browser, with screenshots in var/screenshots/."""
import pytest

from bohai.kernel.accounts import actions as accounts
from bohai.licenses import actions
from bohai.licenses.models import License
from bohai.testing.browser import shoot, sign_in
from bohai.testing.fixtures import TEST_PASSWORD, organisation_in

from .conftest import BUSINESS_FIELDS, ID_CARD_FIELDS, new_entity, new_person

pytestmark = [pytest.mark.browser]


@pytest.fixture
def resident_with_licences(cangzhou, license_types, units):
    person = new_person(cangzhou["cang"], "张小明")
    accounts.create_resident_account(actor="test", username="zhangxm", password=TEST_PASSWORD, person=person)
    card = actions.issue_license(type_code="resident_id_card", issuing_organisation=units["cang_police"],
                                 holder_person=person, fields=ID_CARD_FIELDS, actor="test")
    social = actions.issue_license(
        type_code="social_security_card", issuing_organisation=organisation_in(cangzhou["cang"], "human_resources"),
        holder_person=person, fields={"card_number": "A12345678", "bank": "沧州银行"}, actor="test")
    actions.suspend_license(social, reason="卡片挂失", actor="test")
    actions.issue_license(type_code="household_register", issuing_organisation=units["cang_police"],
                          holder_person=person, actor="test",
                          fields={"household_number": "130921556", "household_head": "张小明", "relation": "户主",
                                  "address": "沧县旧州镇东街 8 号"})
    stranger = actions.issue_license(type_code="resident_id_card", issuing_organisation=units["cang_police"],
                                     holder_person=new_person(cangzhou["cang"], "李四"), fields=ID_CARD_FIELDS,
                                     actor="test")
    business = actions.issue_license(type_code="business_licence", issuing_organisation=units["cang_market"],
                                     holder_entity=new_entity(cangzhou["cang"]), fields=BUSINESS_FIELDS, actor="test")
    return {"card": card, "social": social, "stranger": stranger, "business": business}


def test_the_resident_opens_the_wallet_and_shows_a_licence(browser_page, resident_with_licences):
    page, card = browser_page, resident_with_licences["card"]
    sign_in(page, "zhangxm", TEST_PASSWORD)
    page.goto(f"{page.base_url}/licenses/")
    assert page.locator(".license-card").count() == 3
    assert resident_with_licences["stranger"].number not in page.content()
    assert page.locator(f"[data-license='{resident_with_licences['social'].number}'] [data-status]").inner_text() == "暂扣"
    shoot(page, "licenses-wallet")

    page.locator(f"[data-license='{card.number}']").get_by_role("link", name="查看与出示").click()
    page.wait_for_load_state()
    assert card.number in page.locator(".card-actions").inner_text()
    assert page.locator(".qr-frame svg").count() == 1
    assert page.locator("[data-verdict]").get_attribute("data-verdict") == "valid"
    shoot(page, "licenses-wallet-detail")

    with page.expect_download() as download:
        page.evaluate("url => { const a = document.createElement('a'); a.href = url; a.download = ''; "
                      "document.body.appendChild(a); a.click(); }", f"/licenses/{card.number}/pdf/")
    assert download.value.path().read_bytes().startswith(b"%PDF-")


def test_anyone_verifies_a_number(browser_page, resident_with_licences):
    page, business = browser_page, resident_with_licences["business"]
    page.goto(f"{page.base_url}/licenses/verify/")
    shoot(page, "licenses-verify-form")
    page.fill("input[name=number]", business.number)
    page.get_by_role("button", name="核验").click()
    page.wait_for_load_state()
    assert page.locator("[data-verdict]").get_attribute("data-verdict") == "valid"
    assert "有效" in page.locator(".verdict-label").inner_text()
    shoot(page, "licenses-verify-valid")

    card = resident_with_licences["card"]
    actions.revoke_license(card, reason="证件信息有误", actor="test")
    page.goto(f"{page.base_url}/licenses/verify/{card.number}/")
    assert page.locator(".verdict-label").inner_text() == "已撤销"
    assert "张*明" in page.locator("[data-holder]").inner_text()
    shoot(page, "licenses-verify-revoked")

    License.objects.filter(pk=resident_with_licences["stranger"].pk).update(holder_name="王五")
    page.goto(f"{page.base_url}/licenses/verify/{resident_with_licences['stranger'].number}/")
    assert page.locator(".verdict-label").inner_text() == "签名校验不通过"
    shoot(page, "licenses-verify-tampered")


def test_an_officer_sees_the_list_and_a_detail(browser_page, resident_with_licences, cangzhou, make_staff):
    officer = make_staff("department_head", cangzhou["cang"])
    page = browser_page
    sign_in(page, officer.username, TEST_PASSWORD)
    page.goto(f"{page.base_url}/work/licenses/")
    assert page.locator("tbody tr").count() == 5
    shoot(page, "licenses-workbench-list")
    page.get_by_role("link", name=resident_with_licences["social"].number).click()
    page.wait_for_load_state()
    page.select_option("select[name=change]", "restore")
    page.fill("textarea[name=reason]", "已找回卡片")
    page.get_by_role("button", name="提交（记入审计）").click()
    page.wait_for_load_state()
    assert "已恢复" in page.locator(".alert").first.inner_text()
    shoot(page, "licenses-workbench-detail")
