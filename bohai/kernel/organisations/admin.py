from django.contrib import admin

from .models import Organisation, Position


class PositionInline(admin.TabularInline):
    model = Position
    extra = 0
    readonly_fields = ("title", "headcount")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    """Read-only: the reference set is loaded by `bohai setup` through an audited action."""

    list_display = ("name", "kind", "function", "region", "parent")
    list_filter = ("kind", "function")
    search_fields = ("name", "short_name", "key")
    inlines = [PositionInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Organisation._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
