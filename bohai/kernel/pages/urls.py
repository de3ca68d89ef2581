from django.urls import path

from . import views

app_name = "pages"
urlpatterns = [
    path("", views.home, name="home"),
    path("work/", views.workbench, name="workbench"),
    path("ops/", views.ops, name="ops"),
]
