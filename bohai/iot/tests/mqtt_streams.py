"""A stream of device messages for the MQTT tests, and what was stored of it."""
import json
import threading
import time
from datetime import UTC, datetime, timedelta

from django.db.models import Sum

from bohai.engines.telemetry.models import MinuteRollup, Reading, Series
from bohai.testing.mqtt import connect, disconnect, mqtt_client

METRICS = ("a", "b", "c")


class DeviceStream(threading.Thread):
    """Each device publishes `messages` readings of three metrics, one minute apart, QoS 1, persistent session.

    The publishers keep what the broker has not acknowledged and send it again after a reconnect, as a device
    should; the stream stops only once every message is acknowledged by the broker.
    """

    def __init__(self, broker, devices, messages: int, pause: float = 0.02):
        super().__init__(daemon=True)
        self.broker, self.devices, self.messages, self.pause = broker, devices, messages, pause
        self.start_at = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=1)
        self.published = 0
        self.error: BaseException | None = None

    @property
    def expected_points(self) -> int:
        return len(self.devices) * self.messages * len(METRICS)

    def payload(self, number: int) -> bytes:
        ts = self.start_at + timedelta(minutes=number)
        return json.dumps({"ts": ts.isoformat(), "values": {"a": number, "b": number + 0.5, "c": -number}}).encode()

    def run(self) -> None:
        clients, acknowledged, lock = [], set(), threading.Lock()

        def on_publish(client, userdata, mid, reason_code, properties):
            with lock:
                acknowledged.add((client._client_id, mid))

        try:
            for device, secret in self.devices:
                client = mqtt_client(f"pub-{device.code}", device.code, secret)
                client.on_publish = on_publish
                reason = connect(client, self.broker)
                assert reason is not None and not reason.is_failure, reason
                clients.append((device, client))
            sent = set()
            for number in range(self.messages):
                for device, client in clients:
                    # While the broker is away paho keeps the message (rc NO_CONN) and sends it on reconnect.
                    sent.add((client._client_id, client.publish(device.mqtt_topic, self.payload(number), qos=1).mid))
                self.published = (number + 1) * len(clients)
                time.sleep(self.pause)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not sent <= acknowledged:
                time.sleep(0.05)
            assert sent <= acknowledged, f"the broker never acknowledged {len(sent - acknowledged)} messages"
        except BaseException as error:  # noqa: BLE001 — reported by the test through .error
            self.error = error
        finally:
            for _, client in clients:
                disconnect(client)

def series_of(devices) -> list[int]:
    return list(Series.objects.filter(source_id__in=[device.pk for device, _ in devices]).values_list("pk", flat=True))


def stored_points(devices) -> int:
    return Reading.objects.filter(series_id__in=series_of(devices)).count()


def rolled_up_points(devices) -> int:
    return MinuteRollup.objects.filter(series_id__in=series_of(devices)).aggregate(total=Sum("count"))["total"] or 0


def wait_for(condition, timeout: float, poll: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(poll)
    return False


def assert_stored_exactly_once(stream: DeviceStream, timeout: float = 120, diagnostics=lambda: "") -> None:
    """Every published reading stored, once: raw rows, rollup counts and values all match what was sent."""
    stream.join(timeout)
    assert stream.error is None, stream.error
    complete = wait_for(lambda: stored_points(stream.devices) >= stream.expected_points, timeout)
    assert complete, (f"{stored_points(stream.devices)} of {stream.expected_points} readings stored; "
                      f"missing (device, message number): {missing(stream)[:20]}\n{diagnostics()}")
    time.sleep(1.0)  # late redeliveries, if any, would land now
    assert stored_points(stream.devices) == stream.expected_points
    # The raw key forbids a second row; the rollups would count a redelivered reading twice if it got through.
    assert rolled_up_points(stream.devices) == stream.expected_points
    series = dict(Series.objects.filter(source_id__in=[device.pk for device, _ in stream.devices])
                  .values_list("pk", "metric"))
    for series_id, ts, value in Reading.objects.filter(series_id__in=series).values_list("series_id", "ts", "value"):
        number = round((ts - stream.start_at).total_seconds() / 60)
        assert value == {"a": number, "b": number + 0.5, "c": -number}[series[series_id]]



def missing(stream: DeviceStream) -> list[tuple[str, int]]:
    stored = set()
    for source_id, ts in _readings_of_metric_a(stream):
        stored.add((source_id, round((ts - stream.start_at).total_seconds() / 60)))
    return [(device.code, number) for device, _ in stream.devices for number in range(stream.messages)
            if (device.pk, number) not in stored]


def _readings_of_metric_a(stream: DeviceStream):
    source_of = dict(Series.objects.filter(source_id__in=[device.pk for device, _ in stream.devices], metric="a")
                     .values_list("pk", "source_id"))
    for series_id, ts in Reading.objects.filter(series_id__in=source_of).values_list("series_id", "ts"):
        yield source_of[series_id], ts
