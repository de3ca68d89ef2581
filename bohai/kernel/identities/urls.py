from django.urls import path

app_name = "identities"
urlpatterns: list = []
