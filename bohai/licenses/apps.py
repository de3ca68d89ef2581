from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LicensesConfig(AppConfig):
    name = "bohai.licenses"
    label = "licenses"
    verbose_name = _("电子证照库")
