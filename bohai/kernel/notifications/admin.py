from django.contrib import admin

from bohai.kernel.pages.admin import ReadOnlyAdmin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Read-only: notifications are sent by actions (notify) and read by their recipients."""

    list_display = ("created_at", "recipient", "level", "topic", "title", "read_at")
    list_filter = ("level", "topic")
    search_fields = ("title", "topic", "dedupe_key", "recipient__username")
    readonly_fields = [f.name for f in Notification._meta.fields]
    list_select_related = ("recipient",)
