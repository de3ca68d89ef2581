from django.contrib import admin

from .models import Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    """Read-only: regions change through `bohai load_divisions` and the import page, which audit."""

    list_display = ("name", "key", "code", "level", "parent", "is_demo")
    list_filter = ("level", "is_demo")
    search_fields = ("name", "key", "code")
    exclude = ("boundary",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Region._meta.fields if f.name != "boundary"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
