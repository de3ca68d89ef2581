"""What the alarm engine adds to the roles: who watches, acknowledges and configures alarms."""
ALARM_WATCH = ("alarms.view_alarm", "alarms.acknowledge_alarm", "alarms.view_rule", "alarms.view_dutyshift")

ROLE_GRANTS = {
    "ops_duty_officer": ALARM_WATCH,
    "department_head": ("alarms.view_alarm", "alarms.view_rule", "alarms.view_dutyshift", "alarms.add_dutyshift",
                        "alarms.delete_dutyshift"),
    "city_officer": ("alarms.view_alarm",),
    "county_officer": ("alarms.view_alarm",),
    "platform_admin": ("alarms.view_alarm", "alarms.view_rule", "alarms.add_rule", "alarms.change_rule",
                       "alarms.view_dutyshift", "alarms.add_dutyshift", "alarms.delete_dutyshift"),
}
