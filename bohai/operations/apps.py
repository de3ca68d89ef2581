from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    name = "bohai.operations"
    label = "operations"
    verbose_name = _("城市运行中心")
