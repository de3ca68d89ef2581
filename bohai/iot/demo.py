"""Demo devices: a few hundred simulated sensors and meters of every type across Cangzhou's counties, owned by
the departments that run them, energy meters and CEMS at enterprises, with the last 24 hours of readings, so
that the operations centre, the device pages and the energy figures have something to show on first start.

Devices come from the simulator's fleet plan (bohai/iot/simulation/fleet.py) under the prefix DEMO-; `bohai
simulate` and `make run` then keep them reporting. Idempotent: a device whose code exists is not registered
again, and only devices that never reported get the backfill (a repeated backfill would add nothing anyway: the
pipeline stores each reading once), so a second run adds nothing and an interrupted one completes.
"""
from django.db.models import Q

from .simulation.backfill import backfill
from .simulation.fleet import FleetPlanner, owned_devices, register_planned, signal_for

DEMO_DEVICES = 330
BACKFILL_HOURS = 24
BACKFILL_INTERVAL_SECONDS = 900
PREFIX = "DEMO"


def generate_demo_devices(*, actor, seed: int) -> dict:
    plan = FleetPlanner(seed).plan(PREFIX, DEMO_DEVICES)
    if not plan:
        return {"devices": 0, "note": "no device types or county boundaries"}
    created = register_planned(plan, actor=actor)
    silent = owned_devices().filter(Q(code__in=[p.code for p in plan]), last_seen_at__isnull=True)
    signals = [signal_for(device, seed=seed, interval_seconds=BACKFILL_INTERVAL_SECONDS) for device in silent]
    report = backfill(signals, hours=BACKFILL_HOURS, interval_seconds=BACKFILL_INTERVAL_SECONDS)
    return {"devices": created, "backfilled_devices": len(signals), "readings": report.accepted}
