"""A small catalogue (one person item with a licence, one entity item with parallel review) in the test city."""
from datetime import date, datetime

import pytest

from bohai.engines.workdays.actions import load_reference_holidays
from bohai.engines.workdays.clock import LOCAL_ZONE
from bohai.kernel.accounts import actions as account_actions
from bohai.kernel.identities import actions as identities
from bohai.kernel.identities.validators import make_credit_code, make_resident_id
from bohai.licenses.actions import load_license_types
from bohai.services.actions.catalogue import _create_item
from bohai.services.models import LifeEvent
from bohai.testing.fixtures import organisation_in

def _png() -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


PNG = _png()

EMPLOYMENT = {
    "code": "TEST-HR-001", "name": "就业登记", "department": "human_resources", "type": "public_service",
    "legal_basis": "《就业服务与就业管理规定》", "conditions": "法定劳动年龄内", "keywords": ["找工作", "上班"],
    "life_events": ["employment"], "applicant_kinds": ["person"], "levels": ["county"], "statutory_days": 10,
    "promised_days": 5, "fee": {"charged": False, "description": "不收费"}, "online_depth": 4, "at_most_once": True,
    "zero_visit": True, "license_issued": "employment_card", "workflow": None,
    "materials": [
        {"code": "m1", "name": "居民身份证", "requirement": "required", "condition": None, "form": "original",
         "copies": 1, "replaced_by_license": "resident_id_card"},
        {"code": "m2", "name": "劳动合同", "requirement": "required", "condition": None, "form": "copy", "copies": 1,
         "replaced_by_license": None},
        {"code": "m3", "name": "学历证明", "requirement": "conditional", "condition": "高校毕业生", "form": "copy",
         "copies": 1, "replaced_by_license": "academic_certificate"},
    ],
    "form": [
        {"key": "name", "label": "姓名", "type": "text", "required": True, "prefill": "person.name"},
        {"key": "id_number", "label": "身份证号", "type": "id_number", "required": True, "prefill": "person.id_number"},
        {"key": "employer", "label": "用人单位", "type": "text", "required": True, "max_length": 100},
        {"key": "start_date", "label": "入职日期", "type": "date", "required": True},
        {"key": "monthly_wage", "label": "月工资（元）", "type": "decimal", "required": False, "min": 0, "max": 1000000},
    ],
}

CLINIC = {
    "code": "TEST-HEALTH-002", "name": "公共场所卫生许可", "department": "health", "type": "license",
    "legal_basis": "《公共场所卫生管理条例》", "conditions": "场所符合卫生要求", "keywords": ["宾馆", "浴室"],
    "life_events": [], "applicant_kinds": ["entity"], "levels": ["county"], "statutory_days": 20, "promised_days": 10,
    "fee": {"charged": False, "description": "不收费"}, "online_depth": 3, "at_most_once": True, "zero_visit": False,
    "license_issued": None,
    "workflow": {"stages": [
        {"key": "accept", "name": "受理", "role": "window_clerk", "days": 1},
        {"key": "joint", "name": "并联审查", "parallel": [
            {"key": "hygiene", "name": "卫生审查", "role": "service_officer", "days": 8},
            {"key": "fire", "name": "消防审查", "role": "service_officer", "days": 5, "department": "fire_rescue"}]},
        {"key": "decide", "name": "决定", "role": "department_head", "days": 3},
        {"key": "deliver", "name": "送达", "role": "window_clerk", "days": 1}]},
    "materials": [{"code": "m1", "name": "营业执照", "requirement": "required", "condition": None, "form": "copy",
                   "copies": 1, "replaced_by_license": "business_licence"}],
    "form": [{"key": "place", "label": "场所名称", "type": "text", "required": True},
             {"key": "area", "label": "面积（平方米）", "type": "decimal", "required": True, "min": 1}],
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_ZONE)


@pytest.fixture
def catalogue(cangzhou, roles):
    load_reference_holidays(actor="test")
    load_license_types(actor="test")
    events = {"employment": LifeEvent.objects.create(code="employment", name="就业", audience="person")}
    units = {f: organisation_in(cangzhou["cang"], f) for f in ("human_resources", "health", "fire_rescue", "public_security")}
    return {"employment": _create_item(EMPLOYMENT, events), "clinic": _create_item(CLINIC, events), "units": units}


@pytest.fixture
def resident(cangzhou):
    person = identities.register_person(actor="test", id_number=make_resident_id("130921", date(1990, 5, 1), 123),
                                        name="张明", phone="13812345678", region=cangzhou["township"])
    return account_actions.create_resident_account(actor="test", username="zhangming", password="Test-pass-2026!",
                                                   person=person)


@pytest.fixture
def enterprise(cangzhou):
    return identities.register_legal_entity(actor="test", credit_code=make_credit_code("91", "130921", "MA0TE9T1"),
                                            name="沧县好客旅馆有限公司", entity_type="enterprise",
                                            legal_representative="李华", region=cangzhou["cang"])


@pytest.fixture
def staff(make_staff, cangzhou, catalogue):
    def officer(role, unit=None):
        user = make_staff(None, cangzhou["cang"], organisation=unit)
        account_actions.assign_role(user, actor="test", role_code=role, region=cangzhou["cang"], organisation=unit)
        return user

    units = catalogue["units"]
    return {"clerk": officer("window_clerk"), "hr_officer": officer("service_officer", units["human_resources"]),
            "hr_head": officer("department_head", units["human_resources"]),
            "health_officer": officer("service_officer", units["health"]),
            "fire_officer": officer("service_officer", units["fire_rescue"]),
            "health_head": officer("department_head", units["health"])}
