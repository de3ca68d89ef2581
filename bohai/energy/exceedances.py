"""Emission exceedances: an hour in which a CEMS monitor's average concentration of a pollutant was above the
limit of the enterprise's permit valid at that hour (the permit's dates are Beijing dates, both inclusive).

The job `energy.check_exceedances` looks at the last few complete hours every hour (late readings of an hour
still count the next time round); `check(start, end)` looks at any period. One row per device, pollutant and
hour, so looking again finds nothing new.
"""
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from . import actions, sources
from .figures import BEIJING
from .models import EmissionPermit, Exceedance, KeyEnterprise

HOURS_LOOKED_BACK = 6


def permit_at(permits: list[EmissionPermit], hour: datetime) -> EmissionPermit | None:
    """The permit valid at this hour: the one that started last among those covering its Beijing date."""
    day = hour.astimezone(BEIJING).date()
    valid = [p for p in permits if p.valid_from <= day and (p.valid_to is None or day <= p.valid_to)]
    return max(valid, key=lambda p: (p.valid_from, p.pk), default=None)


def find(start: datetime, end: datetime, enterprises=None) -> list[Exceedance]:
    """Unsaved exceedances in the complete hours of [start, end)."""
    enterprises = list(enterprises if enterprises is not None else KeyEnterprise.objects.filter(active=True))
    by_code = {e.enterprise_code: e for e in enterprises}
    permits: dict[tuple[int, str], list[EmissionPermit]] = {}
    for permit in EmissionPermit.objects.filter(enterprise__in=enterprises):
        permits.setdefault((permit.enterprise_id, permit.pollutant), []).append(permit)
    monitors = [m for ms in sources.emission_monitors(list(by_code)).values() for m in ms]
    averages = sources.hourly_averages(monitors, sources.POLLUTANTS, start, end)
    found = []
    for monitor in monitors:
        enterprise = by_code[monitor.enterprise_code]
        for pollutant in sources.POLLUTANTS:
            limits = permits.get((enterprise.pk, pollutant))
            hours = averages.get((monitor.pk, pollutant), [])
            if limits and hours:
                found.extend(_over_limit(enterprise, monitor, pollutant, limits, hours))
    return found


def _over_limit(enterprise, monitor, pollutant, limits, hourly_averages) -> list[Exceedance]:
    found = []
    for hourly in hourly_averages:
        permit = permit_at(limits, hourly.hour)
        if permit is None or Decimal(repr(hourly.average)) <= permit.limit_mg_m3:
            continue
        found.append(Exceedance(
            enterprise=enterprise, permit=permit, device_id=monitor.pk, device_code=monitor.code, pollutant=pollutant,
            hour=hourly.hour, average=hourly.average, limit=permit.limit_mg_m3,
            ratio=hourly.average / float(permit.limit_mg_m3), readings=hourly.count))
    return found


def check(start: datetime, end: datetime, *, actor, enterprises=None) -> list[Exceedance]:
    """Find and store the exceedances of [start, end); the new ones."""
    return actions.record_exceedances(find(start, end, enterprises), actor=actor)


def check_recent(*, actor, now: datetime | None = None, hours: int = HOURS_LOOKED_BACK) -> list[Exceedance]:
    end = (now or timezone.now()).replace(minute=0, second=0, microsecond=0)
    return check(end - timedelta(hours=hours), end, actor=actor)
