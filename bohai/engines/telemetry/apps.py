from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class TelemetryConfig(AppConfig):
    name = "bohai.engines.telemetry"
    label = "telemetry"
    verbose_name = _("遥测数据存储")

    def ready(self):
        # A flush (as between transactional tests) ends in post_migrate: series ids cached before it are gone.
        post_migrate.connect(_forget_cached_series, dispatch_uid="telemetry.forget_cached_series")


def _forget_cached_series(**kwargs):
    from .store import forget_cached_series

    forget_cached_series()
