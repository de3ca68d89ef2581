from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "bohai.services"
    label = "services"
    verbose_name = _("政务服务（一网通办）")

    def ready(self):
        from bohai.kernel.pages.navigation import MenuItem, menu

        menu.add("portal", MenuItem(_("办事服务"), "services:catalogue", icon="briefcase", order=10))
        menu.add("portal", MenuItem(_("我的办件"), "services:my_applications", icon="list-check", order=11, staff_only=True))
        menu.add("portal", MenuItem(_("好差评"), "services:reviews", icon="star", order=12, staff_only=True))
        menu.add("workbench", MenuItem(_("一窗受理"), "services:window", permission="services.add_application",
                                       icon="id", order=30))
        menu.add("workbench", MenuItem(_("我的待办"), "services:tasks", permission="services.change_application",
                                       icon="list-check", order=31))
        menu.add("workbench", MenuItem(_("办件查询"), "services:work_applications", permission="services.view_application",
                                       icon="search", order=32))
        menu.add("workbench", MenuItem(_("差评整改"), "services:rectifications", permission="services.view_rectification",
                                       icon="star", order=33))
        menu.add("workbench", MenuItem(_("服务统计"), "services:statistics", permission="services.view_statistics",
                                       icon="chart", order=34))
