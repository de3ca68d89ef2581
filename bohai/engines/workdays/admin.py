from django.contrib import admin

from . import actions
from .models import CalendarDay


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Administrators keep next year's schedule here once the State Council publishes it; saves go through actions."""

    list_display = ("date", "kind", "name")
    list_filter = ("kind", "name")
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):
        saved = actions.set_calendar_day(obj.date, obj.kind, obj.name, actor=request.user)
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        actions.remove_calendar_day(obj.date, actor=request.user)

    def delete_queryset(self, request, queryset):
        for entry in queryset:
            actions.remove_calendar_day(entry.date, actor=request.user)
