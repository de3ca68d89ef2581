"""`bohai simulate` against a live server over HTTP: it registers its devices, issues their credentials, posts
readings with each device's token, and the platform stores them; `--backfill` writes history first."""
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from bohai.engines.telemetry import store
from bohai.iot.models import Device, Rejection

from .test_demo import city_with_device_types  # noqa: F401  (the fixture)


def simulate(**options) -> str:
    out = StringIO()
    call_command("simulate", stdout=out, quiet=True, **options)
    return out.getvalue()


def stored_points(device: Device, since, metrics=None) -> int:
    metrics = metrics or [m.code for m in device.device_type.metrics.all()]
    total = 0
    for series_id in store.series_ids(device.pk, metrics).values():
        total += len(store.query(series_id, since, timezone.now() + timedelta(minutes=1), budget=100_000).points)
    return total


@pytest.mark.django_db(transaction=True)
def test_simulate_over_http_registers_devices_and_the_platform_stores_their_readings(city_with_device_types,
                                                                                     live_server):
    started = timezone.now()

    output = simulate(devices=4, rate=8, over="http", duration=3, url=live_server.url, outage_probability=0)

    devices = list(Device.objects.filter(code__startswith="SIM-").select_related("device_type"))
    assert len(devices) == 4
    assert len({d.device_type.code for d in devices}) == 4
    assert all(d.credentials_issued_at is not None for d in devices)
    assert "失败 0 条" in output
    for device in devices:
        device.refresh_from_db()
        assert device.last_seen_at is not None and device.last_seen_at >= started
        assert stored_points(device, started - timedelta(seconds=5)) >= 2 * device.device_type.metrics.count()
    assert not Rejection.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_second_run_reuses_the_devices_and_bad_data_is_rejected_by_the_platform(city_with_device_types,
                                                                                  live_server):
    simulate(devices=3, rate=6, over="http", duration=1, url=live_server.url, outage_probability=0)
    codes = set(Device.objects.values_list("code", flat=True))

    simulate(devices=3, rate=20, over="http", duration=2, url=live_server.url, outage_probability=0, bad_ratio=0.5)

    assert set(Device.objects.values_list("code", flat=True)) == codes
    assert Rejection.objects.filter(device_code__in=codes).exists()


@pytest.mark.django_db(transaction=True)
def test_backfill_writes_past_hours_through_the_pipeline_without_sending(city_with_device_types):
    output = simulate(devices=5, rate=1, over="http", duration=0, backfill=2, backfill_interval=600,
                      outage_probability=0)

    assert "入库" in output
    for device in Device.objects.filter(code__startswith="SIM-").select_related("device_type"):
        assert stored_points(device, timezone.now() - timedelta(hours=3)) >= 12 * device.device_type.metrics.count()
        assert device.credentials_issued_at is None    # no live sending: no credentials issued
