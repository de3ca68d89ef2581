from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "bohai.engines.workflows"
    label = "workflows"
    verbose_name = _("流程引擎")
