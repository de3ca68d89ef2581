"""`bohai mqtt_broker`: write Bohai's mosquitto config, password and ACL files, then run mosquitto with them.

mosquitto replaces this process (same pid, written to the pid file), so SIGTERM and the credential sync's
SIGHUP reach the broker itself.
"""
import os
import shutil

from django.core.management.base import BaseCommand, CommandError

from bohai.iot.mqtt.broker import MOSQUITTO_BINARY, broker_address, broker_files, write_config, write_credentials


class Command(BaseCommand):
    help = "运行 Bohai 的 MQTT 消息代理（mosquitto），设备口令与访问控制文件由平台维护"

    def add_arguments(self, parser):
        parser.add_argument("--url", help="listen address, mqtt://host:port (default BOHAI_MQTT_URL)")
        parser.add_argument("--write-only", action="store_true", help="write the files and exit")

    def handle(self, *args, **options):
        host, port = broker_address(options["url"])
        files = broker_files()
        config = write_config(files, port=port, host=host, log_to_file=False)
        admitted = write_credentials(files)
        self.stdout.write(f"{config}: {admitted} devices admitted, listening on {host}:{port}")
        if options["write_only"]:
            return
        binary = MOSQUITTO_BINARY if os.path.exists(MOSQUITTO_BINARY) else shutil.which("mosquitto")
        if not binary:
            raise CommandError("mosquitto is not installed (apt-get install mosquitto)")
        self.stdout.flush()
        os.execv(binary, [binary, "-c", str(config)])
