from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "bohai.services"
    label = "services"
    verbose_name = _("政务服务（一网通办）")
