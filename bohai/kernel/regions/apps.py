from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegionsConfig(AppConfig):
    name = "bohai.kernel.regions"
    label = "regions"
    verbose_name = _("行政区划与网格")

    def ready(self):
        from bohai.kernel.pages.navigation import MenuItem, menu

        menu.add("portal", MenuItem(_("区划地图"), "regions:map", icon="map", order=80))
        menu.add("workbench", MenuItem(_("区划与网格"), "regions:workbench_list", icon="map", order=80, staff_only=True))
