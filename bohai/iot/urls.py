"""Workbench pages of the IoT platform."""
from django.urls import path

from . import views

app_name = "iot"
urlpatterns = [
    path("work/iot/devices/", views.devices, name="devices"),
    path("work/iot/devices/import/", views.register_from_file, name="register_from_file"),
    path("work/iot/devices/<str:code>/", views.device, name="device"),
    path("work/iot/devices/<str:code>/credentials/", views.device_credentials, name="device_credentials"),
    path("work/iot/devices/<str:code>/status/", views.device_status, name="device_status"),
    path("work/iot/alarms/", views.alarms, name="alarms"),
    path("work/iot/alarms/<int:pk>/act/", views.alarm_act, name="alarm_act"),
    path("work/iot/rules/", views.rules, name="rules"),
    path("work/iot/rules/<int:pk>/deactivate/", views.rule_deactivate, name="rule_deactivate"),
    path("work/iot/duty/", views.duty_roster, name="duty_roster"),
    path("work/iot/duty/<int:pk>/remove/", views.duty_shift_remove, name="duty_shift_remove"),
    path("work/iot/rejections/", views.rejections, name="rejections"),
]
