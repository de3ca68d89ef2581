"""城市运行中心"""
from django.db import models  # noqa: F401
