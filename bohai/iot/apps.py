from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IotConfig(AppConfig):
    name = "bohai.iot"
    label = "iot"
    verbose_name = _("城市物联网接入")

    def ready(self):
        from bohai.kernel.pages.navigation import MenuItem, menu

        from . import subjects

        subjects.register()
        menu.add("workbench", MenuItem(_("物联设备"), "iot:devices", permission="iot.view_device", icon="activity",
                                       order=60))
        menu.add("workbench", MenuItem(_("设备告警"), "iot:alarms", permission="alarms.view_alarm", icon="bell",
                                       order=61))
        menu.add("workbench", MenuItem(_("告警规则"), "iot:rules", permission="alarms.view_rule", icon="settings",
                                       order=62))
        menu.add("workbench", MenuItem(_("值班安排"), "iot:duty_roster", permission="alarms.view_dutyshift",
                                       icon="clock", order=63))
        menu.add("workbench", MenuItem(_("拒收数据"), "iot:rejections", permission="iot.view_rejection",
                                       icon="file", order=64))
