"""遥测数据存储"""
from django.db import models  # noqa: F401
