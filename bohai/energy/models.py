"""能耗与排放监测"""
from django.db import models  # noqa: F401
