from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlarmsConfig(AppConfig):
    name = "bohai.engines.alarms"
    label = "alarms"
    verbose_name = _("告警规则与告警")
