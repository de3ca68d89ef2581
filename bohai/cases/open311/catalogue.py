"""Open311 services: the active minor classes of the city-management tree (部件, 事件) and the 12345
topics, each with its attributes.

service_code is CaseClass.code; group is the major class's name (12345 topics: 12345诉求). Every
service has metadata: an optional `urgent` choice, and for 12345 topics a required `appeal_type`
(the six appeal types), since a hotline appeal is routed and counted by it.
"""
import re

from ..dispatch import cached_reference
from ..models import AppealType, CaseClass, ClassKind, Track, Urgency

KIND_ORDER = {ClassKind.PART: 0, ClassKind.EVENT: 1, ClassKind.TOPIC: 2}
_KEYWORD_SPLIT = re.compile(r"[、，,。；;（）()：:\s]+")
MAX_KEYWORDS = 6


def services() -> list[CaseClass]:
    classes = (CaseClass.objects.filter(active=True, parent__isnull=False, parent__active=True)
               .select_related("parent"))
    return sorted(classes, key=lambda c: (KIND_ORDER.get(c.kind, 9), c.code))


# One fixed statement: compiling the equivalent ORM query (a join to check the major class is in use)
# cost 0.6 ms of a report's CPU, the statement 0.07 ms (benchmarks/bench_open311.py).
SERVICES_SQL = ("SELECT c.* FROM cases_caseclass c JOIN cases_caseclass p ON p.id = c.parent_id "
                "WHERE c.active AND p.active")


def service(code: str) -> CaseClass | None:
    """The active minor class (or 12345 topic) under an active major class, without its parent loaded.
    From the classes this process keeps with the dispatch references (a minute; at once after a change
    here): on PostgreSQL the lookup was a round trip of 0.45 ms CPU in every report."""
    return cached_reference(("open311_services",), _active_services).get(code)


def _active_services() -> dict[str, CaseClass]:
    return {case_class.code: case_class for case_class in CaseClass.objects.raw(SERVICES_SQL)}


def track_of(case_class: CaseClass) -> str:
    return Track.HOTLINE if case_class.kind == ClassKind.TOPIC else Track.CITY


def keywords(case_class: CaseClass) -> str:
    """The class name and the first words of its description: '井盖破损丢失, 检查井, …'."""
    words = [w for w in _KEYWORD_SPLIT.split(case_class.description or "") if 1 < len(w) <= 12]
    return ", ".join(list(dict.fromkeys([case_class.name, *words]))[:MAX_KEYWORDS])


def service_entry(case_class: CaseClass) -> dict:
    return {
        "service_code": case_class.code,
        "service_name": case_class.name,
        "description": case_class.description or case_class.name,
        "metadata": bool(attributes(case_class)),
        "type": "realtime",
        "keywords": keywords(case_class),
        "group": case_class.parent.name if case_class.parent_id else "",
    }


def limit_notice(case_class: CaseClass | None) -> str | None:
    """The handling limit in words: 处置时限 4 小时 / 3 个工作日."""
    if case_class is None:
        return None
    if case_class.limit_hours:
        return f"处置时限 {case_class.limit_hours:g} 小时"
    if case_class.limit_days:
        return f"处置时限 {case_class.limit_days} 个工作日"
    return None


# Attributes ------------------------------------------------------------------------------------

def attributes(case_class: CaseClass) -> list[dict]:
    declared = []
    if case_class.kind == ClassKind.TOPIC:
        declared.append({
            "variable": True, "code": "appeal_type", "datatype": "singlevaluelist", "required": True,
            "datatype_description": "从 values 中选一个 key",
            "description": "诉求类型：咨询、求助、投诉、举报、建议或表扬",
            "values": [{"key": key, "name": str(name)} for key, name in AppealType.choices],
        })
    declared.append({
        "variable": True, "code": "urgent", "datatype": "singlevaluelist", "required": False,
        "datatype_description": "从 values 中选一个 key；不填按该类的默认紧急程度",
        "description": "紧急程度：危及人身安全、需立即处置的选“紧急”",
        "values": [{"key": key, "name": str(name)} for key, name in Urgency.choices],
    })
    for order, attribute in enumerate(declared, start=1):
        attribute["order"] = order
    # The spec's element order: variable, code, datatype, required, datatype_description, order, description, values.
    keys = ("variable", "code", "datatype", "required", "datatype_description", "order", "description", "values")
    return [{key: attribute[key] for key in keys} for attribute in declared]


def definition(case_class: CaseClass) -> dict:
    return {"service_code": case_class.code, "attributes": attributes(case_class)}
