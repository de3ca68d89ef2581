from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "bohai.kernel.notifications"
    label = "notifications"
    verbose_name = _("站内通知")

    def ready(self):
        from bohai.kernel.pages.navigation import MenuItem, menu

        from .channels import log_channel, register_channel
        from .sms import sms_channel

        register_channel("log", log_channel)
        register_channel("sms", sms_channel)
        menu.add("workbench", MenuItem(_("通知"), "notifications:workbench_list", icon="bell", order=90))
        # staff_only: shown to any signed-in user (residents and agents included), never to visitors.
        menu.add("portal", MenuItem(_("我的通知"), "notifications:portal_list", icon="bell", order=90, staff_only=True))
