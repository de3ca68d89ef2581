"""What the IoT platform adds to set-up: the device officer's role, grants to existing roles, the device types."""
from django.utils.translation import gettext_lazy as _

from bohai.kernel.accounts.roles import REFERENCE_READ, RoleSpec

DEVICE_WORK = ("iot.view_device", "iot.add_device", "iot.change_device", "iot.ingest_device", "iot.view_rejection",
               "iot.view_provisioningkey", "iot.add_provisioningkey", "iot.change_provisioningkey",
               "iot.view_devicetype")
ALARM_WORK = ("alarms.view_alarm", "alarms.acknowledge_alarm", "alarms.view_rule", "alarms.add_rule",
              "alarms.change_rule", "alarms.view_dutyshift")

ROLES = (
    RoleSpec("device_officer", "物联设备管理员", "登记本部门的设备、管理凭据与告警规则、处理拒收数据",
             (*REFERENCE_READ, *DEVICE_WORK, *ALARM_WORK)),
)

ROLE_GRANTS = {
    "ops_duty_officer": ("iot.view_device", "iot.view_devicetype", "iot.view_rejection"),
    "department_head": ("iot.view_device", "iot.view_devicetype"),
    "city_officer": ("iot.view_device", "iot.view_devicetype"),
    "county_officer": ("iot.view_device", "iot.view_devicetype"),
    "platform_admin": (*DEVICE_WORK, "iot.change_devicetype", "iot.add_devicetype", "iot.view_metricspec",
                       "iot.change_metricspec", "iot.add_metricspec"),
}


def load_device_types(*, actor) -> dict:
    from .actions import load_reference_device_types

    return load_reference_device_types(actor=actor)


def reference_steps():
    return [(_("物联网设备类型与监测指标"), load_device_types)]


# --- demo (the simulator's demo devices) -------------------------------------------------------------------


def demo_steps():
    from .demo import generate_demo_devices

    return [(_("物联网演示设备与近 24 小时数据"), generate_demo_devices)]

DEMO_USERNAMES = ("device_officer",)
