from dataclasses import dataclass

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from bohai.kernel.pages.navigation import MenuItem


@dataclass(frozen=True)
class RoleMenuItem(MenuItem):
    """An entry for the holders of one role: grid workers and hotline operators share the permission to add a
    case, but each has their own page."""

    role: str = ""

    def visible_to(self, user) -> bool:
        if not super().visible_to(user) or not getattr(user, "is_authenticated", False):
            return False
        if user.is_superuser:
            return True
        codes = user.__dict__.get("_case_menu_roles")
        if codes is None:
            codes = user.__dict__["_case_menu_roles"] = set(user.role_assignments.values_list("role__code", flat=True))
        return self.role in codes


class CasesConfig(AppConfig):
    name = "bohai.cases"
    label = "cases"
    verbose_name = _("网格化管理与12345诉求")

    def ready(self):
        from bohai.kernel.pages.navigation import menu

        menu.add("portal", MenuItem(_("问题上报"), "cases:report", icon="message", order=20))
        menu.add("portal", MenuItem(_("案件查询"), "cases:track", icon="search", order=21))
        menu.add("portal", MenuItem(_("最新案件"), "cases:recent", icon="list-check", order=22))
        menu.add("workbench", RoleMenuItem(_("网格巡查"), "cases:grid", permission="cases.add_case", icon="map",
                                           order=40, role="grid_worker"))
        menu.add("workbench", RoleMenuItem(_("12345 受理"), "cases:hotline_new", permission="cases.add_case",
                                           icon="phone", order=41, role="hotline_operator"))
        menu.add("workbench", MenuItem(_("我的案件待办"), "cases:queue", permission="cases.change_case",
                                       icon="list-check", order=42))
        menu.add("workbench", MenuItem(_("案件查询"), "cases:work_cases", permission="cases.view_case",
                                       icon="search", order=43))
        menu.add("workbench", MenuItem(_("网格指标排名"), "cases:dashboard", permission="cases.view_indicators", icon="chart", order=44))
