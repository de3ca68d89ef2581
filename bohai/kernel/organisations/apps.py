from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganisationsConfig(AppConfig):
    name = "bohai.kernel.organisations"
    label = "organisations"
    verbose_name = _("机构")

    def ready(self):
        from . import directory  # noqa: F401 (connects the signals that empty the map of units)
