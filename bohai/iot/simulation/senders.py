"""How simulated messages reach the platform: over MQTT, as each device with its own credentials, or over HTTP
with the device token.

Both senders count what they sent, what the platform acknowledged (MQTT: PUBACK of a QoS 1 publish, which the
broker sends once it holds the message; HTTP: a 2xx answer, sent once the readings are stored) and what failed.

MQTT: one paho client per device (the broker checks each device's user name and password and lets it write only
its own topic), all driven by the caller's thread through one selector (`pump`): no thread per client. Tested
with a few hundred clients; each client holds three file descriptors (its socket and paho's wake-up socket pair)
and a process is limited by its open files (`ulimit -n`, often 1024): past about 300 devices raise the limit
(the command tries to), or run several simulators over disjoint fleets.

HTTP: a few worker threads, each with its own keep-alive connection, take messages from a bounded queue; when
the queue is full the message is counted as dropped rather than slowing the schedule down.
"""
import http.client
import queue
import selectors
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

TELEMETRY_PATH = "/api/v1/iot/devices/{code}/telemetry"
HTTP_TIMEOUT_SECONDS = 10
HTTP_QUEUE = 1000
RECONNECT_SECONDS = (1.0, 10.0)   # short: a fresh secret reaches the broker within seconds
MQTT_KEEPALIVE = 60


@dataclass
class Counts:
    sent: int = 0
    acked: int = 0
    failed: int = 0
    dropped: int = 0


class HttpSender:
    def __init__(self, base_url: str, secrets: dict[str, str], *, workers: int = 4,
                 path_template: str = TELEMETRY_PATH):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or (443 if parts.scheme == "https" else 80)
        self.https = parts.scheme == "https"
        self.prefix = parts.path.rstrip("/")
        self.secrets = secrets
        self.path_template = path_template
        self.counts = Counts()
        self.last_error = ""
        self._lock = threading.Lock()
        self._queue: queue.Queue = queue.Queue(maxsize=HTTP_QUEUE)
        self._threads = [threading.Thread(target=self._work, name=f"sim-http-{n}", daemon=True)
                         for n in range(workers)]
        for thread in self._threads:
            thread.start()

    def send(self, code: str, topic: str, payload: bytes) -> None:
        try:
            self._queue.put_nowait((code, payload))
        except queue.Full:
            with self._lock:
                self.counts.dropped += 1
            return
        with self._lock:
            self.counts.sent += 1

    def pump(self, timeout: float) -> None:
        time.sleep(max(timeout, 0))

    def pending(self) -> int:
        return self._queue.unfinished_tasks

    def close(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.05)
        for _ in self._threads:
            self._queue.put(None)

    def _work(self) -> None:
        connection = None
        while True:
            item = self._queue.get()
            if item is None:
                self._queue.task_done()
                return
            code, payload = item
            try:
                connection = connection or self._connect()
                ok = self._post(connection, code, payload)
            except (OSError, http.client.HTTPException) as error:
                if connection is not None:
                    connection.close()
                connection, ok = None, False
                self.last_error = str(error)
            with self._lock:
                if ok:
                    self.counts.acked += 1
                else:
                    self.counts.failed += 1
            self._queue.task_done()

    def _connect(self) -> http.client.HTTPConnection:
        kind = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
        return kind(self.host, self.port, timeout=HTTP_TIMEOUT_SECONDS)

    def _post(self, connection, code: str, payload: bytes) -> bool:
        path = self.prefix + self.path_template.format(code=code)
        connection.request("POST", path, body=payload, headers={
            "Content-Type": "application/json", "X-Device-Token": self.secrets.get(code, "")})
        response = connection.getresponse()
        body = response.read()
        if response.status >= 300:
            self.last_error = f"HTTP {response.status}: {body[:200].decode(errors='replace')}"
            return False
        return True


class MqttSender:
    """One paho client per device, QoS 1, driven by `pump` on the caller's thread."""

    def __init__(self, broker_url: str, secrets: dict[str, str], *, client_prefix: str = "bohai-sim"):
        import paho.mqtt.client as mqtt

        parts = urlsplit(broker_url if "://" in broker_url else f"mqtt://{broker_url}")
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 1883
        self.counts = Counts()
        self.refused = 0
        self.last_error = ""
        self._selector = selectors.DefaultSelector()
        self._registered: dict = {}          # client -> its registered socket
        self._retry_at: dict = {}            # client -> monotonic time of the next connection attempt
        self._backoff: dict = {}
        self._unacked: dict = {}              # client -> set of mids
        self._last_misc = 0.0
        self.clients = {}
        for code, secret in secrets.items():
            client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"{client_prefix}-{code}",
                                 clean_session=True, userdata=code)
            client.username_pw_set(code, secret)
            client.max_queued_messages_set(1000)
            client.on_connect = self._on_connect
            client.on_publish = self._on_publish
            client.on_disconnect = self._on_disconnect
            self.clients[code] = client
            self._unacked[client] = set()
            self._retry_at[client] = 0.0

    # Callbacks (run inside pump).

    def _on_connect(self, client, code, flags, reason_code, properties):
        if reason_code.is_failure:
            self.refused += 1
            self.last_error = f"{code}: {reason_code}"
            return
        self._backoff.pop(client, None)

    def _on_publish(self, client, code, mid, reason_code, properties):
        if mid in self._unacked[client]:
            self._unacked[client].discard(mid)
            self.counts.acked += 1

    def _on_disconnect(self, client, code, flags, reason_code, properties):
        self._forget_socket(client)
        delay = min(self._backoff.get(client, RECONNECT_SECONDS[0]) * 2, RECONNECT_SECONDS[1])
        self._backoff[client] = delay
        self._retry_at[client] = time.monotonic() + delay

    # Sending.

    def send(self, code: str, topic: str, payload: bytes) -> None:
        client = self.clients[code]
        info = client.publish(topic, payload, qos=1)
        if info.rc not in (0, 4):   # 4: not connected; paho keeps a QoS 1 message queued for the reconnection
            self.counts.dropped += 1
            return
        self._unacked[client].add(info.mid)
        self.counts.sent += 1
        self._watch(client)

    def pending(self) -> int:
        return sum(len(mids) for mids in self._unacked.values())

    def pump(self, timeout: float) -> None:
        """Connect whoever is due, read and write every socket that is ready, for at most `timeout` seconds."""
        now = time.monotonic()
        self._connect_due(now)
        if self._registered:
            for key, events in self._selector.select(max(timeout, 0)):
                client = key.data
                if events & selectors.EVENT_READ:
                    client.loop_read()
                if events & selectors.EVENT_WRITE:
                    client.loop_write()
                self._watch(client)
        else:
            time.sleep(max(timeout, 0))
        if now - self._last_misc >= 1.0:
            self._last_misc = now
            for client in list(self._registered):
                client.loop_misc()

    def close(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self.pending() and time.monotonic() < deadline and self._any_connected():
            self.pump(0.1)
        for client in self.clients.values():
            client.disconnect()
            if client in self._registered:
                client.loop_write()
        self._selector.close()

    def _any_connected(self) -> bool:
        return any(client.is_connected() for client in self.clients.values())

    def _connect_due(self, now: float) -> None:
        for client, due in self._retry_at.items():
            if due is None or due > now:
                continue
            self._retry_at[client] = None
            try:
                if client.is_connected() or client.socket() is not None:
                    continue
                if client in self._backoff:
                    client.reconnect()
                else:
                    client.connect(self.host, self.port, keepalive=MQTT_KEEPALIVE)
            except OSError as error:
                self.last_error = str(error)
                self._on_disconnect(client, None, None, None, None)
                continue
            self._watch(client)

    def _watch(self, client) -> None:
        """Keep the selector's registration of a client in step with its socket and whether it has output."""
        sock = client.socket()
        if sock is None:
            self._forget_socket(client)
            return
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if client.want_write() else 0)
        registered = self._registered.get(client)
        if registered is not None and registered[0] is not sock:
            self._forget_socket(client)
            registered = None
        if registered is None:
            self._selector.register(sock, events, client)
            self._registered[client] = (sock, events)
        elif registered[1] != events:
            self._selector.modify(sock, events, client)
            self._registered[client] = (sock, events)

    def _forget_socket(self, client) -> None:
        registered = self._registered.pop(client, None)
        if registered is not None:
            try:
                self._selector.unregister(registered[0])
            except (KeyError, ValueError):
                pass
