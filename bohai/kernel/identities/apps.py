from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentitiesConfig(AppConfig):
    name = "bohai.kernel.identities"
    label = "identities"
    verbose_name = _("人口与法人（一号）")
