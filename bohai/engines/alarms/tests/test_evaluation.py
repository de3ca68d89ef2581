from datetime import timedelta
from unittest import mock

import pytest

from bohai.engines.alarms import evaluation
from bohai.engines.alarms.actions import create_rule, update_rule
from bohai.engines.alarms.evaluation import evaluate
from bohai.engines.alarms.models import Alarm, AlarmEvent, AlarmState, ClearedHow, SubjectMetricState
from bohai.kernel.events.models import OutboxEvent

from bohai.engines.alarms.evaluation import Observation

from .conftest import KIND, T0, reading

pytestmark = pytest.mark.django_db


@pytest.fixture
def rule_for(cangzhou):
    def make(**fields):
        values = {"name": "井盖倾斜", "subject_kind": KIND, "subject_type": "manhole_cover", "metric": "tilt",
                  "kind": "above", "threshold": 15.0, "severity": "critical", "region": cangzhou["city"], **fields}
        return create_rule(actor="test", **values)

    return make


def only_alarm():
    alarms = list(Alarm.objects.all())
    assert len(alarms) == 1, alarms
    return alarms[0]


def test_above_threshold_raises_one_alarm_for_a_thousand_breaching_readings(devices, rule_for):
    rule = rule_for()
    outcome = evaluate([reading(7, "tilt", 20 + i % 5, minute=i / 10) for i in range(1000)])
    alarm = only_alarm()
    assert outcome.raised == [alarm.pk]
    assert (alarm.rule, alarm.state, alarm.severity, alarm.reading_count) == (rule, AlarmState.ACTIVE, "critical", 1000)
    assert (alarm.first_value, alarm.last_value, alarm.raised_at) == (20.0, 24.0, T0)
    assert alarm.subject_label == "测试井盖 0007" and alarm.organisation == devices.cang_unit
    assert "高于阈值 15" in alarm.message and "20" in alarm.message

    evaluate([reading(7, "tilt", 30, minute=200 + i) for i in range(500)])
    alarm.refresh_from_db()
    assert Alarm.objects.count() == 1 and alarm.reading_count == 1500 and alarm.last_value == 30.0
    assert list(alarm.events.values_list("kind", flat=True)) == ["raised"]


def test_readings_within_limits_raise_nothing_and_other_types_are_not_touched(devices, rule_for):
    rule_for()
    outcome = evaluate([reading(7, "tilt", 10), reading(8, "tilt", 99, subject_type="water_meter")])
    assert Alarm.objects.count() == 0 and outcome.matched == 1
    assert not SubjectMetricState.objects.exists()  # thresholds need no memory of past readings


def test_last_readings_are_stored_only_for_what_rates_and_no_data_rules_need(devices, rule_for):
    rule_for(name="陡变", metric="level", kind="rate_above", threshold=1.0)
    rule_for(name="离线", metric="", kind="no_data", threshold=None, minutes=10, subject_type="hydrant")
    evaluate([reading(7, "level", 1.0, minute=1), reading(7, "level", 1.5, minute=2), reading(7, "tilt", 3.0),
              reading(9, "pressure", 0.3, subject_type="hydrant"), reading(9, "flow", 2, minute=1, subject_type="hydrant")])
    stored = set(SubjectMetricState.objects.values_list("subject_id", "metric", "last_value", "last_ts"))
    assert stored == {(7, "level", 1.5, T0 + timedelta(minutes=2)), (9, "flow", 2.0, T0 + timedelta(minutes=1))}
    evaluate([reading(7, "level", 0.5, minute=0)])  # late and out of order: the newer state stays
    assert SubjectMetricState.objects.get(subject_id=7).last_value == 1.5


def test_the_process_remembers_committed_readings_and_writes_rate_states_at_most_every_10_minutes(
        devices, rule_for, django_assert_num_queries, django_capture_on_commit_callbacks):
    rule_for(name="陡变", metric="level", kind="rate_above", threshold=1.0)
    with django_capture_on_commit_callbacks(execute=True):
        evaluate([reading(7, "level", 1.0, minute=0)])
    with django_capture_on_commit_callbacks(execute=True):
        # 10 s later: the previous reading comes from memory and the state is not due: no read, no write
        with django_assert_num_queries(1):  # the open alarms, nothing more
            evaluate([Observation(KIND, 7, "manhole_cover", "level", T0 + timedelta(seconds=10), 1.1)])
    state = SubjectMetricState.objects.get()
    assert (state.last_value, state.last_ts) == (1.0, T0)
    with django_capture_on_commit_callbacks(execute=True):
        evaluate([reading(7, "level", 2.5, minute=1)])  # 1.4 in 50 s since the remembered 1.1 at 10 s
    assert Alarm.objects.get().message.startswith("陡变：level 每分钟变化 1.68")
    state.refresh_from_db()
    assert state.last_ts == T0  # the stored state only stands in for memory after a restart: not due yet
    with django_capture_on_commit_callbacks(execute=True):
        evaluate([reading(7, "level", 2.6, minute=10)])
    state.refresh_from_db()
    assert (state.last_value, state.last_ts) == (2.6, T0 + timedelta(minutes=10))


def test_no_data_states_are_written_every_30_seconds_where_the_subjects_system_keeps_no_time(
        devices, rule_for, django_capture_on_commit_callbacks):
    rule_for(name="离线", metric="", kind="no_data", threshold=None, minutes=10)
    for seconds, expected in ((0, 0), (20, 0), (40, 40)):
        with django_capture_on_commit_callbacks(execute=True):
            evaluate([Observation(KIND, 7, "manhole_cover", "tilt", T0 + timedelta(seconds=seconds), 1.0)])
        assert SubjectMetricState.objects.get().last_ts == T0 + timedelta(seconds=expected)


def test_quiet_readings_count_where_their_subject_breaches_in_the_same_batch(devices, rule_for):
    rule_for(hysteresis=1.0)
    rule_for(name="水压过低", metric="pressure", kind="below", threshold=0.2)
    outcome = evaluate([reading(7, "tilt", 20, minute=0), reading(7, "pressure", 0.5, minute=0),
                        reading(7, "tilt", 10, minute=1), reading(8, "tilt", 3, minute=1)])
    assert len(outcome.raised) == 1 and len(outcome.cleared) == 1 and outcome.matched == 4
    assert only_alarm().state == AlarmState.CLEARED and only_alarm().subject_id == 7


def test_alarm_clears_automatically_and_a_later_breach_opens_a_new_one(devices, rule_for):
    rule_for(hysteresis=2.0)
    evaluate([reading(7, "tilt", 20, minute=0)])
    evaluate([reading(7, "tilt", 14, minute=1)])  # inside the hysteresis band: stays open
    first = only_alarm()
    assert first.state == AlarmState.ACTIVE
    outcome = evaluate([reading(7, "tilt", 12, minute=2)])
    first.refresh_from_db()
    assert outcome.cleared == [first.pk]
    assert (first.state, first.cleared_how, first.cleared_at) == (AlarmState.CLEARED, ClearedHow.AUTO,
                                                                  T0 + timedelta(minutes=2))
    evaluate([reading(7, "tilt", 40, minute=3)])
    assert Alarm.objects.count() == 2
    assert Alarm.objects.get(state=AlarmState.ACTIVE).first_value == 40.0


def test_one_batch_may_raise_and_clear_in_time_order(devices, rule_for):
    rule_for()
    readings = [reading(7, "tilt", 3, minute=2), reading(7, "tilt", 30, minute=1), reading(7, "tilt", 31, minute=3)]
    outcome = evaluate(readings)
    assert len(outcome.raised) == 2 and len(outcome.cleared) == 1
    assert list(Alarm.objects.order_by("raised_at").values_list("state", "raised_at")) == [
        (AlarmState.CLEARED, T0 + timedelta(minutes=1)), (AlarmState.ACTIVE, T0 + timedelta(minutes=3))]


def test_below_and_outside_range(devices, rule_for):
    rule_for(name="水压过低", metric="pressure", kind="below", threshold=0.2)
    rule_for(name="水位异常", metric="level", kind="outside", threshold=None, lower=1.0, upper=3.0, severity="minor")
    evaluate([reading(7, "pressure", 0.3), reading(8, "pressure", 0.1), reading(9, "level", 2.0),
              reading(10, "level", 3.5), reading(11, "level", 0.5)])
    raised = dict(Alarm.objects.values_list("subject_id", "rule__name"))
    assert raised == {8: "水压过低", 10: "水位异常", 11: "水位异常"}
    assert "低于阈值 0.2" in Alarm.objects.get(subject_id=8).message
    assert "1～3" in Alarm.objects.get(subject_id=10).message


def test_rate_of_change_per_minute_uses_the_previous_stored_reading(devices, rule_for):
    rule_for(name="水位陡涨", metric="level", kind="rate_above", threshold=0.5, severity="major")
    evaluate([reading(7, "level", 1.0, minute=0)])
    evaluate([reading(7, "level", 1.8, minute=2)])  # 0.4 per minute
    assert Alarm.objects.count() == 0
    evaluate([reading(7, "level", 3.0, minute=3)])  # 1.2 per minute since the stored 1.8
    alarm = only_alarm()
    assert "每分钟变化 1.2" in alarm.message
    evaluate([reading(7, "level", 3.1, minute=4), reading(7, "level", 3.15, minute=5)])
    alarm.refresh_from_db()
    assert alarm.state == AlarmState.CLEARED


def test_quiet_rates_are_screened_against_memory_and_still_remembered_and_stored(
        devices, rule_for, django_capture_on_commit_callbacks):
    rule_for(name="水位陡涨", metric="level", kind="rate_above", threshold=1.0, hysteresis=0.5)
    with django_capture_on_commit_callbacks(execute=True):
        evaluate([reading(7, "level", 1.0, minute=0)])
    with django_capture_on_commit_callbacks(execute=True), \
            mock.patch.object(evaluation, "_episodes", wraps=evaluation._episodes) as walked:
        outcome = evaluate([reading(7, "level", 1.1, minute=1), reading(7, "level", 1.2, minute=2)])
    assert outcome.matched == 2 and not outcome.raised and not walked.called  # set aside, not walked
    with django_capture_on_commit_callbacks(execute=True):
        evaluate([reading(7, "level", 3.0, minute=3)])  # against the screened 1.2, not the walked 1.0
    alarm = only_alarm()
    assert "每分钟变化 1.8" in alarm.message
    with django_capture_on_commit_callbacks(execute=True):  # quiet, but the subject's alarm is open: it clears
        outcome = evaluate([reading(7, "level", 3.2, minute=4)])
    assert outcome.cleared == [alarm.pk]
    with django_capture_on_commit_callbacks(execute=True):
        evaluate([reading(7, "level", 3.3, minute=13)])  # quiet, and its state is due (10 minutes)
    assert SubjectMetricState.objects.get().last_value == 3.3


def test_a_rate_reading_older_than_the_batch_s_previous_walks_its_subject_in_time_order(
        devices, rule_for, django_capture_on_commit_callbacks):
    rule_for(name="水位陡涨", metric="level", kind="rate_above", threshold=0.6)
    with django_capture_on_commit_callbacks(execute=True):
        evaluate([reading(7, "level", 1.0, minute=0)])
    # In arrival order 1.0 -> 2.0 over two minutes looks quiet; in time order 1.2 -> 2.0 in one minute breaches.
    outcome = evaluate([reading(7, "level", 2.0, minute=2), reading(7, "level", 1.2, minute=1)])
    assert len(outcome.raised) == 1 and "每分钟变化 0.8" in only_alarm().message


def test_combination_needs_every_part_on_the_same_subject(devices, rule_for):
    rule_for(name="疑似爆管", metric="", kind="all_of", threshold=None, subject_type="water_node",
             parts=[{"metric": "pressure", "kind": "below", "threshold": 0.2},
                    {"metric": "flow", "kind": "above", "threshold": 100}])
    node = {"subject_type": "water_node"}
    evaluate([reading(7, "pressure", 0.1, **node), reading(8, "flow", 150, **node)])
    assert Alarm.objects.count() == 0
    evaluate([reading(7, "flow", 120, minute=1, **node)])  # pressure 0.1 stored from the last batch
    alarm = only_alarm()
    assert (alarm.subject_id, alarm.metric) == (7, "pressure")
    assert "pressure 为 0.1" in alarm.message and "flow 为 120" in alarm.message
    evaluate([reading(7, "pressure", 0.35, minute=2, **node)])
    alarm.refresh_from_db()
    assert alarm.state == AlarmState.CLEARED


def test_a_rule_for_one_subject_only(devices, rule_for):
    rule_for(name="重点井盖", subject_type="", subject_id=42, threshold=5.0)
    evaluate([reading(41, "tilt", 10), reading(42, "tilt", 10, subject_type="anything")])
    assert only_alarm().subject_id == 42


def test_the_raised_event_is_published_once_with_the_contract_payload(devices, rule_for):
    rule_for()
    evaluate([reading(7, "tilt", 35)])
    evaluate([reading(7, "tilt", 36, minute=1)])
    alarm = only_alarm()
    events = list(OutboxEvent.objects.filter(name="iot.alarm_raised"))
    assert len(events) == 1
    assert events[0].payload == {
        "alarm_id": alarm.pk, "device_name": "测试井盖 0007", "metric": "tilt", "severity": "critical",
        "message": alarm.message, "lng": pytest.approx(116.807), "lat": 38.3, "raised_at": "2026-11-02T09:00:00+08:00"}
    assert set(events[0].payload) == {"alarm_id", "device_name", "metric", "severity", "message", "lng", "lat",
                                      "raised_at"}
    evaluate([reading(7, "tilt", 1, minute=2)])
    cleared = OutboxEvent.objects.get(name="iot.alarm_cleared")
    assert cleared.payload["alarm_id"] == alarm.pk and cleared.payload["how"] == "auto"


def test_a_rule_change_reaches_the_cache_at_once(devices, rule_for):
    rule = rule_for()
    evaluate([reading(7, "tilt", 20)])
    assert Alarm.objects.count() == 1
    update_rule(rule, actor="test", threshold=50.0)
    evaluate([reading(8, "tilt", 20)])
    assert Alarm.objects.count() == 1


def test_subjects_unknown_to_their_source_still_get_an_alarm(devices, rule_for):
    rule_for(subject_type="")
    evaluate([reading(5000, "tilt", 20)])
    alarm = only_alarm()
    assert alarm.subject_label == f"{KIND}#5000" and alarm.organisation is None


def test_subject_source_is_asked_only_when_an_alarm_is_raised(devices, rule_for):
    rule_for()
    evaluate([reading(i, "tilt", 1) for i in range(50)])
    assert devices.asked == []
    evaluate([reading(i, "tilt", 20 if i % 2 else 1, minute=1) for i in range(1, 5)])
    assert devices.asked == [[1, 3]]


def test_raised_alarm_has_its_timeline(devices, rule_for):
    rule_for()
    evaluate([reading(7, "tilt", 20)])
    assert list(AlarmEvent.objects.values_list("kind", "level", "value")) == [("raised", 1, 20.0)]
