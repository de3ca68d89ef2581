"""The reference licence types: the codes are spelled exactly as the service catalogue refers to them."""
from dataclasses import dataclass

PERSON, ENTITY, EITHER = "person", "entity", "either"


def text(key: str, label: str, required: bool = True) -> dict:
    return {"key": key, "label": label, "type": "text", "required": required}


def day(key: str, label: str, required: bool = True) -> dict:
    return {"key": key, "label": label, "type": "date", "required": required}


def number(key: str, label: str, required: bool = True) -> dict:
    return {"key": key, "label": label, "type": "number", "required": required}


@dataclass(frozen=True)
class LicenseTypeSpec:
    code: str
    name: str
    number_prefix: str
    issuing_function: str
    holder_kind: str
    validity_years: int | None
    fields: tuple[dict, ...]


LICENSE_TYPES = (
    LicenseTypeSpec("resident_id_card", "居民身份证", "SFZ", "public_security", PERSON, 20, (
        text("gender", "性别"), text("ethnicity", "民族"), day("birth_date", "出生"), text("address", "住址"))),
    LicenseTypeSpec("household_register", "居民户口簿", "HKB", "public_security", PERSON, None, (
        text("household_number", "户号"), text("household_head", "户主姓名"), text("relation", "与户主关系"),
        text("address", "住址"))),
    LicenseTypeSpec("birth_certificate", "出生医学证明", "CSZM", "health", PERSON, None, (
        text("gender", "性别"), day("birth_date", "出生日期"), text("birth_place", "出生地点"),
        text("mother_name", "母亲姓名"), text("father_name", "父亲姓名", required=False),
        text("institution", "接生机构"))),
    LicenseTypeSpec("marriage_certificate", "结婚证", "JHZ", "civil_affairs", PERSON, None, (
        text("spouse_name", "配偶姓名"), day("registered_on", "登记日期"))),
    LicenseTypeSpec("social_security_card", "社会保障卡", "SBK", "human_resources", PERSON, 10, (
        text("card_number", "卡号"), text("bank", "开户银行"))),
    LicenseTypeSpec("employment_card", "就业创业证", "JYCY", "human_resources", PERSON, None, (
        text("employment_status", "就业失业状态"), day("registered_on", "登记日期"))),
    LicenseTypeSpec("retirement_certificate", "退休证", "TXZ", "human_resources", PERSON, None, (
        text("former_employer", "原工作单位"), day("retired_on", "退休日期"))),
    LicenseTypeSpec("medical_insurance_certificate", "医保参保凭证", "YBPZ", "medical_security", PERSON, 1, (
        text("insurance_type", "参保险种"), text("insured_place", "参保地"), day("insured_since", "参保日期"))),
    LicenseTypeSpec("driving_licence", "机动车驾驶证", "JSZ", "public_security", PERSON, 6, (
        text("vehicle_class", "准驾车型"), day("first_issued_on", "初次领证日期"), text("file_number", "档案编号"))),
    LicenseTypeSpec("academic_certificate", "学历证书", "XLZS", "education", PERSON, None, (
        text("school", "学校名称"), text("major", "专业"), text("level", "学历层次"), day("graduated_on", "毕业日期"))),
    LicenseTypeSpec("practising_doctor_certificate", "医师执业证书", "YSZY", "health", PERSON, None, (
        text("practice_category", "执业类别"), text("practice_scope", "执业范围"), text("practice_place", "执业地点"),
        text("qualification_number", "资格证书编码"))),
    LicenseTypeSpec("real_estate_certificate", "不动产权证书", "BDC", "natural_resources", EITHER, None, (
        text("unit_number", "不动产单元号"), text("location", "坐落"), text("right_type", "权利类型"),
        text("usage", "用途"), number("area", "面积（平方米）"), text("co_ownership", "共有情况", required=False))),
    LicenseTypeSpec("business_licence", "营业执照", "YYZZ", "market_regulation", ENTITY, None, (
        text("entity_type", "类型"), text("legal_representative", "法定代表人"),
        text("registered_capital", "注册资本"), day("established_on", "成立日期"), text("address", "住所"),
        text("business_scope", "经营范围"))),
    LicenseTypeSpec("individual_business_licence", "个体工商户营业执照", "GTYZ", "market_regulation", ENTITY, None, (
        text("operator", "经营者"), text("organisation_form", "组成形式"), text("premises", "经营场所"),
        text("business_scope", "经营范围"), day("registered_on", "注册日期"))),
    LicenseTypeSpec("food_business_permit", "食品经营许可证", "JY", "market_regulation", ENTITY, 5, (
        text("premises", "经营场所"), text("main_business", "主体业态"), text("business_items", "经营项目"),
        text("person_in_charge", "法定代表人（负责人）"))),
    LicenseTypeSpec("drug_business_permit", "药品经营许可证", "YPJY", "market_regulation", ENTITY, 5, (
        text("premises", "注册地址"), text("warehouse", "仓库地址", required=False), text("business_mode", "经营方式"),
        text("business_scope", "经营范围"), text("quality_manager", "质量负责人"))),
    LicenseTypeSpec("special_equipment_registration", "特种设备使用登记证", "TSSB", "market_regulation", ENTITY, None, (
        text("equipment_category", "设备类别"), text("equipment_code", "设备代码"), text("location", "设备使用地点"))),
    LicenseTypeSpec("public_place_health_permit", "公共场所卫生许可证", "GGWS", "health", ENTITY, 4, (
        text("premises", "地址"), text("permitted_items", "许可项目"), text("person_in_charge", "负责人"))),
    LicenseTypeSpec("construction_planning_permit", "建设工程规划许可证", "JSGH", "natural_resources", ENTITY, None, (
        text("project_name", "建设项目名称"), text("location", "建设位置"), text("scale", "建设规模"))),
    LicenseTypeSpec("construction_permit", "建筑工程施工许可证", "SGXK", "housing_construction", ENTITY, None, (
        text("project_name", "工程名称"), text("location", "建设地址"), text("scale", "建设规模"),
        number("contract_price", "合同价格（万元）"), text("contractor", "施工单位"), text("supervisor", "监理单位"))),
    LicenseTypeSpec("pollutant_discharge_permit", "排污许可证", "PWXK", "ecology_environment", ENTITY, 5, (
        text("industry", "行业类别"), text("premises", "生产经营场所地址"), text("main_pollutants", "主要污染物类别"))),
    LicenseTypeSpec("road_transport_permit", "道路运输经营许可证", "DLYS", "transport", ENTITY, 4, (
        text("business_scope", "经营范围"), text("address", "地址"))),
    LicenseTypeSpec("pesticide_business_permit", "农药经营许可证", "NYJY", "agriculture", ENTITY, 5, (
        text("premises", "经营场所"), text("warehouse", "仓储场所"), text("business_scope", "经营范围"))),
    LicenseTypeSpec("elderly_care_filing", "养老机构备案回执", "YLBA", "civil_affairs", ENTITY, None, (
        text("address", "服务场所"), number("beds", "床位数"), text("service_scope", "服务范围"))),
    LicenseTypeSpec("fire_safety_certificate", "公众聚集场所投入使用营业前消防安全检查合格证", "XFAQ", "fire_rescue",
                    ENTITY, None, (
                        text("premises", "场所名称及地址"), number("area", "使用面积（平方米）"),
                        text("usage", "使用性质"))),
)
