from django.urls import path, re_path

from . import views

app_name = "transfer"
urlpatterns = [
    path("work/import/", views.import_page, name="import"),
    path("work/import/<int:pk>/", views.import_result, name="import_result"),
    path("work/import/<int:pk>/errors.xlsx", views.import_report, name="import_report"),
    path("work/export/", views.export_page, name="export"),
    re_path(r"^work/export/(?P<kind>persons|entities)\.(?P<file_format>csv|xlsx)$", views.export_file, name="export_file"),
]
