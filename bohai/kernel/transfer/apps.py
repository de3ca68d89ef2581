from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransferConfig(AppConfig):
    name = "bohai.kernel.transfer"
    label = "transfer"
    verbose_name = _("导入导出")

    def ready(self):
        from bohai.kernel.pages.navigation import MenuItem, menu

        menu.add("workbench", MenuItem(_("数据导入"), "transfer:import", permission="identities.add_person",
                                       icon="database", order=70))
        menu.add("workbench", MenuItem(_("数据导出"), "transfer:export", permission="identities.view_person",
                                       icon="file", order=71))
