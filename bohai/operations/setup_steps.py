from django.utils.translation import gettext_lazy as _

from .actions import ensure_vital_signs

# Who watches the operations centre: the signs, the devices on the map and their alarms, each in their scope.
OPS_READ = ("operations.view_vitalsign", "operations.view_signreading", "iot.view_device", "alarms.view_alarm")

ROLE_GRANTS = {role: OPS_READ for role in (
    "ops_duty_officer", "city_officer", "county_officer", "department_head", "platform_admin")}


def reference_steps():
    return [(_("城市体征目录"), ensure_vital_signs)]
