from django.urls import path

from . import views

app_name = "operations"
urlpatterns = [
    path("ops/", views.home, name="home"),
    path("ops/counties/<str:key>/", views.county_screen, name="county"),
    path("ops/types/<str:code>/", views.device_type, name="device_type"),
    path("ops/devices/<str:code>/", views.device, name="device"),
]
