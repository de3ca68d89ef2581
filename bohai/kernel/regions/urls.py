from django.urls import path

from . import views

app_name = "regions"
urlpatterns = [
    path("regions/map/", views.county_map, name="map"),
    path("regions/<str:key>/", views.region_page, name="detail"),
    path("work/regions/", views.workbench_list, name="workbench_list"),
]
