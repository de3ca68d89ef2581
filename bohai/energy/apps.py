from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnergyConfig(AppConfig):
    name = "bohai.energy"
    label = "energy"
    verbose_name = _("能耗与排放监测")
