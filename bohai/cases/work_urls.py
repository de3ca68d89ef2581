"""Workbench pages: grid worker, 12345 intake, queues, case handling, leaders dashboard."""
from django.urls import path  # noqa: F401

urlpatterns: list = []
