from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "bohai.kernel.jobs"
    label = "jobs"
    verbose_name = _("后台任务")

    def ready(self):
        from bohai.kernel.pages.navigation import MenuItem, menu

        # Each app declares its jobs in jobs.py; enqueue() needs them registered in every process.
        autodiscover_modules("jobs")
        menu.add("admin", MenuItem(_("后台任务"), "admin:jobs_job_changelist", permission="jobs.view_job", order=900))
