"""The live simulation: R messages a second in total, round-robin over the fleet, each message one device's
reading at the moment it is sent, handed to a sender; a progress line with sent / acknowledged / failed."""
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from .fleet import SimulatedDevice

PROGRESS_SECONDS = 1.0


@dataclass
class RunReport:
    scheduled: int = 0
    silent: int = 0          # turns that fell in an outage: the device said nothing
    seconds: float = 0.0


def device_message(ts: datetime, values: dict) -> bytes:
    """What a device sends: {"ts": ISO 8601, "values": {metric: value}}."""
    return json.dumps({"ts": ts.isoformat(timespec="milliseconds"), "values": values},
                      separators=(",", ":"), ensure_ascii=False).encode()


def run(fleet: list[SimulatedDevice], sender, *, rate: float, duration: float | None, progress=None,
        stop=lambda: False) -> RunReport:
    """Send until `duration` seconds have passed (None: until `stop()` or Ctrl-C)."""
    report = RunReport()
    started = time.monotonic()
    next_progress = started
    turn = 0
    try:
        while not stop():
            now = time.monotonic()
            if duration is not None and now - started >= duration:
                break
            due = started + turn / rate
            if due > now:
                sender.pump(min(due - now, 0.2))
                continue
            _send_turn(fleet[turn % len(fleet)], sender, report)
            turn += 1
            if turn % 50 == 0:   # behind schedule: still read the acknowledgements now and then
                sender.pump(0)
            if progress is not None and now >= next_progress:
                progress(sender, report)
                next_progress = now + PROGRESS_SECONDS
    except KeyboardInterrupt:
        pass
    report.seconds = time.monotonic() - started
    return report


def _send_turn(simulated: SimulatedDevice, sender, report: RunReport) -> None:
    report.scheduled += 1
    ts = datetime.now(UTC)
    values = simulated.signal.values(ts)
    if values is None:
        report.silent += 1
        return
    sender.send(simulated.code, simulated.device.mqtt_topic, device_message(ts, values))
