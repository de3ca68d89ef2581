from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnergyConfig(AppConfig):
    name = "bohai.energy"
    label = "energy"
    verbose_name = _("能耗与排放监测")

    def ready(self):
        from bohai.kernel.pages.navigation import MenuItem, menu

        menu.add("workbench", MenuItem(_("重点企业能耗"), "energy:overview", permission="energy.view_monthlyenergy",
                                       icon="chart", order=60))
        menu.add("workbench", MenuItem(_("行业能耗月报"), "energy:industry", permission="energy.view_monthlyenergy",
                                       icon="file", order=61))
