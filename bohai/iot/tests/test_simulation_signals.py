"""The simulator's signal model: valid ranges, daily cycles, anomalies and outages at their probabilities,
determinism by seed, bad data only when asked for."""
import json
import math
from datetime import UTC, datetime, timedelta
from statistics import mean

import pytest

from bohai.iot.actions.registry import DEVICE_TYPES_FILE
from bohai.iot.simulation.signals import ANOMALY_MINUTES, OUTAGE_MINUTES, PROFILES, DeviceSignal

SEEDED = {spec["code"]: {m["code"]: (m["minimum"], m["maximum"]) for m in spec["metrics"]}
          for spec in json.loads(DEVICE_TYPES_FILE.read_text(encoding="utf-8"))}
START = datetime(2026, 1, 5, tzinfo=UTC)          # winter: heating on, inversions at night
SUMMER = datetime(2026, 7, 6, tzinfo=UTC)
LOCAL = timedelta(hours=8)


def signal(type_code, number=1, **options):
    options.setdefault("ranges", SEEDED[type_code])
    return DeviceSignal(f"SIM-{type_code}-{number}", type_code, **options)


def at_local_hour(day_start: datetime, day: int, hour: float) -> datetime:
    """UTC instant of `hour` o'clock Beijing time on the `day`-th day after `day_start`'s date."""
    return day_start + timedelta(days=day, hours=hour) - LOCAL


def hourly_mean(type_code, metric, hours, *, start=START, devices=12, days=7, **options):
    values = []
    for number in range(devices):
        device = signal(type_code, number, anomaly_probability=0, outage_probability=0, **options)
        for day in range(days):
            for hour in hours:
                values.append(device.values(at_local_hour(start, day, hour))[metric])
    return mean(values)


def test_the_profiles_cover_every_seeded_type_and_metric():
    assert set(SEEDED) <= set(PROFILES)
    for type_code, metrics in SEEDED.items():
        assert set(metrics) <= set(PROFILES[type_code]), type_code


@pytest.mark.parametrize("type_code", sorted(SEEDED))
@pytest.mark.parametrize("start", [START, SUMMER], ids=["winter", "summer"])
def test_values_stay_within_the_valid_range_even_during_anomalies(type_code, start):
    for number in range(5):
        device = signal(type_code, number, seed=7, anomaly_probability=0.3, outage_probability=0.0,
                        interval_seconds=900)
        for step in range(0, 3 * 24 * 60, 20):
            values = device.values(start + timedelta(minutes=step))
            assert set(values) == set(SEEDED[type_code])
            for metric, value in values.items():
                low, high = SEEDED[type_code][metric]
                assert isinstance(value, (int, float)) and math.isfinite(value)
                assert low <= value <= high, (type_code, metric, value)


def test_water_flow_peaks_in_the_morning_and_evening_and_pressure_dips_then():
    night = hourly_mean("water_supply", "flow", [2, 3, 4])
    morning = hourly_mean("water_supply", "flow", [7, 7.5, 8])
    evening = hourly_mean("water_supply", "flow", [19, 19.5, 20])
    assert morning > 2 * night and evening > 2 * night
    assert hourly_mean("water_supply", "pressure", [7.5]) < hourly_mean("water_supply", "pressure", [3])


def test_traffic_rush_hours_bring_flow_up_and_speed_down():
    assert hourly_mean("traffic", "flow", [8, 18]) > 4 * hourly_mean("traffic", "flow", [3])
    assert hourly_mean("traffic", "speed", [8, 18]) < 0.7 * hourly_mean("traffic", "speed", [3])


def test_power_load_peaks_in_the_evening():
    assert hourly_mean("power", "load", [20]) > 1.5 * hourly_mean("power", "load", [4])


def test_temperature_is_diurnal_and_seasonal():
    assert hourly_mean("weather", "temperature", [14.5]) > hourly_mean("weather", "temperature", [5]) + 6
    assert hourly_mean("weather", "temperature", [12], start=SUMMER) > hourly_mean("weather", "temperature", [12]) + 20


def test_fine_particles_are_worse_on_winter_nights():
    winter_night = hourly_mean("air_quality", "pm25", [23, 1])
    assert winter_night > 1.3 * hourly_mean("air_quality", "pm25", [14])
    assert winter_night > 2 * hourly_mean("air_quality", "pm25", [23, 1], start=SUMMER)


def test_heating_runs_in_the_heating_season_with_return_below_supply():
    supply = hourly_mean("heating", "supply_temperature", [6])
    assert supply > 50
    assert hourly_mean("heating", "return_temperature", [6]) < supply - 8
    assert hourly_mean("heating", "supply_temperature", [6], start=SUMMER) < 35


def test_energy_readings_are_consumption_per_interval():
    quarter = hourly_mean("energy_meter", "electricity", [10], interval_seconds=900)
    hour = hourly_mean("energy_meter", "electricity", [10], interval_seconds=3600)
    assert hour == pytest.approx(4 * quarter, rel=0.05)


def fraction(devices, predicate, samples_per_device=400, hours=2000):
    hits = total = 0
    for device in devices:
        for n in range(samples_per_device):
            ts = START + timedelta(seconds=(n * 7919 * 60 + 13) % (hours * 3600))
            hits += predicate(device, ts)
            total += 1
    return hits / total


@pytest.mark.parametrize("probability", [0.05, 0.2])
def test_anomalies_happen_at_the_configured_probability(probability):
    devices = [signal("water_supply", n, anomaly_probability=probability, outage_probability=0) for n in range(100)]
    # Each hour starts an anomaly with the probability; it lasts ANOMALY_MINUTES on average.
    expected = 1 - math.exp(-probability * mean(ANOMALY_MINUTES) / 60)
    observed = fraction(devices, lambda d, ts: d.anomaly_at(ts) is not None)
    assert observed == pytest.approx(expected, rel=0.2)


def test_no_anomalies_at_zero_probability():
    devices = [signal("gas_pipeline", n, anomaly_probability=0) for n in range(20)]
    assert fraction(devices, lambda d, ts: d.anomaly_at(ts) is not None, samples_per_device=200) == 0


def test_outages_silence_the_device_at_the_configured_probability():
    devices = [signal("traffic", n, outage_probability=0.05, anomaly_probability=0) for n in range(100)]
    expected = 1 - math.exp(-0.05 * mean(OUTAGE_MINUTES) / 60)
    assert fraction(devices, lambda d, ts: d.is_silent(ts)) == pytest.approx(expected, rel=0.2)
    silent = next((d, START + timedelta(minutes=m)) for d in devices for m in range(0, 6000, 5)
                  if d.is_silent(START + timedelta(minutes=m)))
    assert silent[0].values(silent[1]) is None


@pytest.mark.parametrize("type_code, breach", [
    ("water_supply", lambda v: v["pressure"] < 0.15),
    ("gas_pipeline", lambda v: v["leak_concentration"] >= 20),
    ("manhole_cover", lambda v: v["open"] == 1 and v["tilt"] >= 15),
    ("air_quality", lambda v: v["pm25"] >= 180),
    ("emission_monitor", lambda v: v["so2"] > 35 and v["nox"] > 50 and v["particulates"] > 10),
    ("water_level", lambda v: v["water_level"] > 6.0),
    ("power", lambda v: v["voltage"] < 205),
])
def test_anomalies_breach_the_usual_alarm_thresholds_and_normal_running_does_not(type_code, breach):
    seen_anomalies = 0
    for number in range(10):
        device = signal(type_code, number, anomaly_probability=0.2, outage_probability=0)
        for step in range(0, 4 * 24 * 60, 10):
            ts = START + timedelta(minutes=step)
            values = device.values(ts)
            if device.anomaly_at(ts) is not None:
                seen_anomalies += 1
                assert breach(values), values
            else:
                assert not breach(values), values
    assert seen_anomalies > 20


def test_the_same_seed_gives_the_same_history_and_another_seed_another():
    times = [START + timedelta(minutes=m) for m in range(0, 6000, 37)]
    first = [signal("air_quality", seed=1, anomaly_probability=0.1).values(ts) for ts in times]
    again = [signal("air_quality", seed=1, anomaly_probability=0.1).values(ts) for ts in times]
    other = [signal("air_quality", seed=2, anomaly_probability=0.1).values(ts) for ts in times]
    assert first == again
    assert first != other


def test_bad_data_only_when_asked_for():
    def bad(values, type_code):
        return any(metric not in SEEDED[type_code] or not isinstance(value, (int, float))
                   or not SEEDED[type_code][metric][0] <= value <= SEEDED[type_code][metric][1]
                   for metric, value in values.items())

    times = [START + timedelta(minutes=m) for m in range(0, 3000, 3)]
    clean = signal("power", outage_probability=0)
    assert not any(bad(clean.values(ts), "power") for ts in times)
    dirty = signal("power", outage_probability=0, bad_ratio=0.1)
    share = mean(bad(dirty.values(ts), "power") for ts in times)
    assert share == pytest.approx(0.1, abs=0.03)
