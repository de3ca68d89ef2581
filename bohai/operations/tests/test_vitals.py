"""Each vital sign computed from a small fixture of devices and readings (SQLite and PostgreSQL)."""
import pytest

from bohai.operations import vitals
from bohai.operations.actions import compute_vital_signs
from bohai.operations.catalog import congestion_grade
from bohai.operations.models import SignReading, VitalSign
from bohai.operations.places import CountyIndex

pytestmark = pytest.mark.django_db


def by_place(values, regions):
    names = {None: "city", regions["cang"].pk: "cang", regions["qing"].pk: "qing"}
    return {names[v.region_id]: v for v in values if v.organisation_id is None}


def test_aqi_per_county_and_for_the_city_from_the_stations_last_hour(city):
    cang_a, cang_b = city.device("air_quality", "cang"), city.device("air_quality", "cang")
    qing = city.device("air_quality", "qing")
    city.readings(cang_a, "pm25", [70, 90])        # hour average 80
    city.readings(cang_b, "pm25", [60])            # 沧县 mean of stations: (80 + 60) / 2 = 70 → 50/40 × 35 + 50 = 93.75 → 94
    city.readings(cang_a, "pm10", [100])           # 沧县 PM10 100 → 75
    city.readings(qing, "pm25", [20])              # 青县: 28.57 → 29, no primary pollutant
    city.readings(qing, "pm25", [500], ending_minutes_ago=90)  # older than an hour: not counted

    found = by_place(vitals.compute_aqi(city.now, CountyIndex()), city.regions)

    assert found["cang"].value == 94 and found["cang"].grade == "良"
    assert found["cang"].detail["primary"] == ["pm25"] and found["cang"].detail["stations"] == 2
    assert found["qing"].value == 29 and found["qing"].detail["primary"] == []
    # city: PM2.5 (80 + 60 + 20) / 3 = 53.33 → 50/40 × 18.33 + 50 = 72.9 → 73; PM10 100 (one station) → 75
    assert found["city"].value == 75 and found["city"].detail["primary"] == ["pm10"]


def test_water_pressure_compliance_counts_the_points_at_or_above_the_service_pressure(city, settings):
    good, low, silent = (city.device("water_supply", "cang") for _ in range(3))
    qing = city.device("water_supply", "qing")
    city.readings(good, "pressure", [0.30, 0.32])
    city.readings(low, "pressure", [0.12, 0.13])
    city.readings(qing, "pressure", [0.14])

    found = by_place(vitals.compute_water_pressure(city.now, CountyIndex()), city.regions)

    assert found["cang"].value == 50.0 and found["cang"].detail["measured"] == 2   # the silent point is left out
    assert found["qing"].value == 100.0                                            # 0.14 is compliant
    assert found["city"].value == pytest.approx(66.67)
    settings.BOHAI_OPS_MIN_WATER_PRESSURE_MPA = 0.2
    assert by_place(vitals.compute_water_pressure(city.now, CountyIndex()), city.regions)["qing"].value == 0.0


def test_gas_leak_alarms_count_open_alarms_on_gas_pipelines_only(city):
    gas = city.device("gas_pipeline", "cang")
    city.alarm(gas, severity="critical", metric="leak_concentration")
    city.alarm(city.device("gas_pipeline", "qing"), state="acknowledged")
    city.alarm(city.device("gas_pipeline", "qing"), state="cleared")
    city.alarm(city.device("manhole_cover", "cang"))                         # not a gas pipeline

    found = by_place(vitals.compute_gas_leak_alarms(CountyIndex()), city.regions)

    assert found["city"].value == 2
    assert found["cang"].value == 1 and found["cang"].detail["by_severity"]["critical"] == 1
    assert found["qing"].value == 1


def test_active_alarms_by_severity(city):
    city.alarm(city.device("manhole_cover", "cang"), severity="critical")
    city.alarm(city.device("manhole_cover", "cang"), severity="minor")
    city.alarm(city.device("water_supply", "qing"), severity="minor", state="acknowledged")
    city.alarm(city.device("water_supply", "qing"), severity="major", state="cleared")

    found = by_place(vitals.compute_active_alarms(CountyIndex()), city.regions)

    assert found["city"].value == 3
    assert found["city"].detail["by_severity"] == {"critical": 1, "major": 0, "minor": 2, "info": 0}
    assert found["qing"].detail["by_severity"]["minor"] == 1


def test_device_online_rate_per_county_and_per_owning_department(city):
    gas_unit = city.water["qing"].__class__.objects.create(key="qing-gas", name="青县燃气公司", kind="department",
                                                          region=city.regions["qing"], path="/qing-gas/")
    city.device("water_supply", "cang", seen_minutes_ago=5)                 # online (15 min)
    city.device("water_supply", "cang", seen_minutes_ago=20)                # offline
    city.device("water_supply", "cang", seen_minutes_ago=None)              # never heard: offline
    city.device("manhole_cover", "cang", seen_minutes_ago=600)              # online (1500 min)
    city.device("water_supply", "cang", seen_minutes_ago=1, status="retired")  # not counted
    city.device("gas_pipeline", "qing", seen_minutes_ago=12, organisation=gas_unit)  # offline (10 min)
    city.device("gas_pipeline", "qing", seen_minutes_ago=2, organisation=gas_unit)

    values = vitals.compute_online_rate(city.now, CountyIndex())
    found = by_place(values, city.regions)
    departments = {v.organisation_id: v for v in values if v.organisation_id}

    assert found["cang"].value == 50.0 and found["cang"].detail == {"online": 2, "total": 4}
    assert found["qing"].value == 50.0
    assert found["city"].value == pytest.approx(100 * 3 / 6, abs=0.01)
    assert departments[gas_unit.pk].value == 50.0
    assert departments[city.water["cang"].pk].detail == {"online": 2, "total": 4}


def test_congestion_index_from_free_flow_and_current_speed(city):
    assert vitals.congestion_index(60, 60) == 0
    assert vitals.congestion_index(60, 40) == pytest.approx(3.33, abs=0.01)   # ratio 1.5 → 0.5 × 10 / 1.5
    assert vitals.congestion_index(60, 20) == 10                              # ratio 3 → capped
    assert congestion_grade(3.33) == "基本畅通" and congestion_grade(9) == "严重拥堵"
    road = city.device("traffic", "cang")
    # the last 7 days: free flow 60 km/h (85th percentile of the history), now 30 km/h
    city.readings(road, "speed", [60] * 20, minutes_apart=60, ending_minutes_ago=60 * 2)
    city.readings(road, "speed", [30, 30], minutes_apart=5)
    city.readings(road, "flow", [1200, 1200], minutes_apart=5)
    quiet = city.device("traffic", "qing")
    city.readings(quiet, "speed", [50] * 10, minutes_apart=60, ending_minutes_ago=60 * 2)
    city.readings(quiet, "speed", [50], minutes_apart=5)
    city.readings(quiet, "flow", [400], minutes_apart=5)

    found = by_place(vitals.compute_congestion(city.now, CountyIndex()), city.regions)

    assert found["cang"].value == pytest.approx(6.67, abs=0.01)               # ratio 2 → 10 / 1.5
    assert found["cang"].grade == "中度拥堵"
    assert found["qing"].value == 0
    # flow-weighted: (6.67 × 1200 + 0 × 400) / 1600 = 5.0
    assert found["city"].value == pytest.approx(5.0, abs=0.01)


def test_the_job_stores_every_sign_and_replaces_a_rerun_of_the_same_minute(city):
    city.readings(city.device("air_quality", "cang"), "pm25", [80])
    city.alarm(city.device("gas_pipeline", "cang"))

    first = compute_vital_signs(city.now)
    again = compute_vital_signs(city.now)

    assert first == again == SignReading.objects.filter(at=city.now).count()
    assert VitalSign.objects.count() == 6
    aqi = SignReading.objects.get(sign__code="aqi", region=None)
    assert aqi.value == 107 and aqi.grade == "轻度污染"
    assert SignReading.objects.get(sign__code="gas_leak_alarms", region=city.regions["cang"]).value == 1
