"""The two tracks as workflows: 数字城管's seven stages and the 12345 loop.

数字城管 (standards: Fuzhou's limits): 立案 and 派遣 within one working hour each, the unit signs
within one working hour, handling within the class's limit, then a grid worker verifies on site.
12345: routed within 2 hours, answered within the topic's limit (utilities 24 h, general 7 working
days, complex 15), an emergency within 2 hours; then the follow-up call.
"""
from bohai.engines.workflows.definitions import Process

from .models import CaseClass, Urgency

FILE, DISPATCH, SIGN, HANDLE, VERIFY = "file", "dispatch", "sign", "handle", "verify"
ROUTE, FOLLOW_UP = "route", "follow_up"
EMERGENCY_HOURS = 2


def city_process(case_class: CaseClass | None, urgent: bool) -> Process:
    return Process.from_declaration({"stages": [
        {"key": FILE, "name": "立案", "role": "case_supervisor", "hours": 1},
        {"key": DISPATCH, "name": "派遣", "role": "case_dispatcher", "hours": 1},
        {"key": SIGN, "name": "签收", "role": "case_handler", "hours": 1},
        {"key": HANDLE, "name": "处置", "role": "case_handler", **handling_limit(case_class, urgent)},
        {"key": VERIFY, "name": "核查", "role": "grid_worker", "days": 1},
    ]})


def hotline_process(case_class: CaseClass | None, urgent: bool) -> Process:
    return Process.from_declaration({"stages": [
        {"key": ROUTE, "name": "派单", "role": "hotline_operator", "clock_hours": 2},
        {"key": HANDLE, "name": "办理答复", "role": "case_handler",
         **({"clock_hours": EMERGENCY_HOURS} if urgent else handling_limit(case_class, False))},
        {"key": FOLLOW_UP, "name": "回访", "role": "hotline_operator", "days": 2},
    ]})


def handling_limit(case_class: CaseClass | None, urgent: bool) -> dict:
    """The class's limit; an urgent case without an hour limit of its own gets the emergency two hours."""
    if urgent and not (case_class and case_class.limit_hours):
        return {"clock_hours": EMERGENCY_HOURS}
    if case_class is None:
        return {"days": 5}
    if case_class.limit_hours:
        return {"clock_hours": case_class.limit_hours}
    return {"days": case_class.limit_days or 5}
