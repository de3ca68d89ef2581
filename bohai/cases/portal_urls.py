"""Portal pages: report a problem, track a case, the public list."""
from django.urls import path

from .views import portal

urlpatterns = [
    path("cases/report/", portal.report, name="report"),
    path("cases/report/<str:number>/", portal.report_done, name="report_done"),
    path("cases/track/", portal.track, name="track"),
    path("cases/recent/", portal.recent, name="recent"),
]
