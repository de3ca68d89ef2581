from django.urls import path

from . import views

app_name = "licenses"
urlpatterns = [
    path("licenses/", views.wallet, name="wallet"),
    path("licenses/verify/", views.verify_form, name="verify_form"),
    path("licenses/verify/<str:number>/", views.verify, name="verify"),
    path("licenses/<str:number>/", views.wallet_detail, name="wallet_detail"),
    path("licenses/<str:number>/pdf/", views.wallet_pdf, name="wallet_pdf"),
    path("work/licenses/", views.staff_list, name="staff_list"),
    path("work/licenses/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("work/licenses/<int:pk>/status/", views.staff_change_status, name="staff_change_status"),
    path("work/licenses/<int:pk>/pdf/", views.staff_pdf, name="staff_pdf"),
]
