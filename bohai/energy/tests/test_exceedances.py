"""Exceedance detection: hourly averages of CEMS readings against the permit limit valid at that hour."""
from datetime import date, datetime, timedelta

import pytest

from bohai.energy import actions, exceedances
from bohai.energy.models import Exceedance
from bohai.kernel.events.models import OutboxEvent

from .conftest import BEIJING, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def monitored(enterprises, make_device):
    steel = enterprises["steel"]
    monitor = make_device("CEMS-STEEL-1", "cems", steel)
    # SO2 permit 35 mg/m³ until 10 March, then a stricter 25 mg/m³ from 11 March; NOx 50 with no end.
    actions.add_permit(actor="test", enterprise=steel, permit_number="91130921PW0001", pollutant="so2",
                       limit_mg_m3="35", valid_from=date(2025, 1, 1), valid_to=date(2026, 3, 10))
    actions.add_permit(actor="test", enterprise=steel, permit_number="91130921PW0002", pollutant="so2",
                       limit_mg_m3="25", valid_from=date(2026, 3, 11))
    actions.add_permit(actor="test", enterprise=steel, permit_number="91130921PW0001", pollutant="nox",
                       limit_mg_m3="50", valid_from=date(2025, 1, 1))
    return steel, monitor


def quarter_hours(day, hour, values):
    return [((2026, 3, day, hour, 15 * i), value) for i, value in enumerate(values)]


def window(day_from, day_to):
    return datetime(2026, 3, day_from, tzinfo=BEIJING), datetime(2026, 3, day_to, tzinfo=BEIJING)


def test_an_hour_whose_average_is_over_the_limit_is_an_exceedance(monitored):
    steel, monitor = monitored
    write(monitor, "so2", quarter_hours(10, 8, [30, 34, 36, 40]))   # average 35.0: at the limit, not over
    write(monitor, "so2", quarter_hours(10, 9, [30, 34, 40, 44]))   # average 37.0 > 35
    write(monitor, "so2", quarter_hours(10, 10, [80, 10, 10, 10]))  # one high reading, average 27.5: no
    write(monitor, "nox", quarter_hours(10, 9, [49, 49, 49, 49]))
    found = exceedances.check(*window(10, 11), actor="test")
    assert [(e.pollutant, e.hour.astimezone(BEIJING).hour) for e in found] == [("so2", 9)]
    stored = Exceedance.objects.get()
    assert stored.enterprise == steel and stored.device_code == "CEMS-STEEL-1" and stored.readings == 4
    assert stored.average == pytest.approx(37.0) and stored.limit == 35
    assert stored.ratio == pytest.approx(37 / 35)
    assert stored.permit.permit_number == "91130921PW0001"


def test_looking_again_finds_nothing_new(monitored):
    _steel, monitor = monitored
    write(monitor, "so2", quarter_hours(12, 14, [60, 60, 60, 60]))
    assert len(exceedances.check(*window(12, 13), actor="test")) == 1
    assert exceedances.check(*window(12, 13), actor="test") == []
    assert exceedances.check(*window(1, 31), actor="test") == []
    assert Exceedance.objects.count() == 1
    assert OutboxEvent.objects.filter(name="energy.exceedance_found").count() == 1


def test_the_limit_is_the_one_valid_at_that_hour(monitored):
    _steel, monitor = monitored
    write(monitor, "so2", quarter_hours(10, 23, [30, 30, 30, 30]))  # 10 March, limit 35: fine
    write(monitor, "so2", quarter_hours(11, 0, [30, 30, 30, 30]))   # 11 March (Beijing), limit 25: over
    found = exceedances.check(*window(10, 12), actor="test")
    assert len(found) == 1
    assert found[0].hour == datetime(2026, 3, 11, 0, tzinfo=BEIJING)
    assert found[0].limit == 25 and found[0].permit.permit_number == "91130921PW0002"


def test_no_permit_no_exceedance(monitored, enterprises, make_device):
    glass_monitor = make_device("CEMS-GLASS-1", "cems", enterprises["glass"])
    write(glass_monitor, "so2", quarter_hours(10, 9, [500, 500]))
    _steel, monitor = monitored
    write(monitor, "particulates", quarter_hours(10, 9, [500, 500]))  # the steelworks has no particulates limit
    assert exceedances.check(*window(1, 31), actor="test") == []


def test_an_expired_permit_stops_counting(enterprises, make_device):
    glass = enterprises["glass"]
    monitor = make_device("CEMS-GLASS-2", "cems", glass)
    actions.add_permit(actor="test", enterprise=glass, permit_number="P-OLD", pollutant="nox", limit_mg_m3="100",
                       valid_from=date(2025, 1, 1), valid_to=date(2026, 2, 28))
    write(monitor, "nox", quarter_hours(5, 9, [300]))
    assert exceedances.check(*window(1, 31), actor="test") == []


def test_the_job_looks_at_recent_complete_hours(monitored):
    _steel, monitor = monitored
    now = datetime(2026, 3, 20, 10, 20, tzinfo=BEIJING)
    write(monitor, "nox", [(now - timedelta(hours=2), 80), (now - timedelta(minutes=10), 90)])
    found = exceedances.check_recent(actor="test", now=now)
    # 08:10 falls in the complete hour 08:00; 10:10 is in the hour still running
    assert [e.hour for e in found] == [datetime(2026, 3, 20, 8, tzinfo=BEIJING)]


def test_permit_dates_are_checked(enterprises):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        actions.add_permit(actor="test", enterprise=enterprises["glass"], permit_number="P", pollutant="so2",
                           limit_mg_m3="10", valid_from=date(2026, 3, 1), valid_to=date(2026, 2, 1))
    assert "valid_to" in refused.value.message_dict


def test_officers_over_the_enterprise_are_told_once_a_day(monitored, make_staff, cangzhou):
    from bohai.kernel.events.outbox import deliver_pending
    from bohai.kernel.notifications.models import Notification

    city, county, other = (make_staff("energy_officer", cangzhou[key]) for key in ("city", "cang", "qing"))
    _steel, monitor = monitored
    write(monitor, "so2", quarter_hours(12, 9, [60]) + quarter_hours(12, 10, [70]))
    assert len(exceedances.check(*window(12, 13), actor="test")) == 2
    deliver_pending(now=datetime(2030, 1, 1, tzinfo=BEIJING))
    told = Notification.objects.filter(topic="energy.exceedance")
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted([city.pk, county.pk])
    assert other.pk not in told.values_list("recipient_id", flat=True)
    assert "二氧化硫" in told.first().title
