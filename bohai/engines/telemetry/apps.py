from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelemetryConfig(AppConfig):
    name = "bohai.engines.telemetry"
    label = "telemetry"
    verbose_name = _("遥测数据存储")
