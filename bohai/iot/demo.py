"""Demo devices: a few hundred simulated sensors and meters of every type across Cangzhou's counties, owned by
the departments that run them, energy meters and CEMS at enterprises, with the last 24 hours of readings, so
that the operations centre, the device pages and the energy figures have something to show on first start.

Devices come from the simulator's fleet plan (bohai/iot/simulation/fleet.py) under the prefix DEMO-; `bohai
simulate` and `make run` then keep them reporting. Idempotent: a device whose code exists is not registered
again, and only devices that never reported get the backfill (a repeated backfill would add nothing anyway: the
pipeline stores each reading once), so a second run adds nothing and an interrupted one completes. A few
city-wide alarm rules (DEMO_RULES, created once by name) turn the simulated anomalies into alarms.
"""
from django.conf import settings
from django.db.models import Q

from bohai.engines.alarms.actions import create_rule
from bohai.engines.alarms.models import Rule
from bohai.kernel.regions.models import Region

from .simulation.backfill import backfill
from .simulation.fleet import FleetPlanner, owned_devices, register_planned, signal_for
from .subjects import SUBJECT_KIND

DEMO_DEVICES = 330
BACKFILL_HOURS = 24
BACKFILL_INTERVAL_SECONDS = 900
PREFIX = "DEMO"
DEMO_OFFICER = "device_officer"
DUTY_DAYS = 8
# City-wide rules that the simulator's anomalies cross and its normal running does not (bohai/iot/tests/
# test_simulation_signals.py checks both): (name, device type, metric, condition, threshold, hysteresis, severity).
DEMO_RULES = (
    ("供水管网压力过低", "water_supply", "pressure", "below", 0.15, 0.03, "major"),
    ("燃气泄漏浓度超限", "gas_pipeline", "leak_concentration", "above", 20, 5, "critical"),
    ("井盖开启", "manhole_cover", "open", "above", 0.5, 0, "major"),
    ("PM2.5 重污染", "air_quality", "pm25", "above", 180, 20, "minor"),
    ("二氧化硫排放超标", "emission_monitor", "so2", "above", 35, 3, "major"),
    ("氮氧化物排放超标", "emission_monitor", "nox", "above", 50, 5, "major"),
    ("颗粒物排放超标", "emission_monitor", "particulates", "above", 10, 1, "major"),
    ("河道水位超警戒", "water_level", "water_level", "above", 6.0, 0.3, "major"),
    ("配电电压过低", "power", "voltage", "below", 205, 3, "minor"),
)


def generate_demo_devices(*, actor, seed: int) -> dict:
    plan = FleetPlanner(seed).plan(PREFIX, DEMO_DEVICES)
    if not plan:
        return {"devices": 0, "note": "no device types or county boundaries"}
    created = register_planned(plan, actor=actor)
    rules = ensure_demo_rules(actor=actor)
    silent = owned_devices().filter(Q(code__in=[p.code for p in plan]), last_seen_at__isnull=True)
    signals = [signal_for(device, seed=seed, interval_seconds=BACKFILL_INTERVAL_SECONDS) for device in silent]
    report = backfill(signals, hours=BACKFILL_HOURS, interval_seconds=BACKFILL_INTERVAL_SECONDS)
    return {"devices": created, "rules": rules, "backfilled_devices": len(signals), "readings": report.accepted,
            "officer": ensure_device_officer(actor=actor)}


def ensure_device_officer(*, actor) -> str:
    """The demo device officer: of the water bureau that owns the most demo devices, over its devices only."""
    from django.db.models import Count

    from bohai.kernel.accounts import actions as accounts
    from bohai.kernel.accounts.models import Role, User
    from bohai.kernel.demo.accounts import demo_password
    from bohai.kernel.organisations.models import Organisation

    if User.objects.filter(username=DEMO_OFFICER).exists():
        return DEMO_OFFICER
    if not Role.objects.filter(code="device_officer").exists():  # roles are reference data: `bohai setup` loads them
        return ""
    unit = (Organisation.objects.filter(function="water").annotate(owned=Count("devices")).filter(owned__gt=0)
            .order_by("-owned", "key").select_related("region").first())
    if unit is None:
        return ""
    user = accounts.create_staff_account(actor=actor, username=DEMO_OFFICER, password=demo_password(),
                                         organisation=unit, display_name="设备管理演示员")
    accounts.assign_role(user, actor=actor, role_code="device_officer", region=unit.region, organisation=unit)
    put_on_duty(user, actor=actor)
    return DEMO_OFFICER


def put_on_duty(user, *, actor) -> int:
    """24-hour duty (08:00 to 08:00, as bureaus keep it) from yesterday morning for a week: the demo's alarms of
    the officer's unit reach a named person first."""
    from datetime import timedelta

    from django.utils import timezone

    from bohai.engines.alarms.actions import add_daily_duty_shifts

    start = (timezone.localtime() - timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    return len(add_daily_duty_shifts(actor=actor, organisation=user.organisation, user=user, starts_at=start,
                                     ends_at=start + timedelta(days=1), days=DUTY_DAYS))


def ensure_demo_rules(*, actor) -> int:
    """The demo's alarm rules, created before the backfill so that its anomalies raise (and clear) alarms."""
    city = Region.objects.filter(key=settings.BOHAI_CITY_CODE).first()
    existing = set(Rule.objects.filter(subject_kind=SUBJECT_KIND).values_list("name", flat=True))
    created = 0
    for name, device_type, metric, kind, threshold, hysteresis, severity in DEMO_RULES:
        if city is None or name in existing:
            continue
        create_rule(actor=actor, name=name, subject_kind=SUBJECT_KIND, subject_type=device_type, kind=kind,
                    metric=metric, threshold=threshold, hysteresis=hysteresis, severity=severity, region=city)
        created += 1
    return created
