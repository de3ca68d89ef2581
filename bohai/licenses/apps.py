from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LicensesConfig(AppConfig):
    name = "bohai.licenses"
    label = "licenses"
    verbose_name = _("电子证照库")

    def ready(self):
        from bohai.kernel.pages.navigation import MenuItem, menu

        menu.add("portal", MenuItem(_("电子证照"), "licenses:wallet", icon="id", order=30, staff_only=True))
        menu.add("portal", MenuItem(_("证照核验"), "licenses:verify_form", icon="shield", order=31))
        menu.add("workbench", MenuItem(_("电子证照"), "licenses:staff_list", permission="licenses.view_license",
                                       icon="id", order=40))
