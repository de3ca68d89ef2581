"""城市物联网接入"""
from django.db import models  # noqa: F401
