from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "bohai.cases"
    label = "cases"
    verbose_name = _("网格化管理与12345诉求")
