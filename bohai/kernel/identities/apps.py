from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentitiesConfig(AppConfig):
    name = "bohai.kernel.identities"
    label = "identities"
    verbose_name = _("人口与法人（一号）")

    def ready(self):
        from bohai.kernel.pages.navigation import MenuItem, menu

        menu.add("workbench", MenuItem(_("人口"), "identities:person_list", permission="identities.view_person", icon="users", order=20))
        menu.add("workbench", MenuItem(_("法人"), "identities:legal_entity_list", permission="identities.view_legalentity", icon="building", order=21))
