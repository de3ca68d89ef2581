from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "bohai.kernel.events"
    label = "events"
    verbose_name = _("事件")

    def ready(self):
        from bohai.kernel.pages.navigation import MenuItem, menu

        # Each app registers its event handlers (@handles) in events.py.
        autodiscover_modules("events")
        menu.add("admin", MenuItem(_("事件投递"), "admin:events_outboxevent_changelist",
                                   permission="events.view_outboxevent", order=910))
