"""The MQTT ingestion worker: device messages from the broker into the ingestion pipeline, none lost, none twice.

Exactly-once storage is at-least-once delivery plus an idempotent store:
- the worker keeps a persistent session (fixed client id, clean start off, a long session expiry) and
  subscribes with QoS 1, so the broker keeps every message until the worker acknowledges it, across a
  disconnect of the worker, a restart of the broker (its persistence) and a restart of the worker;
- acknowledgements are manual: a batch (up to `batch_size` messages or `batch_wait` seconds) goes through
  `ingestion.ingest` in one transaction, and its PUBACKs leave only after that transaction committed;
- what the broker delivers again after a failure is stored again as a no-op: the telemetry store keeps one
  reading per (series, time).
A database error keeps the batch and retries it with backoff on a fresh connection; nothing is acknowledged
meanwhile. A message received on an earlier connection is never acknowledged on a later one (its packet id
may name another message there): the broker redelivers it, and it is stored as a no-op.

The buffer is bounded by the receive maximum the worker announces: the broker never has more than that many
unacknowledged messages out to it.
"""
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from django.db import DatabaseError, InterfaceError, close_old_connections, connection, transaction
from django.utils import timezone

log = logging.getLogger("bohai.iot.mqtt.worker")

SESSION_EXPIRY_SECONDS = 14 * 24 * 3600
TOPIC_PREFIX = "bohai/devices/"
TOPIC_SUFFIX = "/telemetry"
CHANNEL = "mqtt"


@dataclass
class WorkerOptions:
    host: str
    port: int
    username: str
    password: str
    client_id: str = "bohai-ingest-1"
    subscription: str = "bohai/devices/+/telemetry"
    batch_size: int = 2000
    batch_wait: float = 0.05
    receive_maximum: int = 10_000
    log_every: float = 10.0
    max_backoff: float = 5.0


@dataclass(slots=True)
class Received:
    mid: int
    topic: str
    payload: bytes
    generation: int


@dataclass
class Throughput:
    messages: int = 0
    points: int = 0
    duplicates: int = 0
    rejected: int = 0
    malformed: int = 0
    batches: int = 0
    retries: int = 0
    started: float = field(default_factory=time.monotonic)


def device_code_of(topic: str) -> str | None:
    if topic.startswith(TOPIC_PREFIX) and topic.endswith(TOPIC_SUFFIX):
        code = topic[len(TOPIC_PREFIX):-len(TOPIC_SUFFIX)]
        if code and "/" not in code:
            return code
    return None


class IngestionWorker:
    def __init__(self, options: WorkerOptions):
        self.options = options
        self.totals = Throughput()
        self._inbox: deque[Received] = deque()
        self._arrived = threading.Condition()
        self._generation = 0
        self._connected = threading.Event()
        self._stopping = threading.Event()
        self._ack_lock = threading.Lock()
        self._client = self._new_client()

    # --- the broker side (paho's network thread) ---------------------------------------------------------

    def _new_client(self):
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.options.client_id, protocol=mqtt.MQTTv5,
                             manual_ack=True)
        client.username_pw_set(self.options.username, self.options.password)
        client.reconnect_delay_set(min_delay=1, max_delay=5)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        return client

    def _connect_properties(self):
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = SESSION_EXPIRY_SECONDS
        properties.ReceiveMaximum = self.options.receive_maximum
        return properties

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            log.error("broker refused the worker: %s", reason_code)
            return
        with self._ack_lock:
            self._generation += 1
        # The session keeps the subscription; subscribing again is harmless and covers a lost session.
        client.subscribe(self.options.subscription, qos=1)
        self._connected.set()
        log.info("connected to %s:%s (session present: %s)", self.options.host, self.options.port,
                    flags.session_present)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        refused = [code for code in reason_codes if code.is_failure]
        if refused:
            log.error("the broker refused the subscription %s: %s", self.options.subscription, refused[0])
        else:
            log.info("subscribed to %s", self.options.subscription)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self._connected.clear()
        with self._ack_lock:
            self._generation += 1
        with self._arrived:
            # Not acknowledged, so the broker delivers them again after the reconnect.
            self._inbox.clear()
        if not self._stopping.is_set():
            log.warning("disconnected from the broker (%s); reconnecting", reason_code)

    def _on_message(self, client, userdata, message):
        with self._arrived:
            self._inbox.append(Received(message.mid, message.topic, message.payload, self._generation))
            if len(self._inbox) >= self.options.batch_size:
                self._arrived.notify()

    # --- the ingestion side (the main thread) ------------------------------------------------------------

    def run(self) -> Throughput:
        self._client.connect_async(self.options.host, self.options.port, keepalive=30, clean_start=False,
                                   properties=self._connect_properties())
        self._client.loop_start()
        last_log = time.monotonic()
        logged = Throughput()
        try:
            while not self._stopping.is_set():
                batch = self._next_batch()
                if batch:
                    self._process(batch)
                if time.monotonic() - last_log >= self.options.log_every:
                    self._log_throughput(logged, time.monotonic() - last_log)
                    logged, last_log = Throughput(**vars(self.totals)), time.monotonic()
        finally:
            self._client.disconnect()
            self._client.loop_stop()
            connection.close()
        return self.totals

    def stop(self) -> None:
        """Finish the batch in hand (stored and acknowledged), then leave; the rest is redelivered later."""
        self._stopping.set()
        with self._arrived:
            self._arrived.notify_all()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def _next_batch(self) -> list[Received]:
        deadline = time.monotonic() + self.options.batch_wait
        with self._arrived:
            while len(self._inbox) < self.options.batch_size and not self._stopping.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._arrived.wait(remaining if self._inbox else max(remaining, 0.2))
                if not self._inbox:
                    deadline = time.monotonic() + self.options.batch_wait
            count = min(len(self._inbox), self.options.batch_size)
            return [self._inbox.popleft() for _ in range(count)]

    def _process(self, batch: list[Received]) -> None:
        from bohai.iot.ingestion import MalformedMessage, parse_device_message

        readings, malformed = [], []
        for message in batch:
            code = device_code_of(message.topic)
            try:
                if code is None:
                    raise MalformedMessage(f"主题 {message.topic[:100]} 不是设备遥测主题")
                readings.extend(parse_device_message(code, message.payload))
            except MalformedMessage as error:
                malformed.append((code or "(invalid)", str(error)))
        outcome = self._store(readings, malformed)
        if outcome is None:  # stopping while the database was away: nothing acknowledged, all redelivered
            return
        self._acknowledge(batch)
        self.totals.messages += len(batch)
        self.totals.points += outcome.accepted
        self.totals.duplicates += outcome.duplicates
        self.totals.rejected += len(outcome.rejected)
        self.totals.malformed += len(malformed)
        self.totals.batches += 1

    def _store(self, readings, malformed):
        """Ingest the batch in one transaction, retrying database failures; None if asked to stop meanwhile."""
        from bohai.iot.ingestion import ingest, record_malformed

        backoff = 0.2
        while True:
            try:
                with transaction.atomic():
                    outcome = (ingest(readings, channel=CHANNEL, received_at=timezone.now(), timestamp_required=True)
                               if readings else None)
                    for code, detail in malformed:
                        record_malformed(code, detail)
                return outcome or _nothing_stored()
            except (DatabaseError, InterfaceError) as error:
                self.totals.retries += 1
                log.warning("database unavailable (%s); retrying the batch of %d readings in %.1f s",
                            str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__,
                            len(readings), backoff)
                _drop_connection()
                if self._stopping.wait(backoff):
                    return None
                backoff = min(backoff * 2, self.options.max_backoff)

    def _acknowledge(self, batch: list[Received]) -> None:
        with self._ack_lock:
            for message in batch:
                if message.generation == self._generation:
                    self._client.ack(message.mid, 1)

    def _log_throughput(self, before: Throughput, seconds: float) -> None:
        messages = self.totals.messages - before.messages
        points = self.totals.points - before.points
        log.info("%.0f messages/s, %.0f points/s (%d duplicates, %d rejected, %d malformed, %d retries); "
                    "%d buffered", messages / seconds, points / seconds, self.totals.duplicates - before.duplicates,
                    self.totals.rejected - before.rejected, self.totals.malformed - before.malformed,
                    self.totals.retries - before.retries, len(self._inbox))


def _nothing_stored():
    from bohai.iot.ingestion import IngestOutcome

    return IngestOutcome()


def _drop_connection() -> None:
    try:
        connection.close()
    except Exception:  # noqa: BLE001 — closing a connection the server already dropped may raise anything
        connection.connection = None
    close_old_connections()
