"""`bohai iot_worker`: take device messages from the broker into the ingestion pipeline until SIGTERM."""
import faulthandler
import logging
import signal

from django.core.management.base import BaseCommand

from bohai.iot.mqtt.broker import TELEMETRY_FILTER, WORKER_SUBSCRIPTION, broker_address, worker_credentials
from bohai.iot.mqtt.worker import IngestionWorker, WorkerOptions


class Command(BaseCommand):
    help = "MQTT 接入：从消息代理接收设备数据，批量入库后再确认（QoS 1，持久会话）"

    def add_arguments(self, parser):
        parser.add_argument("--url", help="broker address, mqtt://host:port (default BOHAI_MQTT_URL)")
        parser.add_argument("--client-id", default="bohai-ingest-1",
                            help="fixed per worker: the broker keeps this session's messages while it is away")
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument("--batch-wait", type=float, default=0.05, help="seconds to gather a batch")
        parser.add_argument("--shared", action="store_true",
                            help="join the shared subscription, for several workers on one broker (each with its own "
                                 "--client-id); one worker subscribes plainly, which mosquitto 2.0 persists more simply")
        parser.add_argument("--log-every", type=float, default=10.0, help="seconds between throughput lines")

    def handle(self, *args, **options):
        logging.getLogger("bohai.iot.mqtt").setLevel(logging.INFO)
        host, port = broker_address(options["url"])
        user, password = worker_credentials()
        worker = IngestionWorker(WorkerOptions(
            host=host, port=port, username=user, password=password, client_id=options["client_id"],
            subscription=WORKER_SUBSCRIPTION if options["shared"] else TELEMETRY_FILTER, batch_size=options["batch_size"], batch_wait=options["batch_wait"],
            log_every=options["log_every"]))
        faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1 <pid>`: where is it stuck?
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signal_number, lambda *_: worker.stop())
        totals = worker.run()
        self.stdout.write(f"stopped: {totals.messages} messages, {totals.points} points stored, "
                          f"{totals.duplicates} duplicates, {totals.rejected} rejected, {totals.malformed} malformed")
