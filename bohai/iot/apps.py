from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IotConfig(AppConfig):
    name = "bohai.iot"
    label = "iot"
    verbose_name = _("城市物联网接入")
