"""Integrity of the seeded service catalogue (事项清单), bohai/services/data/catalogue.json.

Plain checks on the JSON: no database. The item code follows the national coding of
GB/T 39554.1-2020: a 12-digit basic code (基本编码) that identifies the item in the basic
directory whoever implements it, preceded by the implementing agency and the level at which
it is exercised (实施编码). The real implementation code puts the agency's 18-character unified
social credit code in front; the seed cannot know the bureaus' real credit codes, so the
agency is written as the division code plus the department: 6-digit GB/T 2260 division (always
130900 here: this is the city's list, and a county that adopts an item writes its own division
code), 2-digit department (the position, 01-36, of its function key in DEPARTMENTS below),
1-digit level of exercise (3 = city, 4 = county; 3 whenever the city handles the item), then the
basic code: 2-digit source ("00" an item of the national basic directory, "13" a Hebei
addition such as 高龄津贴), 2-digit item type as the national platforms number it (01 行政许可,
04 行政征收, 05 行政给付, 07 行政确认, 08 行政奖励, 09 行政裁决, 10 其他行政权力, 20 公共服务),
5-digit main item (主项; the first two digits are the competent department's number, so
食品经营许可 stays 24xxx, market regulation, though Cangzhou's 行政审批局 implements it) and
3-digit sub-item (子项, 000 when the item has none, e.g. 不动产登记 11001 with 002 转移登记 and
005 抵押权首次登记). So 130900 27 3 00 01 24010 000 is 食品经营许可 implemented by the
administrative approval bureau at city level. The main-item numbers are local placeholders
until the national directory's own numbers are synchronised; the structure is what the
platform relies on (21 digits, type and department readable from the code).
"""
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from bohai.licenses.reference import LICENSE_TYPES

CATALOGUE = Path(__file__).resolve().parent.parent / "data" / "catalogue.json"

DEPARTMENTS = [
    "general_office", "development_reform", "education", "science_technology", "industry_it", "public_security",
    "civil_affairs", "justice", "finance", "human_resources", "natural_resources", "ecology_environment",
    "housing_construction", "urban_management", "transport", "water", "agriculture", "commerce", "culture_tourism",
    "health", "veterans", "emergency", "audit_office", "market_regulation", "statistics", "medical_security",
    "administrative_approval", "data_services", "rural_revitalisation", "petitions", "meteorology", "cyberspace",
    "housing_fund", "taxation", "fire_rescue", "grid_command",
]
LICENSE_CODES = {
    "resident_id_card", "household_register", "birth_certificate", "marriage_certificate", "social_security_card",
    "employment_card", "retirement_certificate", "medical_insurance_certificate", "driving_licence",
    "academic_certificate", "practising_doctor_certificate", "real_estate_certificate", "business_licence",
    "individual_business_licence", "food_business_permit", "drug_business_permit", "special_equipment_registration",
    "public_place_health_permit", "construction_planning_permit", "construction_permit", "pollutant_discharge_permit",
    "road_transport_permit", "pesticide_business_permit", "elderly_care_filing", "fire_safety_certificate",
}
# Units with no county counterpart in the organisation reference (departments.csv, in_counties = no).
CITY_ONLY_DEPARTMENTS = {"fire_rescue", "housing_fund"}
# The one bureau that may issue any licence type (相对集中行政许可), as bohai.licenses.actions allows.
CONSOLIDATED_APPROVAL = "administrative_approval"
# Registration items whose licence is held by the market entity the registration brings into being.
ESTABLISHING_ITEMS = {"企业设立登记", "个体工商户设立登记"}

TYPE_CODES = {"license": "01", "levy": "04", "payment": "05", "confirmation": "07", "reward": "08", "ruling": "09",
              "filing": "10", "public_service": "20"}
CODE = re.compile(r"^(?P<division>\d{6})(?P<dept>\d{2})(?P<level>[34])"
                  r"(?P<basic>(?P<source>00|13)(?P<type>\d{2})(?P<main>\d{5})(?P<sub>\d{3}))$")

LIFE_EVENTS = {
    "person": {"birth", "schooling", "employment", "marriage", "housing", "retirement", "elderly_care", "medical",
               "social_assistance", "household", "driving", "veterans", "death"},
    "entity": {"start_business", "business_operation", "construction", "environment", "transport_business",
               "agriculture_business", "tax", "closing_business"},
}

ITEM_KEYS = {"code", "name", "department", "type", "legal_basis", "conditions", "keywords", "life_events",
             "applicant_kinds", "levels", "statutory_days", "promised_days", "fee", "online_depth", "at_most_once",
             "zero_visit", "license_issued", "materials", "form", "workflow"}
MATERIAL_KEYS = {"code", "name", "requirement", "condition", "form", "copies", "replaced_by_license"}
FIELD_KEYS = {"key", "label", "type", "required", "choices", "prefill", "max_length", "min", "max", "help"}
FIELD_TYPES = {"text", "textarea", "id_number", "credit_code", "phone", "date", "integer", "decimal", "choice",
               "multichoice", "region", "boolean", "email", "address", "attachment"}
CHOICE_TYPES = {"choice", "multichoice"}
NUMBER_TYPES = {"integer", "decimal"}
LENGTH_TYPES = {"text", "textarea", "address", "email"}
ROLES = {"window_clerk", "service_officer", "department_head"}
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
STAGE_KEY = re.compile(r"^[a-z0-9_]+$")

PERSON_PREFILLS = {"person.name", "person.id_number", "person.phone", "person.address", "person.region",
                   "person.birth_date", "person.gender"}
ENTITY_PREFILLS = {"entity.name", "entity.credit_code", "entity.legal_representative", "entity.address",
                   "entity.region"}
PREFILL = re.compile(r"^(?:person\.(?:name|id_number|phone|address|region|birth_date|gender)"
                     r"|entity\.(?:name|credit_code|legal_representative|address|region)"
                     r"|license:(?P<license>[a-z_]+)\.(?P<field>[a-z][a-z0-9_]*))$")
# A prefilled value has to fit the field it lands in.
PREFILL_TYPES = {
    "person.name": {"text"}, "person.id_number": {"id_number"}, "person.phone": {"phone"},
    "person.address": {"address", "text"}, "person.region": {"region"}, "person.birth_date": {"date"},
    "person.gender": {"choice", "text"}, "entity.name": {"text"}, "entity.credit_code": {"credit_code"},
    "entity.legal_representative": {"text"}, "entity.address": {"address", "text"}, "entity.region": {"region"},
}
PERSON_HEAD = ["person.name", "person.id_number", "person.phone"]
ENTITY_HEAD = ["entity.name", "entity.credit_code", "entity.legal_representative"]

# Each entry: acceptable spellings of an item the catalogue must carry.
REQUIRED_ITEMS = [
    ("个体工商户设立登记",), ("食品经营许可",), ("建设工程规划许可证核发",), ("出生医学证明",),
    ("城乡居民医保参保登记", "城乡居民基本医疗保险参保登记"), ("就业登记",), ("社会保障卡申领",),
    ("道路运输经营许可",), ("农药经营许可",), ("公共场所卫生许可",),
    ("国有建设用地使用权及房屋所有权转移登记",), ("排污许可",), ("特种设备使用登记",), ("养老机构备案",),
    ("企业设立登记",), ("药品零售",), ("建筑工程施工许可",), ("公众聚集场所投入使用",),
    ("内地居民结婚登记",), ("最低生活保障",), ("高龄津贴",), ("退役军人优待证",),
    ("城乡居民养老保险参保登记", "城乡居民基本养老保险参保登记"), ("职工基本养老保险待遇申领",),
    ("失业保险金申领",), ("住房公积金提取",), ("义务教育入学",), ("居住证",), ("户口迁移",),
    ("医师执业注册",), ("取水许可",), ("临时占用城市道路",), ("城市建筑垃圾处置核准",),
    ("户外广告设施设置审批",), ("燃气经营许可",), ("文化娱乐场所经营许可", "娱乐场所经营"),
    ("旅行社设立许可",), ("气象信息服务", "雷电防护装置设计审核"), ("安全生产许可", "危险化学品经营许可"),
    ("创业担保贷款",), ("高新技术企业认定",), ("首次申领发票",), ("医疗救助",), ("残疾人两项补贴",),
    ("法律援助",), ("农村宅基地和建房",), ("林木采伐许可",), ("动物防疫条件合格证",),
]


@pytest.fixture(scope="module")
def catalogue() -> dict:
    return json.loads(CATALOGUE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def items(catalogue) -> list[dict]:
    return catalogue["items"]


def _license_specs() -> dict:
    return {spec.code: spec for spec in LICENSE_TYPES}


def _steps(stage: dict) -> list[dict]:
    return stage["parallel"] if "parallel" in stage else [stage]


def _stage_days(stage: dict) -> int:
    return max(step["days"] for step in _steps(stage))


# The file ---------------------------------------------------------------------------------------

def test_the_file_is_utf8_json_with_two_space_indent(catalogue):
    text = CATALOGUE.read_text(encoding="utf-8")
    assert text == json.dumps(catalogue, ensure_ascii=False, indent=2) + "\n"
    assert set(catalogue) == {"version", "life_events", "items"}
    assert catalogue["version"] == 1


def test_the_catalogue_is_large_and_spread_over_departments(items):
    assert len(items) >= 64
    departments = Counter(item["department"] for item in items)
    assert len(departments) >= 16
    # The consolidated approval bureau carries a realistic share, not the whole catalogue.
    assert 5 <= departments[CONSOLIDATED_APPROVAL] <= len(items) // 4


def test_every_required_item_is_present(items):
    names = [item["name"] for item in items]
    missing = [spellings[0] for spellings in REQUIRED_ITEMS
               if not any(spelling in name for spelling in spellings for name in names)]
    assert not missing


def test_names_are_unique(items):
    names = Counter(item["name"] for item in items)
    assert [name for name, count in names.items() if count > 1] == []


# Codes ------------------------------------------------------------------------------------------

def test_codes_are_unique(items):
    codes = Counter(item["code"] for item in items)
    assert [code for code, count in codes.items() if count > 1] == []


def test_codes_follow_the_implementation_code_pattern(items):
    for item in items:
        match = CODE.match(item["code"])
        assert match, item["code"]
        assert match["division"] == "130900", item["code"]
        assert match["dept"] == f"{DEPARTMENTS.index(item['department']) + 1:02d}", item["code"]
        assert match["level"] == ("3" if "city" in item["levels"] else "4"), item["code"]
        assert match["type"] == TYPE_CODES[item["type"]], item["code"]
        assert 1 <= int(match["main"][:2]) <= len(DEPARTMENTS), item["code"]


def test_basic_codes_identify_one_item_each(items):
    basic = Counter(CODE.match(item["code"])["basic"] for item in items)
    assert [code for code, count in basic.items() if count > 1] == []


# Item fields ------------------------------------------------------------------------------------

def test_every_item_has_exactly_the_declared_keys_with_the_right_types(items):
    for item in items:
        where = item.get("code")
        assert set(item) == ITEM_KEYS, where
        for key in ("code", "name", "department", "type", "legal_basis", "conditions"):
            assert isinstance(item[key], str) and item[key].strip(), (where, key)
        assert len(item["name"]) <= 100, where
        for key in ("keywords", "life_events", "applicant_kinds", "levels", "materials", "form"):
            assert isinstance(item[key], list), (where, key)
        for key in ("statutory_days", "promised_days", "online_depth"):
            assert type(item[key]) is int, (where, key)
        for key in ("at_most_once", "zero_visit"):
            assert type(item[key]) is bool, (where, key)
        assert isinstance(item["fee"], dict), where
        assert item["license_issued"] is None or isinstance(item["license_issued"], str), where
        assert item["workflow"] is None or isinstance(item["workflow"], dict), where


def test_departments_types_and_licences_are_known(items):
    for item in items:
        assert item["department"] in DEPARTMENTS, item["code"]
        assert item["type"] in TYPE_CODES, item["code"]
        assert item["license_issued"] is None or item["license_issued"] in LICENSE_CODES, item["code"]


def test_legal_basis_cites_a_law_or_document(items):
    for item in items:
        assert re.search(r"《[^》]+》", item["legal_basis"]), item["code"]


def test_keywords(items):
    for item in items:
        keywords = item["keywords"]
        assert 3 <= len(keywords) <= 8, item["code"]
        assert all(isinstance(k, str) and k.strip() == k and k for k in keywords), item["code"]
        assert len(set(keywords)) == len(keywords), item["code"]
        assert len(" ".join(keywords)) <= 300, item["code"]


def test_applicant_kinds_and_levels(items):
    for item in items:
        assert item["applicant_kinds"] and set(item["applicant_kinds"]) <= {"person", "entity"}, item["code"]
        assert len(set(item["applicant_kinds"])) == len(item["applicant_kinds"]), item["code"]
        assert item["levels"] and set(item["levels"]) <= {"city", "county"}, item["code"]
        assert len(set(item["levels"])) == len(item["levels"]), item["code"]
        if item["department"] in CITY_ONLY_DEPARTMENTS:
            assert item["levels"] == ["city"], item["code"]


def test_time_limits(items):
    for item in items:
        assert item["statutory_days"] >= 0 and item["promised_days"] >= 0, item["code"]
        assert item["promised_days"] <= item["statutory_days"], item["code"]


def test_online_depth_and_visits(items):
    for item in items:
        assert item["online_depth"] in (1, 2, 3, 4), item["code"]
        if item["zero_visit"]:
            assert item["online_depth"] == 4, item["code"]
            assert item["at_most_once"], item["code"]
    depths = Counter(item["online_depth"] for item in items)
    assert depths[3] + depths[4] >= 0.8 * len(items)


def test_fees(items):
    for item in items:
        fee = item["fee"]
        assert set(fee) == {"charged", "description"}, item["code"]
        assert type(fee["charged"]) is bool, item["code"]
        assert isinstance(fee["description"], str) and 0 < len(fee["description"]) <= 200, item["code"]
        if not fee["charged"]:
            assert fee["description"] == "不收费", item["code"]
        else:
            assert fee["description"] != "不收费", item["code"]


# Life events ------------------------------------------------------------------------------------

def test_life_events_are_declared_once_with_their_audience(catalogue):
    events = catalogue["life_events"]
    codes = [event["code"] for event in events]
    assert len(codes) == len(set(codes))
    for event in events:
        assert set(event) == {"code", "name", "audience", "description"}, event
        assert SNAKE.match(event["code"]), event
        assert event["audience"] in ("person", "entity"), event
        assert 0 < len(event["name"]) <= 20 and 0 < len(event["description"]) <= 200, event
    for audience, required in LIFE_EVENTS.items():
        declared = {event["code"] for event in events if event["audience"] == audience}
        assert required <= declared, audience


def test_items_name_known_life_events_and_every_event_has_two_items(catalogue, items):
    known = {event["code"] for event in catalogue["life_events"]}
    usage = Counter()
    for item in items:
        assert set(item["life_events"]) <= known, item["code"]
        assert len(set(item["life_events"])) == len(item["life_events"]), item["code"]
        usage.update(item["life_events"])
    assert {code: usage[code] for code in known if usage[code] < 2} == {}


# Materials --------------------------------------------------------------------------------------

def test_materials(items):
    for item in items:
        materials = item["materials"]
        assert 2 <= len(materials) <= 8, item["code"]
        codes = [material["code"] for material in materials]
        assert codes == [f"m{i}" for i in range(1, len(materials) + 1)], item["code"]
        for material in materials:
            where = (item["code"], material.get("code"))
            assert set(material) == MATERIAL_KEYS, where
            assert isinstance(material["name"], str) and 0 < len(material["name"]) <= 200, where
            assert material["requirement"] in ("required", "conditional"), where
            if material["requirement"] == "conditional":
                assert isinstance(material["condition"], str) and 0 < len(material["condition"]) <= 200, where
            else:
                assert material["condition"] is None, where
            assert material["form"] in ("original", "copy", "electronic"), where
            assert type(material["copies"]) is int and material["copies"] >= 1, where
            assert material["replaced_by_license"] is None or material["replaced_by_license"] in LICENSE_CODES, where
        assert any(material["requirement"] == "required" for material in materials), item["code"]


def test_materials_name_licences_people_already_hold(items):
    """Once-only (一次不用跑/免提交): at least a third of the items accept a licence instead of a paper."""
    with_licences = [item for item in items if any(m["replaced_by_license"] for m in item["materials"])]
    assert len(with_licences) >= len(items) // 3


# Forms ------------------------------------------------------------------------------------------

def test_form_fields_are_well_formed(items):
    for item in items:
        form = item["form"]
        assert 4 <= len(form) <= 12, item["code"]
        keys = [field["key"] for field in form]
        assert len(keys) == len(set(keys)), item["code"]
        for field in form:
            where = (item["code"], field.get("key"))
            assert set(field) == FIELD_KEYS, where
            assert SNAKE.match(field["key"]), where
            assert isinstance(field["label"], str) and field["label"].strip(), where
            assert field["type"] in FIELD_TYPES, where
            assert type(field["required"]) is bool, where
            if field["type"] in CHOICE_TYPES:
                choices = field["choices"]
                assert isinstance(choices, list) and choices, where
                assert all(isinstance(c, str) and c.strip() for c in choices), where
                assert len(set(choices)) == len(choices), where
            else:
                assert field["choices"] is None, where
            if field["type"] in NUMBER_TYPES:
                for bound in ("min", "max"):
                    assert field[bound] is None or type(field[bound]) in (int, float), where
                if field["min"] is not None and field["max"] is not None:
                    assert field["min"] <= field["max"], where
            else:
                assert field["min"] is None and field["max"] is None, where
            if field["type"] in LENGTH_TYPES:
                limit = field["max_length"]
                assert limit is None or (type(limit) is int and limit > 0), where
            else:
                assert field["max_length"] is None, where
            assert field["help"] is None or (isinstance(field["help"], str) and field["help"].strip()), where


def test_prefills_are_well_formed_and_fit_their_fields(items):
    specs = _license_specs()
    for item in items:
        for field in item["form"]:
            prefill = field["prefill"]
            if prefill is None:
                continue
            where = (item["code"], field["key"], prefill)
            match = PREFILL.match(prefill)
            assert match, where
            if match["license"]:
                assert match["license"] in LICENSE_CODES, where
                known_fields = {f["key"] for f in specs[match["license"]].fields} | {"number"}
                assert match["field"] in known_fields, where
            else:
                assert field["type"] in PREFILL_TYPES[prefill], where


def test_licence_prefills_are_used_sparingly(items):
    licence_prefills = [f for item in items for f in item["form"] if (f["prefill"] or "").startswith("license:")]
    assert 0 < len(licence_prefills) <= len(items) // 4


def test_forms_prefill_only_from_the_kind_of_applicant_they_serve(items):
    for item in items:
        prefills = {f["prefill"] for f in item["form"] if f["prefill"]}
        kinds = set(item["applicant_kinds"])
        if kinds == {"entity"}:
            assert not prefills & PERSON_PREFILLS, item["code"]
        if kinds == {"person"}:
            assert not prefills & ENTITY_PREFILLS, item["code"]


def test_forms_open_with_the_applicant(items):
    for item in items:
        head = [field["prefill"] for field in item["form"][:3]]
        kinds = set(item["applicant_kinds"])
        if kinds == {"person"}:
            assert head == PERSON_HEAD, item["code"]
        elif kinds == {"entity"}:
            assert head == ENTITY_HEAD, item["code"]
        else:
            assert head in (PERSON_HEAD, ENTITY_HEAD), item["code"]
        assert all(field["required"] for field in item["form"][:3]), item["code"]


# Licences ---------------------------------------------------------------------------------------

def test_the_department_may_issue_the_licence(items):
    specs = _license_specs()
    for item in items:
        code = item["license_issued"]
        if code:
            assert item["department"] in (specs[code].issuing_function, CONSOLIDATED_APPROVAL), item["code"]


def test_the_licence_can_be_held_by_the_applicant(items):
    specs = _license_specs()
    for item in items:
        code = item["license_issued"]
        if not code or item["name"] in ESTABLISHING_ITEMS:
            continue
        holder = specs[code].holder_kind
        if holder != "either":
            assert item["applicant_kinds"] == [holder], item["code"]


# Workflows --------------------------------------------------------------------------------------

def _explicit(items):
    return [item for item in items if item["workflow"] is not None]


def _departments_of(item, stage):
    return {step.get("department") or item["department"] for step in _steps(stage)}


def test_workflow_stages_are_well_formed(items):
    for item in _explicit(items):
        assert set(item["workflow"]) == {"stages"}, item["code"]
        stages = item["workflow"]["stages"]
        assert stages, item["code"]
        keys = []
        for stage in stages:
            where = (item["code"], stage.get("key"))
            assert STAGE_KEY.match(stage["key"]) and stage["name"].strip(), where
            keys.append(stage["key"])
            if "parallel" in stage:
                assert set(stage) == {"key", "name", "parallel"}, where
                assert len(stage["parallel"]) >= 2, where
            steps = _steps(stage)
            for step in steps:
                assert set(step) <= {"key", "name", "role", "days", "department"}, where
                assert "parallel" not in step, where
                assert step["role"] in ROLES, where
                assert type(step["days"]) is int and step["days"] >= 0, where
                assert step.get("department", item["department"]) in DEPARTMENTS, where
                if "parallel" in stage:
                    assert STAGE_KEY.match(step["key"]) and step["name"].strip(), where
                    keys.append(step["key"])
        assert len(keys) == len(set(keys)), item["code"]


def test_workflows_fit_the_statutory_limit(items):
    for item in _explicit(items):
        total = sum(_stage_days(stage) for stage in item["workflow"]["stages"])
        assert total <= item["statutory_days"], item["code"]


def test_workflows_run_accept_then_decide_then_issue_and_deliver(items):
    """The services app accepts at `accept`, decides at the last stage before `issue`/`deliver`, issues at `issue`."""
    for item in _explicit(items):
        stages = item["workflow"]["stages"]
        keys = [stage["key"] for stage in stages]
        assert keys[0] == "accept" and stages[0].get("role") == "window_clerk", item["code"]
        tail = [key for key in keys if key in ("issue", "deliver")]
        assert keys[len(keys) - len(tail):] == tail and tail in ([], ["issue"], ["deliver"], ["issue", "deliver"]), \
            item["code"]
        decision = stages[len(keys) - len(tail) - 1]
        assert "parallel" not in decision and decision["role"] == "department_head", item["code"]
        if item["license_issued"]:
            assert "issue" in keys, item["code"]


def test_enough_items_declare_their_own_workflow(items):
    explicit = _explicit(items)
    assert len(explicit) >= 6
    across = [item for item in explicit
              if any("parallel" in stage and len(_departments_of(item, stage)) >= 2
                     for stage in item["workflow"]["stages"])]
    assert len(across) >= 4
