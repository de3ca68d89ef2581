"""Bohai's mosquitto: the config it runs with, the password and ACL files Bohai keeps in sync, and the reload.

The broker itself checks every device: its user name is the device code, its password the device secret (the
file holds the PBKDF2-SHA512 `$7$` hash Bohai stored when it issued the secret), and the ACL lets a device write
only `bohai/devices/<its code>/telemetry` (a `pattern` line with `%u`). Only active devices are in the password
file; the ingestion worker has its own account that may read every device's topic.

After a device's credentials or status change, the registry's actions call `request_sync()` on commit; the job
`iot.sync_broker` rewrites both files (temporary file + `os.replace`, so the broker never reads half a file)
and sends SIGHUP to the broker named by the pid file: mosquitto 2 then rereads both files and disconnects
clients whose password no longer checks. The files live in `BOHAI_MQTT_DIR` (default `var/mosquitto/`), so the
job must run on the broker's machine; a cluster of brokers would use an auth plugin reading the database instead.

Refused connections are counted by Bohai's small broker plugin (`refusals_plugin.c`, built by `make install`
where mosquitto's development headers are installed): it writes counts per user name into `refusals/`, and
`refusals.collect_refusals` adds them to the devices' rejections. Without the plugin the broker runs as before and
refused MQTT connections are not counted (the broker's start says so in the log).
"""
import getpass
import logging
import os
import secrets
import signal
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

log = logging.getLogger(__name__)

MOSQUITTO_BINARY = "/usr/sbin/mosquitto"
SYNC_JOB = "iot.sync_broker"
DEVICE_TOPIC_PATTERN = "bohai/devices/%u/telemetry"
TELEMETRY_FILTER = "bohai/devices/+/telemetry"
SHARED_GROUP = "bohai"
# Several workers (client ids of their own) share the device traffic through one shared subscription.
WORKER_SUBSCRIPTION = f"$share/{SHARED_GROUP}/{TELEMETRY_FILTER}"
MAX_QUEUED_MESSAGES = 5_000_000
MAX_INFLIGHT_MESSAGES = 10_000
AUTOSAVE_SECONDS = 30
REFUSALS_FLUSH_SECONDS = 5


@dataclass(frozen=True)
class BrokerFiles:
    directory: Path

    @property
    def config(self) -> Path:
        return self.directory / "mosquitto.conf"

    @property
    def passwords(self) -> Path:
        return self.directory / "passwords"

    @property
    def acl(self) -> Path:
        return self.directory / "acl"

    @property
    def pid(self) -> Path:
        return self.directory / "mosquitto.pid"

    @property
    def persistence(self) -> Path:
        return self.directory / "data"

    @property
    def worker_password(self) -> Path:
        return self.directory / "worker_password"

    @property
    def refusals(self) -> Path:
        return self.directory / "refusals"


def broker_files(directory: Path | str | None = None) -> BrokerFiles:
    files = BrokerFiles(Path(directory or settings.BOHAI_MQTT_DIR))
    files.directory.mkdir(parents=True, exist_ok=True)
    files.persistence.mkdir(exist_ok=True)
    files.refusals.mkdir(exist_ok=True)
    return files


def broker_address(url: str | None = None) -> tuple[str, int]:
    """(host, port) of `BOHAI_MQTT_URL` (mqtt://host:port)."""
    parts = urlsplit(url or settings.BOHAI_MQTT_URL)
    return parts.hostname or "127.0.0.1", parts.port or 1883


def worker_credentials(directory: Path | str | None = None) -> tuple[str, str]:
    """The ingestion worker's broker account: the setting's password, else one generated into the broker dir."""
    user = settings.BOHAI_MQTT_WORKER_USER
    if settings.BOHAI_MQTT_WORKER_PASSWORD:
        return user, settings.BOHAI_MQTT_WORKER_PASSWORD
    path = broker_files(directory).worker_password
    if not path.exists():
        _write_atomically(path, secrets.token_urlsafe(32))
    return user, path.read_text().strip()


def refusals_plugin() -> Path | None:
    """The built refusal-counting plugin, or None when it was not built (no mosquitto development headers)."""
    path = Path(settings.BOHAI_MQTT_REFUSALS_PLUGIN)
    return path if path.is_file() else None


def _plugin_lines(files: BrokerFiles) -> list[str]:
    plugin = refusals_plugin()
    if plugin is None:
        log.warning("the broker plugin %s is not built (apt-get install mosquitto-dev libmosquitto-dev, then "
                    "make install): refused MQTT connections will not be counted", settings.BOHAI_MQTT_REFUSALS_PLUGIN)
        return []
    return [f"plugin {plugin}", f"plugin_opt_refusals_dir {files.refusals}",
            f"plugin_opt_flush_seconds {REFUSALS_FLUSH_SECONDS}"]


def config_text(files: BrokerFiles, *, port: int, host: str = "127.0.0.1", log_to_file: bool = True) -> str:
    logging_lines = [f"log_dest file {files.directory / 'mosquitto.log'}"] if log_to_file else ["log_dest stderr"]
    return "\n".join([
        "# Written by Bohai (bohai/iot/mqtt/broker.py); regenerated on every start, do not edit.",
        f"user {getpass.getuser()}",
        f"pid_file {files.pid}",
        "per_listener_settings false",
        "allow_anonymous false",
        f"password_file {files.passwords}",
        f"acl_file {files.acl}",
        *_plugin_lines(files),
        # Sessions and their queued QoS 1 messages survive a restart of the broker (saved on shutdown and
        # every AUTOSAVE_SECONDS; a crash of the broker itself loses at most what arrived since).
        "persistence true",
        f"persistence_location {files.persistence}/",
        f"autosave_interval {AUTOSAVE_SECONDS}",
        "persistent_client_expiration 14d",
        # A worker that is down for a while finds every message queued, not the newest 1,000.
        f"max_queued_messages {MAX_QUEUED_MESSAGES}",
        "max_queued_bytes 0",
        f"max_inflight_messages {MAX_INFLIGHT_MESSAGES}",
        "queue_qos0_messages false",
        "set_tcp_nodelay true",
        *logging_lines,
        "log_type error",
        "log_type warning",
        "log_type notice",
        "connection_messages false",
        "",
        f"listener {port} {host}",
        "protocol mqtt",
        "max_connections -1",
        "",
    ])


def write_config(files: BrokerFiles, *, port: int, host: str = "127.0.0.1", log_to_file: bool = True) -> Path:
    _write_atomically(files.config, config_text(files, port=port, host=host, log_to_file=log_to_file))
    return files.config


def acl_text(worker_user: str) -> str:
    return "\n".join([
        "# Written by Bohai: each device (user name = device code) may publish only to its own telemetry topic.",
        f"pattern write {DEVICE_TOPIC_PATTERN}",
        "",
        f"user {worker_user}",
        f"topic read {TELEMETRY_FILTER}",
        "",
    ])


def password_lines(worker_user: str, worker_password: str):
    from bohai.iot.credentials import mosquitto_password_hash
    from bohai.iot.models import Device, DeviceStatus

    yield f"{worker_user}:{mosquitto_password_hash(worker_password)}\n"
    devices = (Device.objects.filter(status=DeviceStatus.ACTIVE).exclude(mqtt_password_hash="")
               .order_by().values_list("code", "mqtt_password_hash"))
    for code, password_hash in devices.iterator(chunk_size=5000):
        if code != worker_user:
            yield f"{code}:{password_hash}\n"


def write_credentials(files: BrokerFiles) -> int:
    """Write the password and ACL files from the registry; the number of devices admitted."""
    user, password = worker_credentials(files.directory)
    lines = list(password_lines(user, password))
    _write_atomically(files.passwords, "".join(lines))
    _write_atomically(files.acl, acl_text(user))
    return len(lines) - 1


def reload_broker(files: BrokerFiles) -> bool:
    """SIGHUP to the running broker (it rereads its password and ACL files); False when none runs."""
    try:
        pid = int(files.pid.read_text().strip())
        os.kill(pid, signal.SIGHUP)
    except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
        return False
    return True


def sync_broker_credentials(directory: Path | str | None = None) -> int:
    """Bring the broker's password and ACL files in line with the registry and have the broker reread them."""
    files = broker_files(directory)
    admitted = write_credentials(files)
    reloaded = reload_broker(files)
    log.info("broker credentials: %d devices admitted, broker %s", admitted,
             "reloaded" if reloaded else "not running")
    return admitted


def request_sync() -> None:
    """Ask for a sync soon; cheap and debounced: one queued job however many changes commit before it runs.

    Call it after commit (`transaction.on_commit(request_sync)`) so the job sees the change.
    """
    from bohai.kernel.jobs.models import Job
    from bohai.kernel.jobs.registry import enqueue

    from . import jobs  # noqa: F401 — registers iot.sync_broker in this process

    if not Job.objects.filter(name=SYNC_JOB, status=Job.Status.QUEUED).exists():
        enqueue(SYNC_JOB)


def _write_atomically(path: Path, text: str) -> None:
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
