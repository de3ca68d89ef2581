"""Workbench pages: grid worker, 12345 intake, queues, case handling, leaders dashboard."""
from django.urls import path

from .views import grid, workbench
from .views import dashboard

urlpatterns = [
    path("work/cases/", workbench.cases, name="work_cases"),
    path("work/cases/grid/", grid.grid, name="grid"),
    path("work/cases/grid/duplicates/", grid.duplicates, name="grid_duplicates"),
    path("work/cases/grid/verify/<int:pk>/", grid.verify, name="grid_verify"),
    path("work/cases/hotline/new/", workbench.hotline_new, name="hotline_new"),
    path("work/cases/suggest/", workbench.suggest, name="suggest"),
    path("work/cases/queue/", workbench.queue, name="queue"),
    path("work/cases/<int:pk>/", workbench.case, name="work_case"),
    path("work/cases/<int:pk>/act/", workbench.act, name="work_case_act"),
    path("work/cases/<int:pk>/photos/<int:photo_pk>/", workbench.photo, name="photo"),
    path("work/cases/dashboard/", dashboard.dashboard, name="dashboard"),
    path("work/cases/dashboard/export/", dashboard.export, name="dashboard_export"),
]
