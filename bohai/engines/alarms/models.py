"""告警规则与告警"""
from django.db import models  # noqa: F401
