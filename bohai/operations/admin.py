from django.contrib import admin

from .models import SignReading, VitalSign


@admin.register(VitalSign)
class VitalSignAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "unit", "good_direction", "position")
    readonly_fields = ("code", "created_at", "updated_at")


@admin.register(SignReading)
class SignReadingAdmin(admin.ModelAdmin):
    """Computed by the job: read only."""

    list_display = ("sign", "region", "organisation", "at", "value", "grade")
    list_filter = ("sign",)
    date_hierarchy = "at"
    list_select_related = ("sign", "region", "organisation")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
