"""Portal pages: catalogue, guide, apply, my applications, progress query."""
from django.urls import path  # noqa: F401

urlpatterns: list = []
