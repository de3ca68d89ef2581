from django.urls import path

from . import views

app_name = "energy"
urlpatterns = [
    path("work/energy/", views.overview, name="overview"),
    path("work/energy/industry/", views.industry, name="industry"),
    path("work/energy/industry/export/", views.industry_export, name="industry_export"),
    path("work/energy/enterprises/<str:code>/", views.enterprise, name="enterprise"),
    path("work/energy/enterprises/<str:code>/export/", views.enterprise_export, name="enterprise_export"),
    path("work/energy/enterprises/<str:code>/output/", views.record_output, name="record_output"),
]
