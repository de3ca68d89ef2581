from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BootstrapConfig(AppConfig):
    name = "bohai.kernel.bootstrap"
    label = "bootstrap"
    verbose_name = _("平台初始化")
