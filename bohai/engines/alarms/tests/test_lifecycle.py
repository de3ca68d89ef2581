"""Escalation with a controlled clock, who is notified, no-data alarms, acknowledging and clearing."""
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from bohai.engines.alarms import queries
from bohai.engines.alarms.actions import (acknowledge_alarm, add_duty_shift, clear_alarm, create_rule,
                                          deactivate_rule, update_rule)
from bohai.engines.alarms.evaluation import evaluate
from bohai.engines.alarms.models import Alarm, AlarmState, ClearedHow
from bohai.engines.alarms.sweeps import escalate_overdue, raise_silent
from bohai.kernel.accounts import actions as account_actions
from bohai.kernel.audit.models import AuditRecord
from bohai.kernel.audit.service import Conflict
from bohai.kernel.events.models import OutboxEvent
from bohai.kernel.notifications.models import Notification

from .conftest import KIND, T0, reading

pytestmark = pytest.mark.django_db


def minutes(n):
    return T0 + timedelta(minutes=n)


@pytest.fixture
def tilt_rule(cangzhou):
    return create_rule(actor="test", name="井盖倾斜", subject_kind=KIND, subject_type="manhole_cover", metric="tilt",
                       kind="above", threshold=15.0, severity="critical", escalation_minutes=10,
                       region=cangzhou["city"])


@pytest.fixture
def people(devices, cangzhou, make_staff):
    """On duty and off duty in 沧县's water department, its head, 青县's head, the city's ops officer."""
    cang, unit = cangzhou["cang"], devices.cang_unit
    staff = {
        "on_duty": make_staff(None, cang, organisation=unit),
        "off_duty": make_staff(None, cang, organisation=unit),
        "acknowledger": make_staff("ops_duty_officer", cang, organisation=unit),
        "head": make_staff("department_head", cang, organisation=unit),
        "other_head": make_staff("department_head", cangzhou["qing"], organisation=devices.qing_unit),
        "ops": make_staff("ops_duty_officer", cangzhou["city"], organisation=devices.qing_unit),
    }
    add_duty_shift(actor="test", organisation=unit, user=staff["on_duty"], starts_at=minutes(-60), ends_at=minutes(60))
    add_duty_shift(actor="test", organisation=unit, user=staff["off_duty"], starts_at=minutes(60), ends_at=minutes(120))
    return staff


def notified(topic):
    return set(Notification.objects.filter(topic=topic).values_list("recipient__username", flat=True))


def names(people, *keys):
    return {people[key].username for key in keys}


def test_escalation_goes_up_one_level_per_period_and_tells_each_level(tilt_rule, people):
    evaluate([reading(7, "tilt", 30)], now=T0)
    alarm = Alarm.objects.get()
    assert notified("alarms.raised") == names(people, "on_duty")
    assert escalate_overdue(now=minutes(9)) == {"escalated": 0}

    assert escalate_overdue(now=minutes(10)) == {"escalated": 1}
    alarm.refresh_from_db()
    assert alarm.escalation_level == 2
    assert notified("alarms.escalated") == names(people, "head")

    assert escalate_overdue(now=minutes(19)) == {"escalated": 0}
    assert escalate_overdue(now=minutes(20)) == {"escalated": 1}
    alarm.refresh_from_db()
    assert alarm.escalation_level == 3
    assert notified("alarms.escalated") == names(people, "head", "ops", "acknowledger")
    assert escalate_overdue(now=minutes(60)) == {"escalated": 0}
    assert list(alarm.events.values_list("kind", "level")) == [("raised", 1), ("escalated", 2), ("escalated", 3)]
    assert Notification.objects.filter(dedupe_key=f"alarms:{alarm.pk}:level2").count() == 1


def test_no_escalation_once_acknowledged(tilt_rule, people):
    evaluate([reading(7, "tilt", 30)], now=T0)
    alarm = Alarm.objects.get()
    acknowledge_alarm(alarm, actor=people["acknowledger"], note="已派人前往", now=minutes(5))
    assert escalate_overdue(now=minutes(30)) == {"escalated": 0}
    alarm.refresh_from_db()
    assert (alarm.state, alarm.escalation_level, alarm.acknowledged_by) == (AlarmState.ACKNOWLEDGED, 1,
                                                                           people["acknowledger"])
    assert not notified("alarms.escalated")
    evaluate([reading(7, "tilt", 2, minute=40)])  # an acknowledged alarm still clears by itself
    alarm.refresh_from_db()
    assert alarm.state == AlarmState.CLEARED


def test_without_anyone_on_duty_the_organisations_acknowledgers_are_told(tilt_rule, devices, cangzhou, make_staff):
    acknowledger = make_staff("ops_duty_officer", cangzhou["cang"], organisation=devices.cang_unit)
    make_staff(None, cangzhou["cang"], organisation=devices.cang_unit)  # staff without the permission
    evaluate([reading(7, "tilt", 30)], now=T0)
    assert notified("alarms.raised") == {acknowledger.username}


def test_no_data_alarm_is_raised_by_the_sweep_and_cleared_when_data_returns(devices, cangzhou):
    create_rule(actor="test", name="井盖离线", subject_kind=KIND, subject_type="manhole_cover", kind="no_data",
                minutes=30, severity="minor", region=cangzhou["city"])
    evaluate([reading(7, "tilt", 1), reading(8, "tilt", 1)], now=T0)
    assert raise_silent(now=minutes(20)) == {"raised": 0, "cleared": 0}
    evaluate([reading(8, "tilt", 1, minute=25)])
    assert raise_silent(now=minutes(31)) == {"raised": 1, "cleared": 0}
    assert raise_silent(now=minutes(32)) == {"raised": 0, "cleared": 0}
    alarm = Alarm.objects.get()
    assert alarm.subject_id == 7 and "30 分钟无数据" in alarm.message and alarm.raised_at == minutes(31)
    outcome = evaluate([reading(7, "tilt", 1, minute=40)])
    alarm.refresh_from_db()
    assert outcome.cleared == [alarm.pk]
    assert (alarm.state, alarm.cleared_at) == (AlarmState.CLEARED, minutes(40))


def test_acknowledge_and_manual_clear_are_audited_and_refused_twice(tilt_rule, people):
    evaluate([reading(7, "tilt", 30)], now=T0)
    alarm = Alarm.objects.get()
    acknowledge_alarm(alarm, actor=people["acknowledger"], now=minutes(1))
    with pytest.raises(Conflict):
        acknowledge_alarm(alarm, actor=people["acknowledger"], now=minutes(2))
    clear_alarm(alarm, actor=people["acknowledger"], note="已更换井盖", now=minutes(3))
    alarm.refresh_from_db()
    assert (alarm.state, alarm.cleared_how, alarm.cleared_by) == (AlarmState.CLEARED, ClearedHow.MANUAL,
                                                                 people["acknowledger"])
    with pytest.raises(Conflict):
        clear_alarm(alarm, actor=people["acknowledger"])
    trail = list(AuditRecord.objects.filter(target_id=str(alarm.pk), target_type="alarms.alarm")
                 .order_by("id").values_list("action", "actor_label"))
    assert trail == [("alarms.raise", "system:alarms"), ("alarms.acknowledge", people["acknowledger"].username),
                     ("alarms.clear", people["acknowledger"].username)]
    assert OutboxEvent.objects.filter(name="iot.alarm_cleared").count() == 1
    assert list(alarm.events.values_list("kind", flat=True)) == ["raised", "acknowledged", "cleared"]


def test_rule_changes_are_validated_and_audited(tilt_rule, cangzhou):
    with pytest.raises(ValidationError) as refused:
        create_rule(actor="test", name="坏规则", subject_kind=KIND, kind="outside", metric="level", lower=3, upper=1,
                    region=cangzhou["city"])
    assert "upper" in refused.value.message_dict
    with pytest.raises(ValidationError):
        create_rule(actor="test", name="坏组合", subject_kind=KIND, kind="all_of", region=cangzhou["city"],
                    parts=[{"metric": "a", "kind": "rate_above", "threshold": 1}, {"metric": "b", "kind": "above"}])
    update_rule(tilt_rule, actor="admin", threshold=20.0)
    deactivate_rule(tilt_rule, actor="admin")
    actions = list(AuditRecord.objects.filter(target_type="alarms.rule").order_by("id").values_list("action", flat=True))
    assert actions == ["alarms.rule.create", "alarms.rule.update", "alarms.rule.deactivate"]


def test_deactivating_a_rule_clears_its_open_alarms_and_stops_it(tilt_rule, devices):
    evaluate([reading(7, "tilt", 30)])
    deactivate_rule(tilt_rule, actor="admin", now=minutes(5))
    assert Alarm.objects.get().state == AlarmState.CLEARED
    evaluate([reading(8, "tilt", 30, minute=6)])
    assert Alarm.objects.count() == 1


def test_a_department_sees_only_its_alarms_and_a_county_its_county(tilt_rule, devices, cangzhou, make_staff):
    evaluate([reading(7, "tilt", 30), reading(107, "tilt", 30), reading(8, "tilt", 40)], now=T0)
    cang_alarm, qing_alarm = Alarm.objects.get(subject_id=7), Alarm.objects.get(subject_id=107)
    head = make_staff(None, cangzhou["qing"], organisation=devices.qing_unit)
    account_actions.assign_role(head, actor="test", role_code="department_head", region=cangzhou["city"],
                                organisation=devices.qing_unit)
    assert [alarm.subject_id for alarm in queries.open_alarms(head)] == [107]
    with pytest.raises(Http404):
        queries.alarm_in_scope(head, cang_alarm.pk)
    with pytest.raises(Http404):  # a head may see but not acknowledge
        queries.alarm_in_scope(head, qing_alarm.pk, "acknowledge")

    county = make_staff("county_officer", cangzhou["cang"])
    assert sorted(alarm.subject_id for alarm in queries.open_alarms(county)) == [7, 8]
    with pytest.raises(Http404):
        queries.alarm_in_scope(county, qing_alarm.pk)
    assert queries.open_counts_by_severity(county) == {"critical": 2, "major": 0, "minor": 0, "info": 0}
    assert [(row["organisation_id"], row["open"]) for row in queries.counts_by_organisation(county)] == [
        (devices.cang_unit.pk, 2)]
    assert [a.subject_id for a in queries.alarms_for_subject(county, KIND, 8)] == [8]
    assert queries.open_alarms(make_staff("window_clerk", cangzhou["city"])) == []


def test_notifications_link_to_the_subject_and_an_odd_link_never_stops_an_alarm(tilt_rule, people, devices):
    from bohai.engines.alarms import subjects

    evaluate([reading(7, "tilt", 30)], now=T0)
    assert Notification.objects.get(topic="alarms.raised").link == "/work/iot/devices/7/"

    def odd(ids):
        return {i: subjects.Subject("外链设备", devices.cang_unit.pk, None, None, None, link="https://evil.example/")
                for i in ids}

    subjects.register_subject_source(KIND, odd, event_prefix="iot")
    evaluate([reading(8, "tilt", 30)], now=T0)
    alarm = Alarm.objects.get(subject_id=8)
    assert Notification.objects.get(dedupe_key=f"alarms:{alarm.pk}:level1").link == ""


def test_a_mass_silence_is_raised_over_several_runs_longest_silent_first(devices, cangzhou, monkeypatch):
    from bohai.engines.alarms import sweeps

    monkeypatch.setattr(sweeps, "MAX_RAISED_PER_RUN", 2)
    create_rule(actor="test", name="离线", subject_kind=KIND, kind="no_data", minutes=5, region=cangzhou["city"])
    evaluate([reading(subject_id, "tilt", 1, minute=subject_id) for subject_id in (3, 1, 2)], now=T0)
    assert raise_silent(now=minutes(30)) == {"raised": 2, "cleared": 0}
    assert sorted(Alarm.objects.values_list("subject_id", flat=True)) == [1, 2]
    assert raise_silent(now=minutes(31)) == {"raised": 1, "cleared": 0}
    assert Alarm.objects.count() == 3
