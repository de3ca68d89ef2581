from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("work/notifications/", views.workbench_list, name="workbench_list"),
    path("notifications/", views.portal_list, name="portal_list"),
    path("notifications/<int:pk>/read/", views.mark_one_read, name="read"),
    path("notifications/read-all/", views.mark_all_read, name="read_all"),
    path("notifications/<int:pk>/open/", views.open_notification, name="open"),
    path("notifications/bell/", views.bell, name="bell"),
]
