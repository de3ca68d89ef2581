from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from bohai.kernel.pages.admin import ReadOnlyAdmin

from .actions import retry_job, update_schedule
from .models import Job, PeriodicSchedule


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = [
        "id", "name", "status", "attempts", "max_attempts", "run_after", "worker", "started_at", "finished_at",
    ]
    list_filter = ["status", "name"]
    search_fields = ["name", "worker"]
    date_hierarchy = "created_at"
    fields = [
        "name", "arguments", "status", ("attempts", "max_attempts"), "run_after", "worker", "lease_until",
        ("started_at", "finished_at"), "result", "error", "log", "created_at",
    ]
    actions = ["retry_selected"]

    def has_retry_permission(self, request):
        return request.user.has_perm("jobs.change_job")

    @admin.action(description=_("重新执行所选的失败任务"), permissions=["retry"])
    def retry_selected(self, request, queryset):
        retried = 0
        for job in queryset.filter(status=Job.Status.FAILED):
            retry_job(job, actor=request.user)
            retried += 1
        self.message_user(request, _("已重新排队 %(count)d 个任务") % {"count": retried}, messages.SUCCESS)


@admin.register(PeriodicSchedule)
class PeriodicScheduleAdmin(admin.ModelAdmin):
    list_display = ["name", "interval_seconds", "next_run_at", "last_job", "enabled"]
    list_filter = ["enabled"]
    fields = ["name", "interval_seconds", "enabled", "next_run_at", "last_job", "updated_at"]
    readonly_fields = ["name", "interval_seconds", "last_job", "updated_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        try:
            update_schedule(obj, actor=request.user, enabled=obj.enabled, next_run_at=obj.next_run_at)
        except ValidationError as error:
            self.message_user(request, "; ".join(error.messages), messages.ERROR)
