"""Connections the broker refused, counted by Bohai's broker plugin, into the devices' rejections.

The plugin (`refusals_plugin.c`) writes a file per interval into `<BOHAI_MQTT_DIR>/refusals/`: one line per user
name with the count, the time of the last refusal and the client's address. A device's user name is its code,
so each count lands on the device as "bad credentials" (or "not active" for a device that is not admitted,
"unknown device" for a name that is no device). Each file is recorded in one transaction and deleted after
it commits; a crash between the two counts that file twice, which errs on the side of the owner seeing it.
"""
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone as dt_timezone
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from bohai.iot.directory import directory as device_directory
from bohai.iot.ingestion import RejectedReading, count_rejections
from bohai.iot.models import RejectionReason

from .broker import broker_files

log = logging.getLogger(__name__)

FILE_PATTERN = "refused-*.tsv"
OTHER_NAMES = "*"  # the plugin's line for over-long names and names beyond its per-interval limit


@dataclass(frozen=True)
class Refusal:
    user_name: str
    count: int
    last_at: datetime
    address: str


@dataclass
class CollectedRefusals:
    files: int = 0
    connections: int = 0
    bad_lines: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"files": self.files, "connections": self.connections, "bad_lines": self.bad_lines[:20]}


def collect_refusals(directory: Path | str | None = None) -> CollectedRefusals:
    """Record every refusal file the plugin has written, oldest first, then delete it."""
    collected = CollectedRefusals()
    for path in sorted(broker_files(directory).refusals.glob(FILE_PATTERN)):
        refusals, bad_lines = read_refusals(path)
        with transaction.atomic():
            record_refusals(refusals)
        path.unlink()
        collected.files += 1
        collected.connections += sum(refusal.count for refusal in refusals)
        collected.bad_lines.extend(bad_lines)
    for line in collected.bad_lines:
        log.warning("broker refusals: line skipped: %s", line)
    return collected


def read_refusals(path: Path) -> tuple[list[Refusal], list[str]]:
    refusals, bad_lines = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        refusal = _parse(line)
        if refusal is None:
            bad_lines.append(f"{path.name}:{number}: {line[:120]!r}")
        else:
            refusals.append(refusal)
    return refusals, bad_lines


def _parse(line: str) -> Refusal | None:
    parts = line.split("\t")
    if len(parts) != 4 or not parts[0] or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    count = int(parts[1])
    if count < 1:
        return None
    last_at = datetime.fromtimestamp(int(parts[2]), tz=dt_timezone.utc)
    return Refusal(user_name=parts[0], count=count, last_at=last_at, address=parts[3])


def record_refusals(refusals: list[Refusal]) -> None:
    worker_user = settings.BOHAI_MQTT_WORKER_USER
    for refusal in refusals:
        if refusal.user_name == worker_user:
            log.error("the broker refused the ingestion worker's own account %d times (from %s): check "
                      "BOHAI_MQTT_WORKER_PASSWORD", refusal.count, refusal.address or "?")
    device_refusals = [refusal for refusal in refusals if refusal.user_name != worker_user]
    if not device_refusals:
        return
    entries = device_directory.entries_for({refusal.user_name for refusal in device_refusals})
    rejected = [_as_rejection(refusal, entries.get(refusal.user_name)) for refusal in device_refusals]
    count_rejections(rejected, entries, max(refusal.last_at for refusal in device_refusals))


def _as_rejection(refusal: Refusal, entry) -> RejectedReading:
    source = refusal.address or "?"
    if refusal.user_name == OTHER_NAMES:
        reason = RejectionReason.UNKNOWN_DEVICE
        detail = _("MQTT 连接被拒绝：用户名过长或一段时间内出现过多不同用户名（来自 %(source)s）")
    elif entry is None:
        reason = RejectionReason.UNKNOWN_DEVICE
        detail = _("MQTT 连接被拒绝：用户名不是已登记的设备（来自 %(source)s）")
    elif not entry.active:
        reason = RejectionReason.INACTIVE_DEVICE
        detail = _("MQTT 连接被拒绝：设备未启用（来自 %(source)s）")
    else:
        reason = RejectionReason.BAD_CREDENTIALS
        detail = _("MQTT 凭据错误：用户名或密码不对，连接被拒绝（来自 %(source)s）")
    return RejectedReading(0, refusal.user_name, "", reason, detail % {"source": source}, times=refusal.count)
