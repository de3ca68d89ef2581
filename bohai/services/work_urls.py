"""Workbench pages: window intake, task queue, application handling, rectifications, statistics."""
from django.urls import path

from .views import statistics as statistics_views
from .views import workbench

urlpatterns = [
    path("work/services/window/", workbench.window, name="window"),
    path("work/services/tasks/", workbench.tasks, name="tasks"),
    path("work/services/applications/", workbench.applications, name="work_applications"),
    path("work/services/applications/<int:pk>/", workbench.application, name="work_application"),
    path("work/services/applications/<int:pk>/tasks/<int:task_pk>/", workbench.act, name="work_application_act"),
    path("work/services/applications/<int:pk>/materials/<int:material_pk>/", workbench.material_file,
         name="work_application_material"),
    path("work/services/rectifications/", workbench.rectifications, name="rectifications"),
    path("work/services/rectifications/<int:pk>/", workbench.rectification, name="rectification"),
    path("work/services/rectifications/<int:pk>/answer/", workbench.rectification_answer, name="rectification_answer"),
    path("work/services/rectifications/<int:pk>/close/", workbench.rectification_close, name="rectification_close"),
    path("work/services/statistics/", statistics_views.dashboard, name="statistics"),
    path("work/services/statistics/export/", statistics_views.export, name="statistics_export"),
]
