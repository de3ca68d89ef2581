"""Workbench pages: window intake, task queue, application handling, rectifications, statistics."""
from django.urls import path  # noqa: F401

urlpatterns: list = []
