"""The one ingestion pipeline: every kind of bad reading is rejected and counted with its reason, duplicates
are stored once, late data is accepted, devices are marked as seen."""
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from bohai.engines.telemetry import store
from bohai.iot.actions import change_device_status
from bohai.iot.ingestion import IncomingReading, MalformedMessage, ingest, parse_device_message, record_malformed
from bohai.iot.models import Device, Rejection, RejectionReason

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def reading(code, metric="pressure", value=0.32, ts="2026-11-20T15:59:00+08:00"):
    return IncomingReading(code, metric, ts, value)


def stored_values(device, metric):
    series_id = store.series_ids(device.pk, [metric])[metric]
    return [(p[0], p[1]) for p in store.query(series_id, NOW - timedelta(days=400), NOW + timedelta(hours=1)).points]


def test_good_readings_are_stored_and_the_device_is_seen(make_device):
    device, _secret = make_device()
    outcome = ingest([reading(device.code), reading(device.code, "flow", 120)], channel="test", received_at=NOW)
    assert (outcome.accepted, outcome.duplicates, outcome.rejected) == (2, 0, [])
    assert stored_values(device, "pressure") == [(datetime(2026, 11, 20, 7, 59, tzinfo=UTC), 0.32)]
    assert Device.objects.get(pk=device.pk).last_seen_at == NOW


@pytest.mark.parametrize("bad, reason", [
    (reading("NOPE-0001"), RejectionReason.UNKNOWN_DEVICE),
    (reading("{code}", metric="voltage"), RejectionReason.UNKNOWN_METRIC),
    (reading("{code}", value="abc"), RejectionReason.NOT_NUMERIC),
    (reading("{code}", value=float("nan")), RejectionReason.NOT_NUMERIC),
    (reading("{code}", value=None), RejectionReason.NOT_NUMERIC),
    (reading("{code}", value=2.5), RejectionReason.OUT_OF_RANGE),
    (reading("{code}", value=-0.1), RejectionReason.OUT_OF_RANGE),
    (reading("{code}", ts="2026-11-20T16:10:00+08:00"), RejectionReason.FUTURE_TIMESTAMP),
    (reading("{code}", ts="yesterday"), RejectionReason.BAD_TIMESTAMP),
    (reading("{code}", ts="1970-01-02T00:00:00Z"), RejectionReason.BAD_TIMESTAMP),
])
def test_each_kind_of_bad_reading_is_rejected_and_counted(make_device, bad, reason):
    device, _secret = make_device()
    bad = IncomingReading(bad.device_code.format(code=device.code), bad.metric, bad.ts, bad.value)
    outcome = ingest([bad, reading(device.code)], channel="test", received_at=NOW)
    assert outcome.accepted == 1
    assert [(r.index, r.reason) for r in outcome.rejected] == [(0, reason)]
    assert outcome.rejected[0].detail
    counted = Rejection.objects.get(device_code=bad.device_code, reason=reason)
    assert counted.count == 1
    ingest([bad], channel="test", received_at=NOW + timedelta(minutes=1))
    counted.refresh_from_db()
    assert counted.count == 2 and counted.last_at == NOW + timedelta(minutes=1)
    if reason != RejectionReason.UNKNOWN_DEVICE:
        assert counted.device_id == device.pk


def test_an_inactive_device_is_refused(make_device):
    device, _secret = make_device()
    change_device_status(device, actor="test", status="retired")
    outcome = ingest([reading(device.code)], channel="test", received_at=NOW)
    assert [r.reason for r in outcome.rejected] == [RejectionReason.INACTIVE_DEVICE]


def test_duplicates_are_stored_once_and_the_first_value_kept(make_device):
    device, _secret = make_device()
    first = ingest([reading(device.code, value=0.30), reading(device.code, value=0.31)], channel="test", received_at=NOW)
    again = ingest([reading(device.code, value=0.33)], channel="test", received_at=NOW)
    assert (first.accepted, first.duplicates) == (1, 1)
    assert (again.accepted, again.duplicates) == (0, 1)
    assert [value for _ts, value in stored_values(device, "pressure")] == [0.30]


def test_late_data_is_accepted(make_device):
    device, _secret = make_device()
    outcome = ingest([reading(device.code, ts="2025-12-01T08:00:00+08:00")], channel="test", received_at=NOW)
    assert outcome.accepted == 1


@pytest.mark.parametrize("raw, expected", [
    ("2026-11-20T15:00:00+08:00", datetime(2026, 11, 20, 7, 0, tzinfo=UTC)),
    ("2026-11-20T07:00:00Z", datetime(2026, 11, 20, 7, 0, tzinfo=UTC)),
    ("2026-11-20 15:00:00", datetime(2026, 11, 20, 7, 0, tzinfo=UTC)),  # no zone: Beijing time
    (1763622000, datetime(2025, 11, 20, 7, 0, tzinfo=UTC)),             # Unix seconds
    (1763622000000, datetime(2025, 11, 20, 7, 0, tzinfo=UTC)),          # Unix milliseconds
    (None, NOW),                                                       # no timestamp: received time
])
def test_timestamps_in_the_forms_devices_send(make_device, raw, expected):
    device, _secret = make_device()
    ingest([reading(device.code, ts=raw)], channel="test", received_at=NOW)
    assert stored_values(device, "pressure")[0][0] == expected


def test_device_messages_parse_into_readings():
    readings = parse_device_message("W-1", b'[{"ts": 1, "values": {"pressure": 0.3, "flow": 5}}, {"values": {"flow": 6}}]')
    assert [(r.metric, r.value, r.ts) for r in readings] == [("pressure", 0.3, 1), ("flow", 5, 1), ("flow", 6, None)]
    for bad in (b"not json", b'{"pressure": 1}', b"[1, 2]", '{"values": 3}'):
        with pytest.raises(MalformedMessage):
            parse_device_message("W-1", bad)


def test_malformed_messages_are_counted_against_the_device(make_device):
    device, _secret = make_device()
    record_malformed(device.code, "报文不是合法的 JSON")
    assert Rejection.objects.get(device_code=device.code, reason=RejectionReason.MALFORMED).device_id == device.pk


def test_codes_that_are_not_codes_are_counted_in_one_bucket(iot_city):
    ingest([reading("x" * 500), reading("../etc")], channel="test", received_at=NOW)
    assert Rejection.objects.get(reason=RejectionReason.UNKNOWN_DEVICE).device_code == "(invalid)"


def test_a_batch_from_many_devices(make_device):
    devices = [make_device()[0] for _ in range(5)]
    readings = [reading(d.code, ts=(NOW - timedelta(minutes=m)).isoformat()) for d in devices for m in range(10)]
    outcome = ingest(readings, channel="test", received_at=timezone.now())
    assert outcome.accepted == 50


def test_retention_deletes_old_raw_readings_per_type_and_keeps_rollups(make_device):
    from bohai.iot.jobs import purge_raw_readings

    device, _secret = make_device()
    old, recent = NOW - timedelta(days=200), NOW - timedelta(days=10)   # water supply keeps raw data 180 days
    ingest([reading(device.code, ts=old.isoformat()), reading(device.code, ts=recent.isoformat())], channel="test",
           received_at=NOW)
    assert purge_raw_readings(now=NOW)["deleted"]["water_supply"] == 1
    series_id = store.series_ids(device.pk, ["pressure"])["pressure"]
    days = store.query(series_id, old - timedelta(days=1), NOW, budget=1000)
    assert sum(point[4] for point in days.points) == 2  # the rollups still count both


def test_a_timestamp_that_is_not_a_value_is_rejected(make_device):
    device, _secret = make_device()
    outcome = ingest([reading(device.code, ts=[2026, 11, 20]), reading(device.code, ts={"at": 1})], channel="test",
                     received_at=NOW)
    assert [r.reason for r in outcome.rejected] == [RejectionReason.BAD_TIMESTAMP] * 2


def test_no_data_rules_see_silent_devices_and_those_that_never_reported(iot_city, make_device):
    from bohai.engines.alarms.actions import create_rule
    from bohai.engines.alarms.models import Alarm, AlarmState, SubjectMetricState
    from bohai.engines.alarms.sweeps import raise_silent

    talking, _ = make_device(code="W-TALK")
    silent, _ = make_device(code="W-SILENT")
    never, _ = make_device(code="W-NEVER")
    create_rule(actor="test", name="离线", subject_kind="iot.device", kind="no_data", subject_type="water_supply",
                minutes=15, severity="minor", region=iot_city["city"])
    now = timezone.now()
    ingest([reading(talking.code, ts=(now - timedelta(minutes=1)).isoformat())], channel="test",
           received_at=now - timedelta(minutes=1))
    ingest([reading(silent.code, ts=(now - timedelta(minutes=40)).isoformat())], channel="test",
           received_at=now - timedelta(minutes=40))
    Device.objects.filter(pk=never.pk).update(credentials_issued_at=now - timedelta(hours=2))
    assert raise_silent(now=now)["raised"] == 2
    assert set(Alarm.objects.values_list("subject_id", flat=True)) == {silent.pk, never.pk}
    assert not SubjectMetricState.objects.exists()  # the registry says when devices last reported
    ingest([reading(silent.code, ts=now.isoformat())], channel="test", received_at=now)
    assert Alarm.objects.get(subject_id=silent.pk).state == AlarmState.CLEARED


def test_after_a_restart_a_rate_compares_with_the_stored_reading_before_the_batch(iot_city, make_device,
                                                                                  django_capture_on_commit_callbacks):
    """The telemetry store, not a state of the alarm engine's own, gives the previous reading after a restart:
    the newest one, even when it arrived after the engine last wrote anything."""
    from bohai.engines.alarms.actions import create_rule
    from bohai.engines.alarms.lastseen import forget_last_readings
    from bohai.engines.alarms.models import Alarm, SubjectMetricState

    device, _secret = make_device(code="W-RATE")
    create_rule(actor="test", name="压力突变", subject_kind="iot.device", kind="rate_above",
                subject_type="water_supply", metric="pressure", threshold=0.5, severity="minor",
                region=iot_city["city"])
    start = timezone.now() - timedelta(minutes=10)

    def send(minutes: int, value: float):
        at = start + timedelta(minutes=minutes)
        with django_capture_on_commit_callbacks(execute=True):  # the process remembers what it committed
            ingest([reading(device.code, value=value, ts=at.isoformat())], channel="test", received_at=at)

    send(0, 0.2)
    send(5, 0.2)
    forget_last_readings()  # a new process: nothing remembered
    send(6, 0.8)  # 0.6 MPa a minute after the reading of minute 5; 0.1 a minute since minute 0

    assert Alarm.objects.filter(subject_id=device.pk).count() == 1
    assert not SubjectMetricState.objects.exists()  # nothing kept twice


def test_a_rate_with_nothing_stored_before_it_raises_nothing(iot_city, make_device):
    from bohai.engines.alarms.actions import create_rule
    from bohai.engines.alarms.models import Alarm

    device, _secret = make_device(code="W-FIRST")
    create_rule(actor="test", name="压力突变", subject_kind="iot.device", kind="rate_above",
                subject_type="water_supply", metric="pressure", threshold=0.5, severity="minor",
                region=iot_city["city"])
    now = timezone.now()
    ingest([reading(device.code, value=1.5, ts=now.isoformat())], channel="test", received_at=now)
    assert not Alarm.objects.exists()
