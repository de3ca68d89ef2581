"""Portal pages: report a problem, track a case, the public list."""
from django.urls import path  # noqa: F401

urlpatterns: list = []
