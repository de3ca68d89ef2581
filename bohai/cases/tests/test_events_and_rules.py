"""Sensor alarms open cases once; administrators' keyword rules steer the suggestion."""
from bohai.cases.dispatch import suggest
from bohai.cases.actions.classes import save_keyword_rule
from bohai.cases.models import Case, KeywordRule, Source, Urgency
from bohai.kernel.events.outbox import deliver_pending, publish
from bohai.kernel.audit.service import service_action

from .conftest import INSIDE


@service_action
def _raise_alarm(payload, *, actor):
    publish("iot.alarm_raised", payload)


def test_an_alarm_opens_one_urgent_case(city, people):
    payload = {"alarm_id": 7, "device_name": "旧州镇井盖 0042", "metric": "tilt", "severity": "critical",
               "message": "倾角 35°，超过阈值 15°", "lng": INSIDE[0], "lat": INSIDE[1],
               "raised_at": "2026-11-02T09:00:00+08:00"}
    _raise_alarm(payload, actor="test")
    _raise_alarm(payload, actor="test")     # the same alarm delivered twice
    deliver_pending()
    case = Case.objects.get(source=Source.SENSOR)
    assert case.case_class.code == "P0101" and case.urgency == Urgency.URGENT
    assert case.township == city["township"]


def test_a_keyword_rule_forces_its_class(city, people):
    text = "小区门口一直有人摆摊卖菜"
    assert suggest(text, city["township"])[0].class_code != "E0104"
    save_keyword_rule(KeywordRule(pattern="摆摊", case_class=city["classes"]["E0104"], weight=1.0), actor="test")
    assert suggest(text, city["township"])[0].class_code == "E0104"


def test_a_rule_for_another_county_does_not_apply(city, people):
    text = "小区门口一直有人摆摊卖菜"
    save_keyword_rule(KeywordRule(pattern="摆摊", case_class=city["classes"]["E0104"], weight=1.0, region=city["qing"]),
                      actor="test")
    assert suggest(text, city["township"])[0].class_code != "E0104"
