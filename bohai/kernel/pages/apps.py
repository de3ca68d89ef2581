from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PagesConfig(AppConfig):
    name = "bohai.kernel.pages"
    label = "pages"
    verbose_name = _("页面")

    def ready(self):
        from .navigation import MenuItem, menu

        menu.add("portal", MenuItem(_("首页"), "pages:home", icon="home", order=0))
        menu.add("workbench", MenuItem(_("工作台首页"), "pages:workbench", icon="dashboard", order=0, staff_only=True))
        menu.add("ops", MenuItem(_("城市运行总览"), "pages:ops", icon="screen", order=0, staff_only=True))
