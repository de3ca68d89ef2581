from django.contrib import admin

from bohai.kernel.pages.admin import ReadOnlyAdmin

from .models import WorkflowInstance, WorkflowTask


@admin.register(WorkflowInstance)
class WorkflowInstanceAdmin(ReadOnlyAdmin):
    list_display = ("id", "subject_type", "subject_id", "stage_key", "status", "outcome", "region", "due_at", "warning")
    list_filter = ("status", "warning", "subject_type")


@admin.register(WorkflowTask)
class WorkflowTaskAdmin(ReadOnlyAdmin):
    list_display = ("id", "instance", "name", "role", "organisation", "status", "outcome", "due_at", "warning")
    list_filter = ("status", "role", "warning")
